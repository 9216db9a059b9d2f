using Microsoft.Extensions.AI;

namespace ParallelAgents.Sdk;

/// <summary>A request a <see cref="ScriptedChatClient"/> received, kept so that a test can assert on it.</summary>
public sealed class ScriptedChatRequest
{
    internal ScriptedChatRequest(int number, IReadOnlyList<ChatMessage> messages, ChatOptions? options, bool streaming)
    {
        Number = number;
        Messages = messages;
        Options = options;
        Streaming = streaming;
    }

    /// <summary>Gets the number of the request: 1 for the first.</summary>
    public int Number { get; }

    /// <summary>Gets the messages of the request, copied when it was made (later changes to the caller's list do not show).</summary>
    public IReadOnlyList<ChatMessage> Messages { get; }

    /// <summary>Gets a copy of the request's options, or <see langword="null"/> when it had none.</summary>
    public ChatOptions? Options { get; }

    /// <summary>Gets a value indicating whether the request was a streaming one.</summary>
    public bool Streaming { get; }
}
