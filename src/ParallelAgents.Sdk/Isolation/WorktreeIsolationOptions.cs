namespace ParallelAgents.Sdk;

/// <summary>How the built-in worktree isolation (<see cref="WorktreeIsolationProvider"/>) makes its workspaces.</summary>
/// <remarks>
/// The provider copies the options when it is made; later changes to this instance do not reach it.
/// </remarks>
public sealed class WorktreeIsolationOptions
{
    /// <summary>The placeholder in <see cref="AuthorName"/> and <see cref="AuthorEmail"/> replaced by the task's id.</summary>
    public const string TaskPlaceholder = "{task}";

    /// <summary>The git repository the agents work on: its working tree (the folder that holds <c>.git</c>) or any
    /// folder inside it.</summary>
    /// <value>Required. A non-bare repository.</value>
    public string RepositoryPath { get; set; } = "";

    /// <summary>The branch workspaces start from when a request names no base revision.</summary>
    /// <value>A valid branch name. The default is <c>main</c>.</value>
    public string BaseBranch { get; set; } = "main";

    /// <summary>What a task's branch name starts with: a task <c>backend-api</c> works on <c>agent/backend-api</c>.</summary>
    /// <value>Empty or a valid start of a branch name. The default is <c>agent/</c>.</value>
    public string BranchPrefix { get; set; } = "agent/";

    /// <summary>The folder the worktrees are made in, one sub-folder per workspace.</summary>
    /// <value>The default, <see langword="null"/>, is a folder beside the repository named after it:
    /// <c>/src/shop</c> gets <c>/src/shop.worktrees</c>, outside the user's working tree. A relative path is taken
    /// from the repository's root. A folder inside the working tree is added to <c>.git/info/exclude</c> so that git
    /// ignores it.</value>
    public string? WorktreesDirectory { get; set; }

    /// <summary>The name agents commit under; <c>{task}</c> is replaced by the task's id.</summary>
    /// <value>Non-empty, without <c>&lt;</c>, <c>&gt;</c> or line breaks. The default is <c>ParallelAgents ({task})</c>.</value>
    public string AuthorName { get; set; } = "ParallelAgents (" + TaskPlaceholder + ")";

    /// <summary>The e-mail address agents commit under; <c>{task}</c> is replaced by the task's id.</summary>
    /// <value>Non-empty, without <c>&lt;</c>, <c>&gt;</c>, spaces or line breaks. The default is
    /// <c>{task}@agents.parallelagents.invalid</c>, which no mail server answers.</value>
    public string AuthorEmail { get; set; } = TaskPlaceholder + "@agents.parallelagents.invalid";

    /// <summary>Files of the user's working tree that git does not track (such as <c>.env</c>) copied into every new
    /// worktree. Each entry is a path relative to the repository's root, with <c>/</c> separators; <c>*</c> and
    /// <c>?</c> match within one folder name and <c>**</c> matches any number of folders (<c>config/*.local.json</c>,
    /// <c>**/.env</c>).</summary>
    /// <value>The default is none. Files the base commit tracks are never copied, and copied files are never
    /// committed by <see cref="IAgentWorkspace.CommitAsync"/>.</value>
    public IList<string> CopyUntrackedFiles { get; } = new List<string>();

    /// <summary>A folder shared by every worktree's package-manager caches, so that ten agents do not download the
    /// same packages ten times. When set, every command run in a workspace gets <c>npm_config_cache</c>,
    /// <c>npm_config_store_dir</c> (pnpm), <c>YARN_CACHE_FOLDER</c>, <c>PIP_CACHE_DIR</c>, <c>NUGET_PACKAGES</c>,
    /// <c>GOMODCACHE</c> and <c>GOCACHE</c> pointing into it, unless <see cref="CommandEnvironment"/> or the command's
    /// own request sets them.</summary>
    /// <value>The default, <see langword="null"/>, leaves each tool's cache where the tool puts it. A relative path is
    /// taken from the repository's root.</value>
    public string? DependencyCacheDirectory { get; set; }

    /// <summary>Which environment variables commands run in a workspace see: secrets removed, variables allowed
    /// through, variables added.</summary>
    /// <value>The default is <see cref="CommandEnvironmentOptions"/>'s own defaults.</value>
    public CommandEnvironmentOptions CommandEnvironment { get; set; } = new();

    /// <summary>How many worktrees the provider keeps made in advance (checked out at the tip of
    /// <see cref="BaseBranch"/>), so that an agent's workspace is ready without waiting for a checkout. A handed-out
    /// worktree is replaced in the background.</summary>
    /// <value>From 0 to 64. The default is 0: every workspace is made when it is asked for.</value>
    public int WarmPoolSize { get; set; }

    internal const int MaxWarmPoolSize = 64;

    internal void Validate(List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(RepositoryPath))
        {
            problems.Add("RepositoryPath is required: set it to the folder of the git repository the agents work on.");
        }

        if (string.IsNullOrWhiteSpace(BaseBranch) || !GitNames.IsValidBranchName(BaseBranch))
        {
            problems.Add($"BaseBranch must be a valid branch name such as 'main', not '{BaseBranch}'.");
        }

        if (BranchPrefix is null || (BranchPrefix.Length > 0 && !GitNames.IsValidBranchName(BranchPrefix + "task")))
        {
            problems.Add($"BranchPrefix must be empty or the valid start of a branch name such as 'agent/', not '{BranchPrefix}'.");
        }

        if (string.IsNullOrWhiteSpace(AuthorName) || AuthorName.Any(c => c is '<' or '>' or '\r' or '\n'))
        {
            problems.Add($"AuthorName must be non-empty text without '<', '>' or line breaks, not '{AuthorName}'.");
        }

        if (string.IsNullOrWhiteSpace(AuthorEmail) || AuthorEmail.Any(c => c is '<' or '>' or '\r' or '\n' or ' ' or '\t'))
        {
            problems.Add($"AuthorEmail must be a non-empty address without '<', '>', spaces or line breaks, not '{AuthorEmail}'.");
        }

        if (WorktreesDirectory is not null && string.IsNullOrWhiteSpace(WorktreesDirectory))
        {
            problems.Add("WorktreesDirectory must be null (a folder beside the repository) or a folder path, not blank.");
        }

        if (DependencyCacheDirectory is not null && string.IsNullOrWhiteSpace(DependencyCacheDirectory))
        {
            problems.Add("DependencyCacheDirectory must be null (no shared cache) or a folder path, not blank.");
        }

        if (CopyUntrackedFiles is null)
        {
            problems.Add("CopyUntrackedFiles must not be null.");
        }
        else
        {
            for (int i = 0; i < CopyUntrackedFiles.Count; i++)
            {
                string? pattern = CopyUntrackedFiles[i];
                if (UntrackedFileCopier.Check(pattern) is { } problem)
                {
                    problems.Add($"CopyUntrackedFiles[{i}] ('{pattern}') {problem}.");
                }
            }
        }

        if (CommandEnvironment is null)
        {
            problems.Add("CommandEnvironment must not be null.");
        }
        else
        {
            CommandEnvironment.Validate(problems);
        }

        if (WarmPoolSize is < 0 or > MaxWarmPoolSize)
        {
            problems.Add($"WarmPoolSize must be from 0 to 64, not {WarmPoolSize}.");
        }
    }
}
