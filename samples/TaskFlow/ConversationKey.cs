using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace TaskFlow;

/// <summary>
/// Which agent conversation a chat request belongs to: the task, and whether it is the task's first run or its re-run
/// on the new main branch after a merge conflict. Each conversation has a cassette of its own, so a conversation replays
/// the same way whichever order the tasks run and merge in.
/// </summary>
/// <remarks>The engine gives every agent one chat client; the conversation is told apart by its system prompt, which
/// (with the default <see cref="ChatClientAgentOptions.SystemPromptTemplate"/>) names the task as <c># Your task: id</c>,
/// and which for a re-run holds <see cref="RerunAgentResolverOptions.DefaultInstructionsTemplate"/>'s heading.</remarks>
public sealed partial record ConversationKey(string TaskId, bool IsRerun)
{
    private const string RerunHeading = "## Merge conflict: redo this task";

    /// <summary>The cassette file of this conversation: <c>&lt;task-id&gt;.json</c>, or <c>&lt;task-id&gt;.rerun.json</c>.</summary>
    public string CassetteFileName => IsRerun ? $"{TaskId}.rerun.json" : $"{TaskId}.json";

    /// <summary>Finds the conversation of a request from its system message.</summary>
    /// <exception cref="InvalidOperationException">The request has no system message naming a task.</exception>
    public static ConversationKey From(IEnumerable<ChatMessage> messages)
    {
        string? system = messages.FirstOrDefault(m => m.Role == ChatRole.System)?.Text;
        Match match = system is null ? Match.Empty : TaskLine().Match(system);
        if (!match.Success)
        {
            throw new InvalidOperationException(
                "A chat request has no system message naming its task ('# Your task: <id>'); the TaskFlow sample routes each agent's " +
                "conversation by it. Keep ChatClientAgentOptions.SystemPromptTemplate's '# Your task: {task_id}' line.");
        }

        return new ConversationKey(match.Groups[1].Value, system!.Contains(RerunHeading, StringComparison.Ordinal));
    }

    /// <inheritdoc/>
    public override string ToString() => IsRerun ? $"{TaskId} (re-run)" : TaskId;

    [GeneratedRegex(@"^# Your task: (\S+)\s*$", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex TaskLine();
}
