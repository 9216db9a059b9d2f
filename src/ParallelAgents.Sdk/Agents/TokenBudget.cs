namespace ParallelAgents.Sdk;

/// <summary>
/// A number of model tokens (input and output together) that several agents draw from, such as the budget of a whole
/// run: hand the same instance to every agent (<see cref="ChatClientAgentOptions.RunBudget"/>). Thread-safe.
/// </summary>
/// <remarks>
/// Agents check the budget before each model call and record what the call used after it, so the call that crosses
/// the limit completes and the budget may end a little over its limit; no call starts once it is spent.
/// </remarks>
public sealed class TokenBudget
{
    private long _used;

    /// <summary>Makes a budget of <paramref name="maxTokens"/> tokens.</summary>
    /// <param name="maxTokens">The most tokens that may be used; at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokens"/> is less than 1.</exception>
    public TokenBudget(long maxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        MaxTokens = maxTokens;
    }

    /// <summary>The most tokens that may be used.</summary>
    public long MaxTokens { get; }

    /// <summary>The tokens used so far.</summary>
    public long UsedTokens => Interlocked.Read(ref _used);

    /// <summary>The tokens left; 0 once the budget is spent.</summary>
    public long RemainingTokens => Math.Max(0, MaxTokens - UsedTokens);

    /// <summary>Whether the budget is spent: no further model call should start.</summary>
    public bool IsExhausted => UsedTokens >= MaxTokens;

    /// <summary>Records tokens used.</summary>
    /// <param name="tokens">The tokens a model call used; zero or more.</param>
    /// <returns>The tokens used in all, this call's included.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokens"/> is negative.</exception>
    public long Record(long tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        return Interlocked.Add(ref _used, tokens);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{UsedTokens:N0} of {MaxTokens:N0} tokens used";
}
