using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace ParallelAgents.Sdk.Cli;

/// <summary>
/// The chat client of <c>run --replay &lt;folder&gt;</c>: every agent gets it, and it plays each task's conversation
/// from that task's cassette (<c>&lt;task-id&gt;.json</c>, or <c>&lt;task-id&gt;.rerun.json</c> for the re-run that
/// resolves a merge conflict), so conversations replay the same way whatever order the tasks run in.
/// </summary>
/// <remarks>The task is read from the system prompt's <c># Your task: &lt;id&gt;</c> line, which the default
/// <see cref="ChatClientAgentOptions.SystemPromptTemplate"/> writes. Matching is lenient: the roles and tool call names
/// must match the recording, the text that varies from run to run (ids, times, paths) is not compared.</remarks>
internal sealed partial class CassetteRouter(string folder) : IChatClient
{
    private const string RerunHeading = "## Merge conflict: redo this task";
    private readonly ConcurrentDictionary<string, Lazy<ReplayChatClient>> _players = new(StringComparer.Ordinal);

    /// <summary>The cassettes played so far, by file name.</summary>
    public IReadOnlyDictionary<string, ReplayChatClient> Players => _players.ToDictionary(p => p.Key, p => p.Value.Value, StringComparer.Ordinal);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ChatMessage[] request = [.. messages];
        return PlayerFor(request).GetResponseAsync(request, options, cancellationToken);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChatMessage[] request = [.. messages];
        await foreach (ChatResponseUpdate update in PlayerFor(request).GetStreamingResponseAsync(request, options, cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private ReplayChatClient PlayerFor(ChatMessage[] request)
    {
        string? system = request.FirstOrDefault(m => m.Role == ChatRole.System)?.Text;
        Match match = system is null ? Match.Empty : TaskLine().Match(system);
        if (!match.Success)
        {
            throw new InvalidOperationException(
                "A chat request has no system message naming its task ('# Your task: <id>'), so --replay cannot tell which cassette plays it.");
        }

        string file = match.Groups[1].Value + (system!.Contains(RerunHeading, StringComparison.Ordinal) ? ".rerun.json" : ".json");
        return _players.GetOrAdd(file, f => new Lazy<ReplayChatClient>(() => Open(f), LazyThreadSafetyMode.ExecutionAndPublication)).Value;
    }

    private ReplayChatClient Open(string file)
    {
        string path = Path.Combine(folder, file);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"--replay {folder} has no cassette {file} for this conversation; record one, or run with a live model.");
        }

        return new ReplayChatClient(ChatCassette.Load(path), new ReplayChatClientOptions { Matching = ChatRequestMatching.Lenient });
    }

    [GeneratedRegex(@"^# Your task: (\S+)\s*$", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex TaskLine();
}
