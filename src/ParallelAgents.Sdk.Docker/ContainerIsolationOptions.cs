using System.Globalization;

namespace ParallelAgents.Sdk.Docker;

/// <summary>How <see cref="ContainerIsolationProvider"/> makes the container each task's commands run in.</summary>
/// <remarks>
/// <para>The defaults lock the container down: no network but loopback, a user that is not root, a read-only root
/// filesystem with a writable <c>/tmp</c>, every Linux capability dropped, no new privileges (setuid programs do not
/// raise it), and limits on memory, CPU and the number of processes. Only <see cref="Environment"/> and each command's
/// own <see cref="CommandRequest.Environment"/> reach the container's environment: the host's variables (and so its
/// API keys) never do.</para>
/// <para>The provider copies the options when it is made; later changes to this instance do not reach it.</para>
/// </remarks>
public sealed class ContainerIsolationOptions
{
    /// <summary>The prefix of the labels the provider puts on what it makes; <see cref="Labels"/> may not use it.</summary>
    public const string LabelPrefix = "parallelagents.";

    /// <summary>The folder in the container where the task's worktree is mounted, and where commands run.</summary>
    public const string WorkspacePath = "/workspace";

    /// <summary>The image the containers are made from, such as <c>parallel-agents/agent:latest</c>; it must be on the
    /// engine already (the provider never pulls) and have <c>/bin/sh</c>. Build one with
    /// <see cref="ContainerImages.BuildImageAsync(string, string, IReadOnlyDictionary{string, string}?, string, string?, CancellationToken)"/>.</summary>
    /// <value>Required.</value>
    public string Image { get; set; } = "";

    /// <summary>Where the Docker engine (or a Docker-compatible engine such as Podman) answers:
    /// <c>unix:///path/to/socket</c>, or <c>tcp://host:port</c> (plain, without TLS) for an engine on another
    /// machine, which must see the worktree folders at the same paths.</summary>
    /// <value>The default, <see langword="null"/>, is the <c>DOCKER_HOST</c> environment variable when set, else
    /// <c>unix:///var/run/docker.sock</c>.</value>
    public string? Endpoint { get; set; }

    /// <summary>Which network the containers are on.</summary>
    /// <value>The default is <see cref="ContainerNetwork.None"/>: no network but loopback.</value>
    public ContainerNetwork Network { get; set; } = ContainerNetwork.None;

    /// <summary>The user commands run as in the container, as <c>uid:gid</c> (numbers, so that no
    /// <c>/etc/passwd</c> entry is needed). Files written in <c>/workspace</c> belong to this user.</summary>
    /// <value>The default, <see langword="null"/>, is the host user's own <c>uid:gid</c>, so that what the agent writes
    /// belongs to the user; when the host process runs as root, it is <c>1000:0</c> (not root, in root's group, as
    /// OpenShift does) and each worktree is made writable for its group. Any other user, given here, gets the worktree
    /// made writable for everyone (a warning is logged). Root (<c>0</c>) is refused.</value>
    public string? User { get; set; }

    /// <summary>Whether the container's root filesystem is read-only; <c>/tmp</c> is always a writable
    /// <c>tmpfs</c> (<see cref="TmpSizeBytes"/>) and <c>/workspace</c> the writable worktree.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool ReadOnlyRootFilesystem { get; set; } = true;

    /// <summary>The size of the writable <c>/tmp</c>, in bytes; it counts against <see cref="MemoryBytes"/> as it fills.</summary>
    /// <value>From 1 MiB. The default is 256 MiB.</value>
    public long TmpSizeBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>The most memory the container's processes may use together, in bytes, without swap; a process that
    /// allocates past it is killed (exit code 137) and the container goes on.</summary>
    /// <value>0 for no limit, or at least 6 MiB. The default is 2 GiB.</value>
    public long MemoryBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>How many CPUs the container may use, such as 1.5.</summary>
    /// <value>0 for no limit, or from 0.01. The default is 2.</value>
    public double Cpus { get; set; } = 2;

