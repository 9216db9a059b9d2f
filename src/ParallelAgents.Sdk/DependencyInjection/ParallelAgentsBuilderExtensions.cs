using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>
/// The <c>Use…</c> methods of <see cref="IParallelAgentsBuilder"/>, mirroring <see cref="ParallelAgentsBuilder"/>'s.
/// They run, in the order they were called, after the <see cref="ParallelAgentsOptions"/> are applied, so they win
/// over the configuration; a problem they meet is listed with the others when the engine is resolved.
/// </summary>
public static class ParallelAgentsBuilderExtensions
{
    /// <summary>Changes the engine's <see cref="ParallelAgentsBuilder"/> when the engine is made: the way to reach any
    /// builder method, and the hook other packages' <c>Use…</c> methods are built on.</summary>
    /// <param name="builder">The registration.</param>
    /// <param name="configure">Changes the builder; it gets the container to resolve what it needs. Do not call
    /// <see cref="ParallelAgentsBuilder.Build"/>. A <see cref="ParallelAgentsConfigurationException"/> or
    /// <see cref="ArgumentException"/> it throws is listed with the engine's other problems.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder ConfigureEngine(this IParallelAgentsBuilder builder, Action<IServiceProvider, ParallelAgentsBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Step(builder, nameof(ConfigureEngine), c => configure(c.Services, c.Builder));
    }

    /// <summary>Works on the git repository at <paramref name="path"/> (see
    /// <see cref="ParallelAgentsBuilder.UseRepository(string, string)"/>); overrides
    /// <see cref="ParallelAgentsOptions.RepositoryPath"/>. Unless <see cref="ParallelAgentsOptions.WorktreeIsolation"/>
    /// is off, tasks work in worktrees of it.</summary>
    /// <param name="builder">The registration.</param>
    /// <param name="path">The repository's folder.</param>
    /// <param name="mainBranch">The branch the work is merged into; <see langword="null"/> for
    /// <see cref="ParallelAgentsOptions.MainBranch"/>.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseRepository(this IParallelAgentsBuilder builder, string path, string? mainBranch = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Step(builder, nameof(UseRepository), c =>
        {
            c.Builder.UseRepository(path, mainBranch ?? c.Options.MainBranch);
            if (c.Options.WorktreeIsolation && !c.Builder.UsesWorktrees)
            {
                c.Builder.UseWorktreeIsolation(c.Worktrees(configure: null));
            }
        });
    }

    /// <summary>Runs tasks in git worktrees of the repository (see
    /// <see cref="ParallelAgentsBuilder.UseWorktreeIsolation(Action{WorktreeIsolationOptions}?)"/>).</summary>
    /// <param name="builder">The registration.</param>
    /// <param name="configure">Changes the <see cref="WorktreeIsolationOptions"/> after the branch prefix and worktrees
    /// folder of the <see cref="ParallelAgentsOptions"/> are set.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseWorktreeIsolation(this IParallelAgentsBuilder builder, Action<WorktreeIsolationOptions>? configure = null) =>
        Step(builder, nameof(UseWorktreeIsolation), c => c.Builder.UseWorktreeIsolation(c.Worktrees(configure)));

    /// <summary>Adds an isolation provider (see <see cref="ParallelAgentsBuilder.UseIsolation(IIsolationProvider)"/>).</summary>
    /// <param name="builder">The registration.</param>
    /// <param name="provider">The provider; the caller owns it.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseIsolation(this IParallelAgentsBuilder builder, IIsolationProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return Step(builder, nameof(UseIsolation), c => c.Builder.UseIsolation(provider));
    }

    /// <summary>Adds an isolation provider made by the container (registered as a singleton if it is not already).</summary>
    /// <typeparam name="TProvider">The provider's type.</typeparam>
    /// <param name="builder">The registration.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseIsolation<TProvider>(this IParallelAgentsBuilder builder)
        where TProvider : class, IIsolationProvider
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<TProvider>();
        return Step(builder, nameof(UseIsolation), c => c.Builder.UseIsolation(c.Services.GetRequiredService<TProvider>()));
    }

    /// <summary>Changes how task branches are merged (see <see cref="ParallelAgentsBuilder.UseMerging(Action{MergeOptions})"/>).</summary>
    /// <param name="builder">The registration.</param>
    /// <param name="configure">Changes the <see cref="MergeOptions"/>. Calls add up, in order.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseMerging(this IParallelAgentsBuilder builder, Action<MergeOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Step(builder, nameof(UseMerging), c => c.Builder.UseMerging(configure));
    }

    /// <summary>Adds a conflict resolver to the end of the chain (see
    /// <see cref="ParallelAgentsBuilder.UseConflictResolver(IConflictResolver)"/>).</summary>
    /// <param name="builder">The registration.</param>
    /// <param name="resolver">The resolver.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseConflictResolver(this IParallelAgentsBuilder builder, IConflictResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        return Step(builder, nameof(UseConflictResolver), c => c.Builder.UseConflictResolver(resolver));
    }

    /// <summary>Adds a conflict resolver made by the container (registered as a singleton if it is not already) to the
    /// end of the chain.</summary>
    /// <typeparam name="TResolver">The resolver's type.</typeparam>
    /// <param name="builder">The registration.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseConflictResolver<TResolver>(this IParallelAgentsBuilder builder)
        where TResolver : class, IConflictResolver
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<TResolver>();
        return Step(builder, nameof(UseConflictResolver), c => c.Builder.UseConflictResolver(c.Services.GetRequiredService<TResolver>()));
    }

    /// <summary>Has every succeeded task's branch reviewed by <paramref name="approver"/> before it is merged (see
    /// <see cref="ParallelAgentsBuilder.UseMergeApproval(IMergeApprover, Action{MergeApprovalOptions}?)"/>).</summary>
    /// <param name="builder">The registration.</param>
    /// <param name="approver">Who decides.</param>
    /// <param name="configure">Changes the <see cref="MergeApprovalOptions"/>.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseMergeApproval(this IParallelAgentsBuilder builder, IMergeApprover approver, Action<MergeApprovalOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(approver);
        return Step(builder, nameof(UseMergeApproval), c => c.Builder.UseMergeApproval(approver, configure));
    }

    /// <summary>Has every succeeded task's branch reviewed by a delegate before it is merged.</summary>
    /// <param name="builder">The registration.</param>
    /// <param name="review">Decides about one branch.</param>
    /// <param name="configure">Changes the <see cref="MergeApprovalOptions"/>.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseMergeApproval(
        this IParallelAgentsBuilder builder, Func<MergeReview, CancellationToken, ValueTask<ReviewDecision>> review, Action<MergeApprovalOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(review);
        return builder.UseMergeApproval(new DelegateMergeApprover(review), configure);
    }

    /// <summary>Has every succeeded task's branch reviewed, before it is merged, by an approver made by the container
    /// (registered as a singleton if it is not already), so it can take its own dependencies (a console, a chat
    /// client, a pull-request service).</summary>
    /// <typeparam name="TApprover">The approver's type.</typeparam>
    /// <param name="builder">The registration.</param>
    /// <param name="configure">Changes the <see cref="MergeApprovalOptions"/>.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseMergeApproval<TApprover>(this IParallelAgentsBuilder builder, Action<MergeApprovalOptions>? configure = null)
        where TApprover : class, IMergeApprover
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<TApprover>();
        return Step(builder, nameof(UseMergeApproval), c => c.Builder.UseMergeApproval(c.Services.GetRequiredService<TApprover>(), configure));
    }

    /// <summary>Turns conflict forecasting on or off; overrides <see cref="ParallelAgentsOptions.ConflictForecasting"/>.</summary>
    /// <param name="builder">The registration.</param>
    /// <param name="enabled">Whether to forecast.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseConflictForecasting(this IParallelAgentsBuilder builder, bool enabled = true) =>
        Step(builder, nameof(UseConflictForecasting), c => c.Builder.UseConflictForecasting(enabled));

    /// <summary>Gives every agent <paramref name="memory"/>, registered in the container as the
    /// <see cref="ISharedMemory"/> (replacing any registered before). The caller owns it: neither the engine nor the
    /// container disposes it.</summary>
    /// <param name="builder">The registration.</param>
    /// <param name="memory">The store.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseSharedMemory(this IParallelAgentsBuilder builder, ISharedMemory memory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(memory);
        builder.Services.RemoveAll<ISharedMemory>();
        builder.Services.AddSingleton(memory);
        return builder;
    }

    /// <summary>Gives every agent the store <paramref name="factory"/> makes, registered in the container as the
    /// <see cref="ISharedMemory"/> singleton (replacing any registered before); the container disposes it.</summary>
    /// <param name="builder">The registration.</param>
    /// <param name="factory">Makes the store when the engine is first resolved. An exception it throws is listed with
    /// the engine's other problems.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseSharedMemory(this IParallelAgentsBuilder builder, Func<IServiceProvider, ISharedMemory> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.RemoveAll<ISharedMemory>();
        builder.Services.AddSingleton(factory);
        return builder;
    }

    /// <summary>Gives every agent the embedded file-backed store (see
    /// <see cref="SharedMemory.File(string, FileSharedMemoryOptions?)"/>), opened when the engine is first resolved and
    /// disposed by the container; overrides <see cref="ParallelAgentsOptions.SharedMemoryPath"/>.</summary>
    /// <param name="builder">The registration.</param>
    /// <param name="path">The snapshot file; a relative path is taken from the current folder.</param>
    /// <param name="configure">Changes the <see cref="FileSharedMemoryOptions"/> (the container's logger factory and
    /// time provider are set first).</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseFileSharedMemory(
        this IParallelAgentsBuilder builder, string path = FileSharedMemoryOptions.DefaultPath, Action<FileSharedMemoryOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return builder.UseSharedMemory(services =>
        {
            var options = new FileSharedMemoryOptions();
            if (services.GetService<ILoggerFactory>() is { } loggerFactory)
            {
                options.LoggerFactory = loggerFactory;
            }

            if (services.GetService<TimeProvider>() is { } timeProvider)
            {
                options.TimeProvider = timeProvider;
            }

            configure?.Invoke(options);
            return SharedMemory.File(path, options);
        });
    }

    /// <summary>Has the engine's tasks done by <paramref name="agent"/>.</summary>
    /// <param name="builder">The registration.</param>
    /// <param name="agent">The agent.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseAgent(this IParallelAgentsBuilder builder, IAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        return Step(builder, nameof(UseAgent), c => c.Builder.UseAgent(agent));
    }

    /// <summary>Has the engine's tasks done by a delegate (see <see cref="DelegateAgent"/>).</summary>
    /// <param name="builder">The registration.</param>
    /// <param name="run">Does one attempt of a task.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseAgent(this IParallelAgentsBuilder builder, Func<AgentContext, CancellationToken, ValueTask<AgentOutcome>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return builder.UseAgent(new DelegateAgent(run));
    }

    /// <summary>Has the engine's tasks done by an agent made by the container (registered as a singleton if it is not
    /// already), so it can take its own dependencies.</summary>
    /// <typeparam name="TAgent">The agent's type.</typeparam>
    /// <param name="builder">The registration.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseAgent<TAgent>(this IParallelAgentsBuilder builder)
        where TAgent : class, IAgent
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<TAgent>();
        return Step(builder, nameof(UseAgent), c => c.Builder.UseAgent(c.Services.GetRequiredService<TAgent>()));
    }

    /// <summary>Has the engine's tasks done by AI coding agents (<see cref="ChatClientAgent"/>) over
    /// <paramref name="chatClient"/> rather than over the container's.</summary>
    /// <param name="builder">The registration.</param>
    /// <param name="chatClient">The chat client.</param>
    /// <param name="configure">Changes the <see cref="ChatClientAgentOptions"/>; <see cref="ParallelAgentsOptions.Model"/>
    /// is used when they name no model.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseChatClient(this IParallelAgentsBuilder builder, IChatClient chatClient, Action<ChatClientAgentOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        return Step(builder, nameof(UseChatClient), c => c.Builder.UseChatClient(chatClient, c.ChatClientAgent(configure)));
    }

    /// <summary>Has the engine's tasks done by AI coding agents (<see cref="ChatClientAgent"/>) over the container's
    /// <see cref="IChatClient"/>: the keyed one when <paramref name="serviceKey"/> is given, else the unkeyed one.</summary>
    /// <remarks>A client registered with <c>UseFunctionInvocation()</c> works: the agent's tools reach it as
    /// declarations only, so the agent's own function invocation (with its budgets, command policy and transcript)
    /// runs every tool call.</remarks>
    /// <param name="builder">The registration.</param>
    /// <param name="serviceKey">The key the client is registered with (<c>services.AddKeyedChatClient(key, ...)</c>);
    /// <see langword="null"/> for the unkeyed client. Overrides <see cref="ParallelAgentsOptions.ChatClientServiceKey"/>.</param>
    /// <param name="configure">Changes the <see cref="ChatClientAgentOptions"/>; <see cref="ParallelAgentsOptions.Model"/>
    /// is used when they name no model.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseChatClient(this IParallelAgentsBuilder builder, object? serviceKey = null, Action<ChatClientAgentOptions>? configure = null) =>
        Step(builder, nameof(UseChatClient), c => ContainerEngineFactory.UseChatClientFromContainer(c, serviceKey, configure, explicitKey: true));

    private static IParallelAgentsBuilder Step(IParallelAgentsBuilder builder, string name, Action<EngineSetupContext> apply)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(new EngineStep(name, apply));
        return builder;
    }
}
