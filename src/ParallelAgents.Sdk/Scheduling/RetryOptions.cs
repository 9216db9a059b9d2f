namespace ParallelAgents.Sdk;

/// <summary>How transient failures are retried: exponential backoff with jitter, up to a number of attempts.</summary>
/// <remarks>
/// Only transient failures are retried: an <see cref="AgentOutcome"/> with <see cref="AgentOutcome.IsTransient"/>,
/// an attempt that ran past the task's <c>timeout</c>, or an exception that <see cref="ShouldRetryException"/> accepts.
/// A waiting retry does not hold an agent slot.
/// </remarks>
public sealed class RetryOptions
{
    /// <summary>How many attempts a task gets in all when it sets no <c>max_attempts</c>.</summary>
    /// <value>At least 1. The default is 3.</value>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The delay before the first retry.</summary>
    /// <value>Zero or more. The default is 1 second.</value>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between two attempts.</summary>
    /// <value>At least <see cref="BaseDelay"/>. The default is 30 seconds.</value>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How much each delay grows over the one before.</summary>
    /// <value>At least 1. The default is 2.</value>
    public double BackoffMultiplier { get; set; } = 2.0;

    /// <summary>Whether each delay is varied at random by up to 20% either way, so that agents that failed together
    /// do not retry together.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool UseJitter { get; set; } = true;

    /// <summary>Decides whether an exception thrown by an agent is transient.</summary>
    /// <value>The default is <see langword="null"/>: <see cref="IsTransientByDefault(Exception)"/> decides.</value>
    public Func<Exception, bool>? ShouldRetryException { get; set; }

    internal bool IsTransient(Exception exception) =>
        ShouldRetryException?.Invoke(exception) ?? IsTransientByDefault(exception);

    /// <summary>The default classification: <see cref="TransientAgentException"/>, <see cref="TimeoutException"/>,
    /// <see cref="System.Net.Http.HttpRequestException"/> and <see cref="OperationCanceledException"/> (a cancellation the
    /// engine did not ask for, such as an HTTP client's timeout) are transient.</summary>
    /// <remarks>Compose it in <see cref="ShouldRetryException"/> to add cases:
    /// <c>ex => ex is IOException || RetryOptions.IsTransientByDefault(ex)</c>.</remarks>
    /// <param name="exception">The exception an agent threw.</param>
    /// <returns><see langword="true"/> when another attempt may succeed.</returns>
    public static bool IsTransientByDefault(Exception exception) => exception is
        TransientAgentException or TimeoutException or System.Net.Http.HttpRequestException or OperationCanceledException;

    internal TimeSpan DelayBefore(int nextAttempt)
    {
        double factor = Math.Pow(BackoffMultiplier, Math.Max(0, nextAttempt - 2));
        double milliseconds = Math.Min(BaseDelay.TotalMilliseconds * factor, MaxDelay.TotalMilliseconds);
        if (UseJitter)
        {
#pragma warning disable CA5394 // Jitter spreads retries; it needs no cryptographic randomness.
            milliseconds *= 0.8 + (Random.Shared.NextDouble() * 0.4);
#pragma warning restore CA5394
            milliseconds = Math.Min(milliseconds, MaxDelay.TotalMilliseconds);
        }

        return TimeSpan.FromMilliseconds(Math.Max(0, milliseconds));
    }

    internal void Validate(List<string> problems)
    {
        if (MaxAttempts < 1)
        {
            problems.Add($"Retry.MaxAttempts must be at least 1, not {MaxAttempts}.");
        }

        if (BaseDelay < TimeSpan.Zero)
        {
            problems.Add($"Retry.BaseDelay must be zero or more, not {BaseDelay}.");
        }

        if (MaxDelay < BaseDelay)
        {
            problems.Add($"Retry.MaxDelay ({MaxDelay}) must be at least Retry.BaseDelay ({BaseDelay}).");
        }

        if (!(BackoffMultiplier >= 1.0) || double.IsInfinity(BackoffMultiplier))
        {
            problems.Add($"Retry.BackoffMultiplier must be a finite number of at least 1, not {BackoffMultiplier}.");
        }
    }

    internal RetryOptions Clone() => (RetryOptions)MemberwiseClone();
}