    /// <summary>The most processes (and threads) the container may have at once; a fork bomb meets it and stops.</summary>
    /// <value>0 for no limit, or at least 8. The default is 512.</value>
    public long PidsLimit { get; set; } = 512;

    /// <summary>Whether a tiny init (<c>docker-init</c>, Podman's <c>catatonit</c>) is the container's first process,
    /// reaping the processes commands leave behind so that none lingers as a zombie.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool UseInit { get; set; } = true;

    /// <summary>Whether commands run through a shell kept running in the container (started with the workspace's
    /// first command, one Docker exec with its input attached) instead of one Docker exec each, which costs the
    /// engine's exec setup every time. The guarantees are the same: timeout and cancellation kill everything the
    /// command started, output is capped, only the named variables reach it, same user, folder and exit codes. The
    /// server runs one command at a time; a command started while another runs goes through plain exec, as does
    /// every command when the image lacks what the server needs (<c>od</c>, <c>setsid</c>, <c>mkfifo</c>, <c>env</c>,
    /// which BusyBox and coreutils with util-linux have).</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool UseCommandServer { get; set; } = true;

    /// <summary>The command that keeps the container running between the agent's commands (it overrides the image's
    /// entry point and command).</summary>
    /// <value>The default is <c>sleep 2147483647</c>, which GNU and BusyBox <c>sleep</c> both accept.</value>
    public IList<string> KeepAliveCommand { get; set; } = ["sleep", "2147483647"];

    /// <summary>The variables every command in the container gets; a command's own
    /// <see cref="CommandRequest.Environment"/> overrides them. Nothing else of the host's environment reaches the
    /// container, so an API key is there only when it is named here or in a request.</summary>
    /// <value>The default is <c>HOME=/tmp</c> (the root filesystem is read-only) and <c>GIT_TERMINAL_PROMPT=0</c>.</value>
    public IDictionary<string, string> Environment { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["HOME"] = "/tmp",
        ["GIT_TERMINAL_PROMPT"] = "0",
    };

