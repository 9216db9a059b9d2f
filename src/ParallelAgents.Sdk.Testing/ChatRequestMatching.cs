namespace ParallelAgents.Sdk;

/// <summary>How closely <see cref="ReplayChatClient"/> checks a request against the recorded one.</summary>
public enum ChatRequestMatching
{
    /// <summary>
    /// The messages must match in order: each message's role; its text (adjacent text parts joined, whitespace at the
    /// ends trimmed, line endings as <c>\n</c>); each function call's name and arguments; each function result's
    /// value (JSON compared by value, object properties in any order). The options' instructions and the set of tool
    /// names must match too. Left out as volatile or irrelevant: call ids, message ids, timestamps, author names,
    /// reasoning and usage parts, tool descriptions and schemas, model id, temperature and the other sampling options.
    /// </summary>
    Strict,

    /// <summary>
    /// Only the roles of the messages in order, the names of the function calls in them, and the set of tool names
    /// must match: for a cassette that must survive changes to prompts and tool results.
    /// </summary>
    Lenient,
}
