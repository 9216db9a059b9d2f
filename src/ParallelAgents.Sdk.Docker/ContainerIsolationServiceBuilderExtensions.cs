namespace ParallelAgents.Sdk.Docker;

/// <summary>Adds container isolation to the engine registered by <c>services.AddParallelAgents()</c>.</summary>
public static class ContainerIsolationServiceBuilderExtensions
{
    /// <summary>Runs the tasks that ask for <c>isolation: container</c> in locked-down containers, as
    /// <see cref="ContainerIsolationBuilderExtensions.UseContainerIsolation(ParallelAgentsBuilder, Action{ContainerIsolationOptions})"/>
    /// does for <see cref="ParallelAgentsBuilder"/>; the worktrees are the registration's (its repository, branch
    /// prefix and worktrees folder).</summary>
    /// <param name="builder">The registration.</param>
    /// <param name="configure">Sets the <see cref="ContainerIsolationOptions"/>, at least
    /// <see cref="ContainerIsolationOptions.Image"/>; called when the engine is first resolved. Problems with them are
    /// listed with the engine's others.</param>
    /// <returns>The same registration.</returns>
    public static IParallelAgentsBuilder UseContainerIsolation(this IParallelAgentsBuilder builder, Action<ContainerIsolationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        return builder.ConfigureEngine((_, engine) => engine.UseContainerIsolation(configure));
    }
}
