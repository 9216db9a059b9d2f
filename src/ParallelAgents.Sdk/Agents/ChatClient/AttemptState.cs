using System.Globalization;
using Microsoft.Extensions.AI;

namespace ParallelAgents.Sdk;

/// <summary>
/// The counters and limits of one attempt, shared by the metering client (turns, tokens), the tool invoker (tool
/// calls) and the agent's loop. Calls within an attempt run one at a time, but the counters are atomic anyway so that
/// a caller that allows concurrent tool calls cannot miscount.
/// </summary>
internal sealed class AttemptState
{
    private readonly ChatClientAgentOptions _options;
    private readonly object _costGate = new();
    private int _turns;
    private int _toolCalls;
    private long _inputTokens;
    private long _outputTokens;
    private decimal _cost;
    private volatile string? _stopReason;

    public AttemptState(ChatClientAgentOptions options, TranscriptWriter transcript, string? defaultModelId, IProgress<AgentProgress>? progress = null)
    {
        _options = options;
        Transcript = transcript;
        DefaultModelId = defaultModelId;
        Progress = progress ?? NoAgentProgress.Instance;
    }

    public TranscriptWriter Transcript { get; }

    /// <summary>The attempt's <see cref="AgentContext.Progress"/>: every model call, tool call, command and file change is reported to it.</summary>
    public IProgress<AgentProgress> Progress { get; }

    /// <summary>The clock that times model calls, tool calls and commands for the progress reports.</summary>
    public TimeProvider Time => _options.TimeProvider;

    public string? DefaultModelId { get; }

    /// <summary>Why the attempt must stop (a budget or limit ran out), or <see langword="null"/>.</summary>
    public string? StopReason => _stopReason;

    /// <summary>The summary the model gave with <c>finish</c> in the current round, or <see langword="null"/>.</summary>
    public string? FinishSummary { get; private set; }

    public bool Finished { get; private set; }

    public int Turns => Volatile.Read(ref _turns);

    public AgentUsage Usage()
    {
        lock (_costGate)
        {
            return new AgentUsage(Interlocked.Read(ref _inputTokens), Interlocked.Read(ref _outputTokens), _cost, Volatile.Read(ref _toolCalls), Volatile.Read(ref _turns));
        }
    }

    public void Finish(string summary)
    {
        FinishSummary = summary;
        Finished = true;
    }

    public void ResetFinished()
    {
        FinishSummary = null;
        Finished = false;
    }

    public void Stop(string reason) => _stopReason ??= reason;

    /// <summary>Called before every model call: throws when a limit or budget is spent, else counts the turn.</summary>
    /// <param name="countsAsTurn">Whether the call is one of the agent's working turns (the criteria verdict is not).</param>
    public void BeforeModelCall(bool countsAsTurn)
    {
        if (_stopReason is null)
        {
            long used = Interlocked.Read(ref _inputTokens) + Interlocked.Read(ref _outputTokens);
            if (countsAsTurn && Volatile.Read(ref _turns) >= _options.MaxTurns)
            {
                Stop(string.Create(CultureInfo.InvariantCulture, $"the turn limit of {_options.MaxTurns} model calls (ChatClientAgentOptions.MaxTurns) was reached"));
            }
            else if (_options.MaxTokensPerTask is long max && used >= max)
            {
                Stop(string.Create(CultureInfo.InvariantCulture, $"the task's token budget of {max:N0} (ChatClientAgentOptions.MaxTokensPerTask) is spent: {used:N0} tokens used"));
            }
            else if (_options.RunBudget is { IsExhausted: true } run)
            {
                Stop($"the run's token budget is spent ({run})");
            }
        }

        if (_stopReason is { } reason)
        {
            throw new AgentLimitExceededException(reason);
        }

        if (countsAsTurn)
        {
            Interlocked.Increment(ref _turns);
        }
    }

    /// <summary>Counts a tool call; returns <see langword="false"/> (and stops the attempt) past the tool-call limit.</summary>
    public bool TryStartToolCall()
    {
        if (Interlocked.Increment(ref _toolCalls) > _options.MaxToolCalls)
        {
            Interlocked.Decrement(ref _toolCalls);
            Stop(string.Create(CultureInfo.InvariantCulture, $"the tool-call limit of {_options.MaxToolCalls} (ChatClientAgentOptions.MaxToolCalls) was reached"));
            return false;
        }

        return true;
    }

    /// <summary>Records a model call's usage against the attempt, the run budget and the price table, and reports the call.</summary>
    public void RecordUsage(UsageDetails? usage, string? modelId, TimeSpan duration)
    {
        long input = usage?.InputTokenCount ?? 0;
        long output = usage?.OutputTokenCount ?? 0;
        if (input == 0 && output == 0 && usage?.TotalTokenCount is long total)
        {
            input = total;
        }

        Interlocked.Add(ref _inputTokens, input);
        Interlocked.Add(ref _outputTokens, output);
        _options.RunBudget?.Record(input + output);

        string? model = modelId ?? DefaultModelId;
        decimal cost = model is not null && _options.Prices.TryGetValue(model, out ModelPrice? price) ? price.CostOf(input, output) : 0m;
        lock (_costGate)
        {
            _cost += cost;
        }

        AgentUsage now = Usage();
        Transcript.Write("usage", (w, _) =>
        {
            w.WriteNumber("turn", now.Turns);
            if (model is not null)
            {
                w.WriteString("model", model);
            }

            w.WriteNumber("input_tokens", input);
            w.WriteNumber("output_tokens", output);
            w.WriteNumber("cost", cost);
            w.WriteNumber("total_input_tokens", now.InputTokens);
            w.WriteNumber("total_output_tokens", now.OutputTokens);
            w.WriteNumber("total_cost", now.Cost);
        });
        Progress.Report(AgentProgress.ModelCall(input, output, cost, duration));
    }
}
