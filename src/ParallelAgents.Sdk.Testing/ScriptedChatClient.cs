using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace ParallelAgents.Sdk;

/// <summary>
/// An <see cref="IChatClient"/> that answers from a script: a queue of responses (text, function calls, anything a
/// <see cref="ChatResponse"/> holds) and, once the queue is empty, a callback if one was given. It records every request.
/// </summary>
/// <remarks>
/// Scripted function calls work with <c>UseFunctionInvocation()</c>: the function-invoking client runs the real
/// <see cref="AIFunction"/> and sends its result back as the next request, which the script answers in turn.
/// A streaming request gets the same answer as a non-streaming one, as <see cref="ChatResponse.ToChatResponseUpdates"/>
/// splits it. Running out of answers throws an <see cref="InvalidOperationException"/> that says how many were
/// scripted and shows the request that found none. Safe to use from several threads; answers go out in queue order.
/// </remarks>
public sealed class ScriptedChatClient : IChatClient
{
    private readonly object _gate = new();
    private readonly Queue<ChatResponse> _answers = new();
    private readonly List<ScriptedChatRequest> _requests = [];
    private readonly Func<IReadOnlyList<ChatMessage>, ChatOptions?, CancellationToken, Task<ChatResponse>>? _respondAsync;
    private int _scripted;
    private int _callIds;

    /// <summary>Initializes a new instance of the <see cref="ScriptedChatClient"/> class with answers to give in order.</summary>
    /// <param name="answers">The answers; more can be added with the <c>Enqueue</c> methods.</param>
    public ScriptedChatClient(params IEnumerable<ChatResponse> answers)
    {
        ArgumentNullException.ThrowIfNull(answers);
        foreach (ChatResponse answer in answers)
        {
            Enqueue(answer);
        }
    }

    /// <summary>Initializes a new instance of the <see cref="ScriptedChatClient"/> class that answers through a callback once its queue is empty.</summary>
    /// <param name="respond">Computes the answer to a request from its messages and options.</param>
    public ScriptedChatClient(Func<IReadOnlyList<ChatMessage>, ChatOptions?, CancellationToken, ChatResponse> respond)
    {
        ArgumentNullException.ThrowIfNull(respond);
        _respondAsync = (messages, options, cancellationToken) => Task.FromResult(respond(messages, options, cancellationToken));
    }

    /// <summary>Initializes a new instance of the <see cref="ScriptedChatClient"/> class that answers through an asynchronous callback once its queue is empty.</summary>
    /// <param name="respondAsync">Computes the answer to a request from its messages and options.</param>
    public ScriptedChatClient(Func<IReadOnlyList<ChatMessage>, ChatOptions?, CancellationToken, Task<ChatResponse>> respondAsync)
    {
        ArgumentNullException.ThrowIfNull(respondAsync);
        _respondAsync = respondAsync;
    }

    /// <summary>Gets the requests received so far, in order.</summary>
    public IReadOnlyList<ScriptedChatRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Gets how many queued answers have not been given yet.</summary>
    public int RemainingCount
    {
        get
        {
            lock (_gate)
            {
                return _answers.Count;
            }
        }
    }

    /// <summary>Adds an answer to the end of the queue.</summary>
    /// <param name="answer">The answer.</param>
    /// <returns>This client, to chain calls.</returns>
    public ScriptedChatClient Enqueue(ChatResponse answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        lock (_gate)
        {
            _answers.Enqueue(answer);
            _scripted++;
        }

        return this;
    }

    /// <summary>Adds an answer made of one message to the end of the queue.</summary>
    /// <param name="message">The message, usually from the assistant.</param>
    /// <returns>This client, to chain calls.</returns>
    public ScriptedChatClient Enqueue(ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Enqueue(new ChatResponse(message));
    }

    /// <summary>Adds an assistant's text answer to the end of the queue.</summary>
    /// <param name="text">The text.</param>
    /// <returns>This client, to chain calls.</returns>
    public ScriptedChatClient EnqueueText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, text)) { FinishReason = ChatFinishReason.Stop });
    }

    /// <summary>Adds an assistant's answer that calls one function to the end of the queue.</summary>
    /// <param name="name">The function's name.</param>
    /// <param name="arguments">The arguments, by parameter name; <see langword="null"/> for none.</param>
    /// <param name="callId">The call id; <see langword="null"/> numbers them <c>call_1</c>, <c>call_2</c>… in the order they are scripted.</param>
    /// <returns>This client, to chain calls.</returns>
    public ScriptedChatClient EnqueueFunctionCall(string name, IDictionary<string, object?>? arguments = null, string? callId = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        callId ??= "call_" + Interlocked.Increment(ref _callIds).ToString(CultureInfo.InvariantCulture);
        var message = new ChatMessage(ChatRole.Assistant, [new FunctionCallContent(callId, name, arguments)]);
        return Enqueue(new ChatResponse(message) { FinishReason = ChatFinishReason.ToolCalls });
    }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return await AnswerAsync(messages, options, streaming: false, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ChatResponse response = await AnswerAsync(messages, options, streaming: true, cancellationToken).ConfigureAwait(false);
        foreach (ChatResponseUpdate update in response.ToChatResponseUpdates())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return update;
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(ChatClientMetadata))
        {
            return new ChatClientMetadata(nameof(ScriptedChatClient));
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Does nothing: the client holds no resources.</summary>
    public void Dispose()
    {
    }

    private async Task<ChatResponse> AnswerAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, bool streaming, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ChatMessage[] snapshot = [.. messages];
        ChatResponse? answer;
        ScriptedChatRequest request;
        int scripted;
        lock (_gate)
        {
            request = new ScriptedChatRequest(_requests.Count + 1, snapshot, options?.Clone(), streaming);
            _requests.Add(request);
            _answers.TryDequeue(out answer);
            scripted = _scripted;
        }

        if (answer is not null)
        {
            return answer;
        }

        if (_respondAsync is not null)
        {
            return await _respondAsync(snapshot, options, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"The ScriptedChatClient callback returned null for request {request.Number}; return a ChatResponse.");
        }

        throw new InvalidOperationException(
            $"The ScriptedChatClient has no answer for request {request.Number}: {scripted} answer(s) were scripted and all were given. " +
            $"Script more with Enqueue, or give the client a callback. The request that found none:{Environment.NewLine}" +
            ChatMessageFormatter.Describe(snapshot));
    }
}
