namespace ParallelAgents.Sdk.Tests.Merging;

/// <summary>Verify output and messages reach merge results and reports with secrets redacted.</summary>
public class MergeReportRedactionTests
{
    private const string Key = "ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R";

    [Fact]
    public async Task MergeAsync_VerifyPrintsSecrets_ResultAndReportsAreRedacted()
    {
        using var repo = MergeTestRepository.Create(new Dictionary<string, string> { ["a.txt"] = "a\n" });
        repo.OnBranch("agent/x", "main", r => r.Write("b.txt", "b\n"));
        string verify = $"echo \"pushing with {Key} and hunter2-db-pass\"; exit 1";

        MergeResult result;
        string summary;
        await using (var merger = new BranchMerger(repo.Options(o =>
        {
            o.VerifyCommands.Add(verify);
            o.Redactor = new SecretRedactor(["hunter2-db-pass"]);
        })))
        {
            result = await merger.MergeAsync(
                new MergeRequest { RunId = "run-1", Task = new AgentTask { Id = "x", Instructions = "do x" }, Branch = "agent/x" },
                TestContext.Current.CancellationToken);
            summary = merger.WriteSummary([result])!;
        }

        Assert.Equal(MergeStatus.VerifyFailed, result.Status);
        Assert.Contains("pushing with [REDACTED] and [REDACTED]", result.VerifyOutput, StringComparison.Ordinal);
        foreach (string text in new[] { result.VerifyOutput!, result.VerifyCommand!, result.Message!, File.ReadAllText(result.ReportPath!), File.ReadAllText(summary) })
        {
            Assert.DoesNotContain(Key, text, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2-db-pass", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task MergeAsync_MergerOnItsOwn_RedactsKeyPatternsOnly()
    {
        using var repo = MergeTestRepository.Create(new Dictionary<string, string> { ["a.txt"] = "a\n" });
        repo.OnBranch("agent/x", "main", r => r.Write("b.txt", "b\n"));

        await using var merger = new BranchMerger(repo.Options(o => o.VerifyCommands.Add($"echo '{Key} plain-value'; exit 2")));
        MergeResult result = await merger.MergeAsync(
            new MergeRequest { RunId = "run-1", Task = new AgentTask { Id = "x", Instructions = "do x" }, Branch = "agent/x" },
            TestContext.Current.CancellationToken);

        Assert.Contains("[REDACTED] plain-value", result.VerifyOutput, StringComparison.Ordinal);
    }
}
