using System.Text.Json;
using Microsoft.Extensions.AI;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Agents;

/// <summary>One ChatClientAgent attempt: a scripted model, a real workspace on a temporary folder, an in-memory shared
/// memory and a reports folder of its own.</summary>
internal sealed class AgentHarness : IAsyncDisposable
{
    private AgentHarness(TestWorkspace workspace, string reports)
    {
        Workspace = workspace;
        Reports = reports;
        Options = new ChatClientAgentOptions { TranscriptDirectory = reports };
    }

    public FakeChatClient Client { get; } = new();

    public TestWorkspace Workspace { get; }

    public ISharedMemory Memory { get; } = SharedMemory.InMemory();

    public string Reports { get; }

    public ChatClientAgentOptions Options { get; }

    public static AgentHarness Create(bool git = false, string taskId = "task", CommandEnvironmentOptions? environment = null)
    {
        string reports = Path.Combine(Path.GetTempPath(), "pa-agent-reports", Guid.NewGuid().ToString("N")[..12]);
        return new AgentHarness(TestWorkspace.Create(taskId, git, environment), reports);
    }

    public AgentTask Task(
        string? template = null, string[]? checks = null, string[]? criteria = null, int? maxAttempts = null, string instructions = "Write the feature.") =>
        new()
        {
            Id = Workspace.TaskId,
            Instructions = instructions,
            Template = template,
            Checks = checks ?? [],
            SuccessCriteria = criteria ?? [],
            MaxAttempts = maxAttempts,
        };

    public async Task<AgentOutcome> RunAsync(
        AgentTask? task = null, int attempt = 1, int lane = 0, IReadOnlyList<TaskResult>? dependencies = null, string? previousError = null, bool memory = true)
    {
        var agent = new ChatClientAgent(Client, Options);
        return await agent.RunAsync(new AgentContext
        {
            RunId = "run-1",
            Task = task ?? Task(),
            Attempt = attempt,
            Lane = lane,
            Workspace = Workspace,
            Memory = memory ? Memory : null,
            Dependencies = dependencies ?? [],
            PreviousError = previousError,
        }, TestContext.Current.CancellationToken);
    }

    /// <summary>The system prompt the model was given in the first request.</summary>
    public string SystemPrompt => Client.Requests[0].Messages.First(m => m.Role == ChatRole.System).Text;

    public string TranscriptPath(int attempt = 1, int lane = 0) =>
        Path.Combine(Reports, Workspace.TaskId, lane == 0 ? $"attempt-{attempt}.jsonl" : $"attempt-{attempt}-lane-{lane}.jsonl");

    public List<JsonElement> Transcript(int attempt = 1, int lane = 0) =>
        [.. File.ReadAllLines(TranscriptPath(attempt, lane)).Select(line => JsonDocument.Parse(line).RootElement.Clone())];

    public async ValueTask DisposeAsync()
    {
        await Workspace.DisposeAsync();
        await Memory.DisposeAsync();
        if (Directory.Exists(Reports))
        {
            Directory.Delete(Reports, recursive: true);
        }
    }
}
