using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using ParallelAgents.Sdk.Tests.TestSupport;
using Reply = ParallelAgents.Sdk.Tests.TestSupport.OpenAICompatibleServer.Reply;

namespace ParallelAgents.Sdk.Tests.Documentation;

/// <summary>Keeps docs/providers.md true: its C# blocks are the compiled regions of <see cref="ProviderSnippets"/>, and the
/// OpenAI-compatible set-up it shows, configured from the environment variables it names, reaches a real
/// OpenAI-compatible server (the loopback one) with the model, key and base URL given.</summary>
[Collection(SerialTests.Name)]
public sealed partial class ProvidersDocTests
{
    private static readonly string RepositoryRoot = SourceTree.Root;

    [Theory]
    [InlineData("providers-openai")]
    [InlineData("providers-resolver")]
    public void ProvidersPage_CSharpBlock_IsTheCompiledRegion(string region)
    {
        string page = File.ReadAllText(Path.Combine(RepositoryRoot, "docs", "providers.md")).ReplaceLineEndings("\n");
        string source = File.ReadAllText(Path.Combine(RepositoryRoot, "tests", "ParallelAgents.Sdk.Tests", "Documentation", "ProviderSnippets.cs")).ReplaceLineEndings("\n");
        Match match = Regex.Match(source, $@"// <{region}>\n(?<code>.*?)\n[ ]*// </{region}>", RegexOptions.Singleline);
        Assert.True(match.Success, $"ProviderSnippets.cs has no region {region}.");
        string code = Dedent(match.Groups["code"].Value);

        string[] blocks = [.. CSharpBlock().Matches(page).Select(m => Dedent(m.Groups["code"].Value))];

        Assert.Contains(code, blocks);
    }

    [Fact]
    public async Task OpenAICompatibleFromEnvironment_VariablesSet_ReachTheServerWithModelKeyAndBaseUrl()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        server.Enqueue(Reply.Answer("configured"));
        using var model = new EnvironmentVariable("PARALLELAGENTS_MODEL", "llama3.1:8b");
        using var key = new EnvironmentVariable("OPENAI_API_KEY", "sk-providers-doc-test");
        using var baseUrl = new EnvironmentVariable("OPENAI_BASE_URL", server.BaseUrl);
        using IChatClient client = ProviderSnippets.OpenAICompatibleFromEnvironment();

        ChatResponse response = await client.GetResponseAsync("ping", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("configured", response.Text);
        OpenAICompatibleServer.ReceivedRequest request = Assert.Single(server.Requests);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal("Bearer sk-providers-doc-test", request.Authorization);
        Assert.Equal("llama3.1:8b", request.Json["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task OpenAICompatibleFromEnvironment_LocalServerWithoutKey_SendsAPlaceholderKey()
    {
        await using var server = await OpenAICompatibleServer.StartAsync();
        server.Enqueue(Reply.Answer("local"));
        using var model = new EnvironmentVariable("PARALLELAGENTS_MODEL", "qwen2.5-coder");
        using var key = new EnvironmentVariable("OPENAI_API_KEY", null);
        using var baseUrl = new EnvironmentVariable("OPENAI_BASE_URL", server.BaseUrl);
        using IChatClient client = ProviderSnippets.OpenAICompatibleFromEnvironment();

        ChatResponse response = await client.GetResponseAsync("ping", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("local", response.Text);
        Assert.Equal("Bearer unused", Assert.Single(server.Requests).Authorization);
    }

    [Fact]
    public void OpenAICompatibleFromEnvironment_NoModelOrNoKey_SaysWhichVariableToSet()
    {
        using (new EnvironmentVariable("PARALLELAGENTS_MODEL", null))
        {
            var error = Assert.Throws<InvalidOperationException>(ProviderSnippets.OpenAICompatibleFromEnvironment);
            Assert.StartsWith("Set PARALLELAGENTS_MODEL", error.Message, StringComparison.Ordinal);
        }

        using var model = new EnvironmentVariable("PARALLELAGENTS_MODEL", "gpt-4.1");
        using var key = new EnvironmentVariable("OPENAI_API_KEY", null);
        using var baseUrl = new EnvironmentVariable("OPENAI_BASE_URL", null);
        Assert.Equal(
            "Set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server.",
            Assert.Throws<InvalidOperationException>(ProviderSnippets.OpenAICompatibleFromEnvironment).Message);
    }

    [Fact]
    public async Task Engine_ResolverChainOfThePage_Builds()
    {
        using var repo = new GitRepository();
        using IChatClient chatClient = new ScriptedChatClient();

        await using AgentEngine engine = ProviderSnippets.Engine(chatClient, repo.Path);

        Assert.NotNull(engine);
    }

    private static string Dedent(string code)
    {
        string[] lines = code.TrimEnd().Split('\n');
        int indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    [GeneratedRegex(@"```csharp\n(?<code>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
