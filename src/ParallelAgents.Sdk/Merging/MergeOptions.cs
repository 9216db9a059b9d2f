namespace ParallelAgents.Sdk;

/// <summary>How a <see cref="BranchMerger"/> brings tasks' branches into the main branch.</summary>
/// <remarks>The merger copies the options when it is made; later changes to this instance do not reach it.</remarks>
public sealed class MergeOptions
{
    /// <summary>The git repository: its working tree (the folder that holds <c>.git</c>), any folder inside it, or a
    /// bare repository's folder.</summary>
    /// <value>Required.</value>
    public string RepositoryPath { get; set; } = "";

    /// <summary>The branch the tasks' work is merged into.</summary>
    /// <value>A valid branch name that exists in the repository. The default is <c>main</c>.</value>
    public string MainBranch { get; set; } = "main";

    /// <summary>How each branch is brought into the main branch.</summary>
    /// <value>The default is <see cref="MergeStrategy.MergeCommit"/>.</value>
    public MergeStrategy Strategy { get; set; } = MergeStrategy.MergeCommit;

    /// <summary>Commands run on every merged tree, in an integration worktree, before the main branch advances (such as
    /// <c>npm test</c>); a merge whose command fails does not reach the main branch and ends
    /// <see cref="MergeStatus.VerifyFailed"/>. They run in order, by the shell, from the worktree's root.</summary>
    /// <value>The default is none: merges are not verified.</value>
    public IList<string> VerifyCommands { get; } = new List<string>();

    /// <summary>How long each verify command may run before it is killed and counts as failed.</summary>
    /// <value>Positive. The default is 10 minutes.</value>
    public TimeSpan VerifyTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The folder where <c>merge_&lt;task-id&gt;_&lt;timestamp&gt;.json</c> and
    /// <c>merge_summary_&lt;timestamp&gt;.txt</c> are written; it is created when needed.</summary>
    /// <value>A path relative to the repository's root, or absolute; <see langword="null"/> writes no reports. The
    /// default is <c>reports</c>.</value>
    public string? ReportsDirectory { get; set; } = "reports";

    /// <summary>Which environment variables verify commands see: secrets removed, variables allowed through, variables
    /// added.</summary>
    /// <value>The default is <see cref="CommandEnvironmentOptions"/>'s own defaults.</value>
    public CommandEnvironmentOptions CommandEnvironment { get; set; } = new();

    /// <summary>The folder the integration worktree (where verify commands run) is made in.</summary>
    /// <value>The default, <see langword="null"/>, is the folder beside the repository that the worktree isolation
    /// uses: <c>/src/shop</c> gets <c>/src/shop.worktrees</c>. A relative path is taken from the repository's
    /// root.</value>
    public string? WorktreesDirectory { get; set; }

    /// <summary>The name merge commits are written under (author and committer).</summary>
    /// <value>Non-empty, without <c>&lt;</c>, <c>&gt;</c> or line breaks. The default is <c>ParallelAgents</c>.</value>
    public string CommitterName { get; set; } = "ParallelAgents";

    /// <summary>The e-mail address merge commits are written under.</summary>
    /// <value>Non-empty, without <c>&lt;</c>, <c>&gt;</c>, spaces or line breaks. The default is
    /// <c>merge@agents.parallelagents.invalid</c>, which no mail server answers.</value>
    public string CommitterEmail { get; set; } = "merge@agents.parallelagents.invalid";

    /// <summary>Whether the user's working tree is updated when the main branch is checked out there and advances. A
    /// working tree with uncommitted changes (staged, modified or deleted files, or untracked files in the way of the
    /// merge) is never touched: the main branch still advances and the result says so.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool UpdateWorkingTree { get; set; } = true;

    /// <summary>How many times one merge asks the conflict resolvers. A new round starts when the main branch moved
    /// while a resolution was checked and the merge, computed again, conflicts again.</summary>
    /// <value>From 1 to 100. The default is 3.</value>
    public int MaxResolutionRounds { get; set; } = 3;

    /// <summary>How many times one merge is computed again because the main branch moved between computing the merge
    /// and advancing the branch (another process committed to it).</summary>
    /// <value>From 1 to 1,000. The default is 10.</value>
    public int MaxMainBranchRetries { get; set; } = 10;

    /// <summary>Where the merger logs each merge's outcome, lost races on the main branch and refused resolutions.</summary>
    /// <value>The default is <see cref="Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance"/>.</value>
    public Microsoft.Extensions.Logging.ILoggerFactory LoggerFactory { get; set; } = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;

    /// <summary>What is redacted from reports and results (verify output, messages, resolvers' answers): the engine
    /// sets its own; a merger made on its own redacts strings that look like API keys.</summary>
    internal SecretRedactor Redactor { get; set; } = SecretRedactor.PatternsOnly;