    /// <summary>Labels added to every container and network the provider makes, besides its own
    /// (<c>parallelagents.run-id</c>, <c>parallelagents.task-id</c>...).</summary>
    /// <value>The default is none. Keys may not start with <c>parallelagents.</c>.</value>
    public IDictionary<string, string> Labels { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>How the task's worktree is made (repository, branches, folders): the container provider makes it with
    /// the built-in <see cref="WorktreeIsolationProvider"/>, so it lands on the task's branch like any other.</summary>
    /// <value>The default, <see langword="null"/>, means the engine's: with
    /// <c>ParallelAgentsBuilder.UseContainerIsolation</c>, the engine's worktree provider when it has one, else a
    /// provider on the repository of <c>UseRepository</c>. A provider made directly needs it set, with its
    /// <see cref="WorktreeIsolationOptions.RepositoryPath"/>.</value>
    public WorktreeIsolationOptions? Worktree { get; set; }

    /// <summary>The default endpoint: <c>DOCKER_HOST</c> when set, else <c>unix:///var/run/docker.sock</c>.</summary>
    internal static string DefaultEndpoint =>
        System.Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";

    internal void Validate(List<string> problems, bool worktreeRequired)
    {
        if (string.IsNullOrWhiteSpace(Image))
        {
            problems.Add("Image is required: set ContainerIsolationOptions.Image to an image on the engine, such as 'parallel-agents/agent:latest' (build one with ContainerImages.BuildImageAsync).");
        }
        else if (Image.Any(char.IsWhiteSpace))
        {
            problems.Add($"Image '{Image}' must not contain spaces; give a name such as 'parallel-agents/agent:latest'.");
        }

        if (Endpoint is not null && DockerEndpoint.Check(Endpoint) is { } endpointProblem)
        {
            problems.Add($"Endpoint '{Endpoint}' {endpointProblem}.");
        }

        if (!Enum.IsDefined(Network))
        {
            problems.Add($"Network must be None, Internal or Bridge, not {Network}.");
        }

        if (User is not null && ContainerUser.Check(User) is { } userProblem)
        {
            problems.Add($"User '{User}' {userProblem}.");
        }

        if (TmpSizeBytes < 1024 * 1024)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"TmpSizeBytes must be at least 1 MiB (1048576), not {TmpSizeBytes}."));
        }

        if (MemoryBytes != 0 && MemoryBytes < 6 * 1024 * 1024)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"MemoryBytes must be 0 (no limit) or at least 6 MiB (6291456), not {MemoryBytes}; Docker refuses less."));
        }

        if (double.IsNaN(Cpus) || double.IsInfinity(Cpus) || Cpus < 0 || (Cpus > 0 && Cpus < 0.01))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Cpus must be 0 (no limit) or from 0.01, such as 1.5, not {Cpus}."));
        }

        if (PidsLimit != 0 && PidsLimit < 8)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"PidsLimit must be 0 (no limit) or at least 8 (the shell and its command need a few), not {PidsLimit}."));
        }

        if (KeepAliveCommand is null || KeepAliveCommand.Count == 0 || KeepAliveCommand.Any(string.IsNullOrEmpty))
        {
            problems.Add("KeepAliveCommand must be a non-empty list of non-empty arguments, such as [\"sleep\", \"2147483647\"].");
        }

        if (Environment is null)
        {
            problems.Add("Environment must not be null; use an empty dictionary for none.");
        }
        else
        {
            foreach ((string name, string value) in Environment)
            {
                if (!CommandEnvironmentOptions.IsValidName(name))
                {
                    problems.Add($"Environment has the name '{name}', which is not a variable name (it is empty or holds '=' or NUL).");
                }

                if (value is null || value.Contains('\0', StringComparison.Ordinal))
                {
                    problems.Add($"Environment['{name}'] must be a text without NUL characters; remove the entry to set nothing.");
                }
            }
        }

        if (Labels is null)
        {
            problems.Add("Labels must not be null; use an empty dictionary for none.");
        }
        else
        {
            foreach ((string key, string value) in Labels)
            {
                if (string.IsNullOrWhiteSpace(key) || key.StartsWith(LabelPrefix, StringComparison.OrdinalIgnoreCase))
                {
                    problems.Add($"Labels has the key '{key}'; keys must be non-empty and not start with '{LabelPrefix}', which the provider's own labels use.");
                }

                if (value is null)
                {
                    problems.Add($"Labels['{key}'] must not be null; use an empty text.");
                }
            }
        }

        if (Worktree is null)
        {
            if (worktreeRequired)
            {
                problems.Add("Worktree is required when the provider is made directly: set ContainerIsolationOptions.Worktree to WorktreeIsolationOptions with the RepositoryPath (or use ParallelAgentsBuilder.UseContainerIsolation, which takes the engine's).");
            }
        }
        else
        {
            Worktree.Validate(problems);
        }
    }

    internal ContainerIsolationOptions Clone() => new()
    {
        Image = Image,
        Endpoint = Endpoint,
        Network = Network,
        User = User,
        ReadOnlyRootFilesystem = ReadOnlyRootFilesystem,
        TmpSizeBytes = TmpSizeBytes,
        MemoryBytes = MemoryBytes,
        Cpus = Cpus,
        PidsLimit = PidsLimit,
        UseInit = UseInit,
        UseCommandServer = UseCommandServer,
        KeepAliveCommand = [.. KeepAliveCommand],
        Environment = new Dictionary<string, string>(Environment, StringComparer.Ordinal),
        Labels = new Dictionary<string, string>(Labels, StringComparer.Ordinal),
        Worktree = Worktree,
    };
}
