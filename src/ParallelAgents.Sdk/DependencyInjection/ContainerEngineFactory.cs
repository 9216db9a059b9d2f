using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ParallelAgents.Sdk;

/// <summary>
/// Makes the container's <see cref="AgentEngine"/> through a <see cref="ParallelAgentsBuilder"/>, so that the checks
/// stay in one place: the options, then the registered steps, then the defaults taken from the container (the
/// <see cref="IChatClient"/>, the <see cref="ISharedMemory"/>, the logger factory and the time provider). Problems
/// found on the way are not thrown one by one: they are handed to <see cref="ParallelAgentsBuilder"/>'s build, which
/// throws one <see cref="ParallelAgentsConfigurationException"/> listing them with its own.
/// </summary>
internal static class ContainerEngineFactory
{
    internal const string MissingAgent =
        "No agent is configured: register an IChatClient in the container (services.AddChatClient(...)), or call " +
        "UseChatClient(chatClient), UseChatClient(serviceKey: ...) or UseAgent(...) on the builder AddParallelAgents returns.";

    public static AgentEngine Create(IServiceProvider services)
    {
        ParallelAgentsOptions options = services.GetRequiredService<IOptions<ParallelAgentsOptions>>().Value;
        var problems = new List<string>(options.ConfigurationProblems);
        var builder = new ParallelAgentsBuilder { MissingAgentProblem = MissingAgent };
        var context = new EngineSetupContext(services, builder, options, problems);

        if (services.GetService<ILoggerFactory>() is { } loggerFactory)
        {
            builder.UseLoggerFactory(loggerFactory);
        }

        if (services.GetService<TimeProvider>() is { } timeProvider)
        {
            builder.UseTimeProvider(timeProvider);
        }

        ApplyOptions(context);
        foreach (EngineStep step in services.GetServices<EngineStep>())
        {
            try
            {
                step.Apply(context);
            }
            catch (ParallelAgentsConfigurationException ex)
            {
                problems.AddRange(ex.Problems.Select(p => $"{step.Name}: {p}"));
            }
            catch (ArgumentException ex)
            {
                problems.Add($"{step.Name}: {ex.Message}");
            }
        }

        if (!builder.HasAgent && !context.AgentRequested)
        {
            UseChatClientFromContainer(context, options.ChatClientServiceKey, configure: null, explicitKey: false);
        }

        if (!builder.HasSharedMemory)
        {
            UseSharedMemoryFromContainer(context);
        }

        return builder.BuildWith(problems);
    }

    /// <summary>Has the engine's tasks done by a <see cref="ChatClientAgent"/> over the container's chat client (the
    /// keyed one when <paramref name="serviceKey"/> is given); a missing client is a problem only when it was asked for
    /// by key, since the builder itself reports an engine with no agent at all.</summary>
    public static void UseChatClientFromContainer(EngineSetupContext context, object? serviceKey, Action<ChatClientAgentOptions>? configure, bool explicitKey)
    {
        if (explicitKey)
        {
            // Asked for in code: never fall back to another client, and let the problem below say why it is missing.
            context.AgentRequested = true;
        }

        IChatClient? client = serviceKey is null
            ? context.Services.GetService<IChatClient>()
            : context.Services.GetKeyedService<IChatClient>(serviceKey);
        if (client is not null)
        {
            context.Builder.UseChatClient(client, context.ChatClientAgent(configure));
        }
        else if (serviceKey is not null || explicitKey)
        {
            context.Builder.MissingAgentProblem = "";
            context.Problems.Add(serviceKey is null
                ? "UseChatClient() takes the IChatClient from the container, but none is registered: register one with services.AddChatClient(...)."
                : $"No IChatClient is registered with the key '{serviceKey}' (ParallelAgents:ChatClientServiceKey or UseChatClient(serviceKey: ...)): register one with services.AddKeyedChatClient(\"{serviceKey}\", ...), or fix the key.");
        }
    }

    private static void UseSharedMemoryFromContainer(EngineSetupContext context)
    {
        try
        {
            ISharedMemory? memory = context.Services.GetService<ISharedMemory>()
                ?? context.Services.GetRequiredService<OptionsSharedMemory>().Memory;
            if (memory is not null)
            {
                context.Builder.UseSharedMemory(memory);
            }
        }
#pragma warning disable CA1031 // Any failure to open the store (locked files, no Redis...) is one problem of the configuration.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            context.Problems.Add($"The shared memory cannot be opened: {ex.Message}");
        }
    }

    private static void ApplyOptions(EngineSetupContext context)
    {
        ParallelAgentsOptions options = context.Options;
        ParallelAgentsBuilder builder = context.Builder;

        // Set in place rather than through WithMaxParallelAgents or WithRetry, which throw at the first bad value:
        // Build checks them with everything else.
        AgentEngineOptions engine = builder.EngineOptions;
        engine.MaxParallelAgents = options.MaxParallelAgents;
        engine.CancellationGracePeriod = options.CancellationGracePeriod;
        engine.IdleThreshold = options.IdleThreshold;
        engine.StatusReportInterval = options.StatusReportInterval;
        engine.Retry = options.Retry?.Clone()!;
        engine.StateDirectory = string.IsNullOrWhiteSpace(options.StateDirectory) ? engine.StateDirectory : options.StateDirectory;
        engine.Redaction = options.Redaction?.Clone()!;

        builder.UseConflictForecasting(options.ConflictForecasting);
        if (!string.Equals(options.ReportsDirectory, "reports", StringComparison.Ordinal))
        {
            // Only a changed folder is set, so that UseMerging(o => o.ReportsDirectory = ...) in code still wins over the default.
            builder.WithReportsDirectory(string.IsNullOrWhiteSpace(options.ReportsDirectory) ? null : options.ReportsDirectory);
        }

        if (string.IsNullOrWhiteSpace(options.RepositoryPath))
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(options.MainBranch))
        {
            context.Problems.Add("ParallelAgentsOptions.MainBranch is empty; name the branch the work is merged into, such as 'main'.");
            return;
        }

        builder.UseRepository(options.RepositoryPath, options.MainBranch);
        if (options.WorktreeIsolation)
        {
            builder.UseWorktreeIsolation(context.Worktrees(configure: null));
        }
    }
}