    /// <summary>Where timestamps of commits and reports come from.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks the options and lists every problem found.</summary>
    /// <exception cref="ParallelAgentsConfigurationException">The options are invalid; every problem is listed.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        Validate(problems);
        if (problems.Count > 0)
        {
            throw new ParallelAgentsConfigurationException(problems);
        }
    }

    private static readonly System.Buffers.SearchValues<char> NameForbidden = System.Buffers.SearchValues.Create("<>\r\n");
    private static readonly System.Buffers.SearchValues<char> EmailForbidden = System.Buffers.SearchValues.Create("<> \t\r\n");

    internal void Validate(List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(RepositoryPath))
        {
            problems.Add("MergeOptions.RepositoryPath must name the git repository to merge into.");
        }

        if (!RefStore.IsValidBranchName(MainBranch))
        {
            problems.Add($"MergeOptions.MainBranch '{MainBranch}' is not a valid branch name; use one such as 'main'.");
        }

        if (!Enum.IsDefined(Strategy))
        {
            problems.Add($"MergeOptions.Strategy must be MergeCommit, Squash or FastForward, not {Strategy}.");
        }

        for (int i = 0; i < VerifyCommands.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(VerifyCommands[i]))
            {
                problems.Add($"MergeOptions.VerifyCommands[{i}] is blank; give a command such as 'npm test' or remove it.");
            }
        }

        if (VerifyTimeout <= TimeSpan.Zero)
        {
            problems.Add($"MergeOptions.VerifyTimeout must be positive, not {VerifyTimeout}.");
        }

        if (ReportsDirectory is not null && (string.IsNullOrWhiteSpace(ReportsDirectory) || ReportsDirectory.IndexOfAny(Path.GetInvalidPathChars()) >= 0))
        {
            problems.Add($"MergeOptions.ReportsDirectory must be null (no reports) or a folder path, not '{ReportsDirectory}'.");
        }

        if (WorktreesDirectory is not null && (string.IsNullOrWhiteSpace(WorktreesDirectory) || WorktreesDirectory.IndexOfAny(Path.GetInvalidPathChars()) >= 0))
        {
            problems.Add($"MergeOptions.WorktreesDirectory must be null (a folder beside the repository) or a folder path, not '{WorktreesDirectory}'.");
        }

        if (string.IsNullOrWhiteSpace(CommitterName) || CommitterName.AsSpan().IndexOfAny(NameForbidden) >= 0)
        {
            problems.Add($"MergeOptions.CommitterName must be non-empty, without '<', '>' or line breaks, not '{CommitterName}'.");
        }

        if (string.IsNullOrWhiteSpace(CommitterEmail) || CommitterEmail.AsSpan().IndexOfAny(EmailForbidden) >= 0)
        {
            problems.Add($"MergeOptions.CommitterEmail must be non-empty, without '<', '>', spaces or line breaks, not '{CommitterEmail}'.");
        }

        if (MaxResolutionRounds is < 1 or > 100)
        {
            problems.Add($"MergeOptions.MaxResolutionRounds must be from 1 to 100, not {MaxResolutionRounds}.");
        }

        if (MaxMainBranchRetries is < 1 or > 1000)
        {
            problems.Add($"MergeOptions.MaxMainBranchRetries must be from 1 to 1,000, not {MaxMainBranchRetries}.");
        }

        if (CommandEnvironment is null)
        {
            problems.Add("MergeOptions.CommandEnvironment must not be null.");
        }
        else
        {
            CommandEnvironment.Validate(problems);
        }

        if (LoggerFactory is null)
        {
            problems.Add("MergeOptions.LoggerFactory must not be null; use NullLoggerFactory.Instance.");
        }

        if (TimeProvider is null)
        {
            problems.Add("MergeOptions.TimeProvider must not be null; use TimeProvider.System.");
        }
    }

    internal MergeOptions Clone()
    {
        var copy = new MergeOptions
        {
            RepositoryPath = RepositoryPath,
            MainBranch = MainBranch,
            Strategy = Strategy,
            VerifyTimeout = VerifyTimeout,
            ReportsDirectory = ReportsDirectory,
            WorktreesDirectory = WorktreesDirectory,
            CommitterName = CommitterName,
            CommitterEmail = CommitterEmail,
            UpdateWorkingTree = UpdateWorkingTree,
            MaxResolutionRounds = MaxResolutionRounds,
            MaxMainBranchRetries = MaxMainBranchRetries,
            TimeProvider = TimeProvider,
            LoggerFactory = LoggerFactory,
            Redactor = Redactor,
            CommandEnvironment = CommandEnvironment.Clone(),
        };
        foreach (string command in VerifyCommands)
        {
            copy.VerifyCommands.Add(command);
        }

        return copy;
    }
}
