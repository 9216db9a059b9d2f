using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ParallelAgents.Sdk;

/// <summary>
/// Composes an <see cref="AgentEngine"/>: the agent that does the tasks, the isolation providers that make their
/// workspaces, and the options. Fluent and single-use: every method returns this builder, and
/// <see cref="Build"/> may be called once.
/// </summary>
/// <example>
/// <code>
/// await using AgentEngine engine = new ParallelAgentsBuilder()
///     .UseAgent((context, cancellationToken) => ValueTask.FromResult(AgentOutcome.Success()))
///     .WithMaxParallelAgents(4)
///     .Build();
/// RunResult result = await engine.RunAsync(TaskPlan.Load("config/tasks.yaml"));
/// </code>
/// </example>
public sealed class ParallelAgentsBuilder
{
    private readonly AgentEngineOptions _options = new();
    private readonly List<IIsolationProvider> _providers = [];
    private IAgent? _agent;
    private ISharedMemory? _memory;
    private TimeProvider _timeProvider = TimeProvider.System;
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;
    private bool _built;

    /// <summary>Has the engine's tasks done by <paramref name="agent"/>.</summary>
    /// <param name="agent">The agent that runs every attempt.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseAgent(IAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ThrowIfBuilt();
        _agent = agent;
        return this;
    }

    /// <summary>Has the engine's tasks done by a delegate (see <see cref="DelegateAgent"/>).</summary>
    /// <param name="run">Does one attempt of a task.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseAgent(Func<AgentContext, CancellationToken, ValueTask<AgentOutcome>> run) =>
        UseAgent(new DelegateAgent(run));

    /// <summary>Adds an isolation provider; tasks ask for it by its <see cref="IIsolationProvider.Name"/>.</summary>
    /// <param name="provider">The provider.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseIsolation(IIsolationProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ThrowIfBuilt();
        _providers.Add(provider);
        return this;
    }

    /// <summary>Gives every agent the same shared memory (<see cref="AgentContext.Memory"/>).</summary>
    /// <param name="memory">The store. The caller owns it: the engine does
    /// not dispose it, so one store can outlive several engines.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseSharedMemory(ISharedMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ThrowIfBuilt();
        _memory = memory;
        return this;
    }

    /// <summary>Sets the most agents that run at once.</summary>
    /// <param name="maxParallelAgents">From 1 to 1,024; the default is 4.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 1 to 1,024.</exception>
    public ParallelAgentsBuilder WithMaxParallelAgents(int maxParallelAgents)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxParallelAgents, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxParallelAgents, AgentEngineOptions.MaxParallelAgentsLimit);
        ThrowIfBuilt();
        _options.MaxParallelAgents = maxParallelAgents;
        return this;
    }

    /// <summary>Changes how transient failures are retried.</summary>
    /// <param name="configure">Changes the <see cref="RetryOptions"/>; they are checked at once.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ParallelAgentsConfigurationException">The options are invalid.</exception>
    public ParallelAgentsBuilder WithRetry(Action<RetryOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ThrowIfBuilt();
        configure(_options.Retry);
        ThrowIfInvalid(_options.Retry.Validate);
        return this;
    }

    /// <summary>Changes the engine's options.</summary>
    /// <param name="configure">Changes the <see cref="AgentEngineOptions"/>; they are checked at once.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ParallelAgentsConfigurationException">The options are invalid.</exception>
    public ParallelAgentsBuilder Configure(Action<AgentEngineOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ThrowIfBuilt();
        configure(_options);
        ThrowIfInvalid(_options.Validate);
        return this;
    }

    /// <summary>Sets where the engine's time comes from (timestamps, timeouts, backoff delays).</summary>
    /// <param name="timeProvider">The time provider; the default is <see cref="TimeProvider.System"/>.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseTimeProvider(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ThrowIfBuilt();
        _timeProvider = timeProvider;
        return this;
    }

    /// <summary>Sets where the engine logs.</summary>
    /// <param name="loggerFactory">The logger factory; the default logs nowhere.</param>
    /// <returns>This builder.</returns>
    public ParallelAgentsBuilder UseLoggerFactory(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ThrowIfBuilt();
        _loggerFactory = loggerFactory;
        return this;
    }

    /// <summary>Checks the whole configuration and makes the engine.</summary>
    /// <returns>The engine; dispose it when done.</returns>
    /// <exception cref="ParallelAgentsConfigurationException">The configuration is invalid; every problem is listed.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public AgentEngine Build()
    {
        ThrowIfBuilt();
        var problems = new List<string>();
        if (_agent is null)
        {
            problems.Add("No agent is configured: call UseAgent(...) with the agent that does the tasks.");
        }

        _options.Validate(problems);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (IIsolationProvider provider in _providers)
        {
            string? name = provider.Name?.Trim().ToLowerInvariant();
            if (string.IsNullOrEmpty(name))
            {
                problems.Add($"The isolation provider {provider.GetType().Name} has no name; tasks name the provider they need with 'isolation:'.");
            }
            else if (!names.Add(name))
            {
                problems.Add($"Two isolation providers are named '{name}'; each name may be registered once.");
            }
        }

        if (problems.Count > 0)
        {
            throw new ParallelAgentsConfigurationException(problems);
        }

        _built = true;
        return new AgentEngine(_options.Clone(), _agent!, [.. _providers], _memory, _timeProvider, _loggerFactory);
    }

    private void ThrowIfBuilt()
    {
        if (_built)
        {
            throw new InvalidOperationException(
                "This ParallelAgentsBuilder has already built its engine; a builder is single-use. Create a new ParallelAgentsBuilder to configure another engine.");
        }
    }

    private static void ThrowIfInvalid(Action<List<string>> validate)
    {
        var problems = new List<string>();
        validate(problems);
        if (problems.Count > 0)
        {
            throw new ParallelAgentsConfigurationException(problems);
        }
    }
}
