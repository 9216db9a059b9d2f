namespace ParallelAgents.Sdk.Docker;

/// <summary>Adds container isolation to a <see cref="ParallelAgentsBuilder"/>.</summary>
public static class ContainerIsolationBuilderExtensions
{
    /// <summary>
    /// Runs the tasks that ask for <c>isolation: container</c> in locked-down containers (see
    /// <see cref="ContainerIsolationProvider"/>). The engine makes the provider when it is built, owns and disposes it;
    /// before each run it checks that the Docker engine answers (<see cref="DockerUnavailableException"/> otherwise)
    /// and has the image, and sweeps what dead runs left.
    /// </summary>
    /// <remarks>The worktrees are the engine's: with
    /// <see cref="ParallelAgentsBuilder.UseWorktreeIsolation(Action{WorktreeIsolationOptions}?)"/>, its worktree
    /// provider (same branches, same folders); otherwise one on the repository of
    /// <see cref="ParallelAgentsBuilder.UseRepository(string, string)"/>. Set
    /// <see cref="ContainerIsolationOptions.Worktree"/> to choose otherwise (an empty repository path there is the
    /// builder's). Calling this again replaces the earlier configuration.</remarks>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets the <see cref="ContainerIsolationOptions"/>, at least
    /// <see cref="ContainerIsolationOptions.Image"/>; called once, now.</param>
    /// <returns>The builder.</returns>
    public static ParallelAgentsBuilder UseContainerIsolation(this ParallelAgentsBuilder builder, Action<ContainerIsolationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new ContainerIsolationOptions();
        configure(options);
        return builder.UseOwnedIsolation(new OwnedIsolation
        {
            Name = IsolationNames.Container,
            Validate = (context, problems) =>
            {
                FillWorktree(options, context);
                int before = problems.Count;
                options.Validate(problems, worktreeRequired: false);
                if (options.Worktree is null && context.WorktreeOptions is null && string.IsNullOrWhiteSpace(context.RepositoryPath))
                {
                    problems.Add("Container isolation needs a repository: call UseRepository(path, mainBranch), or set ContainerIsolationOptions.Worktree with its RepositoryPath.");
                }

                for (int i = before; i < problems.Count; i++)
                {
                    problems[i] = "Container isolation: " + problems[i];
                }
            },
            Create = context =>
            {
                WorktreeIsolationProvider? shared = options.Worktree is null ? context.Worktrees : null;
                if (shared is null && options.Worktree is null)
                {
                    options.Worktree = new WorktreeIsolationOptions { RepositoryPath = context.RepositoryPath!, BaseBranch = context.MainBranch };
                }

                return new ContainerIsolationProvider(options, shared, context.LoggerFactory, context.TimeProvider);
            },
        });
    }

    private static void FillWorktree(ContainerIsolationOptions options, OwnedIsolationContext context)
    {
        if (options.Worktree is { } worktree && string.IsNullOrWhiteSpace(worktree.RepositoryPath) && context.RepositoryPath is not null)
        {
            worktree.RepositoryPath = context.RepositoryPath;
            worktree.BaseBranch = context.MainBranch;
        }
    }
}
