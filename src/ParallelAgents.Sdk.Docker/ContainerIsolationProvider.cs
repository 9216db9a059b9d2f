using System.Globalization;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ParallelAgents.Sdk.Docker;

/// <summary>
/// Container isolation (<c>isolation: container</c>): each attempt works in its own git worktree, as with
/// <see cref="WorktreeIsolationProvider"/>, and its commands run in a locked-down container that has the worktree
/// mounted at <c>/workspace</c>, so the agent's work lands on its branch like any other.
/// </summary>
/// <remarks>
/// <para>The container is made from <see cref="ContainerIsolationOptions.Image"/> (never pulled) and kept running
/// with <see cref="ContainerIsolationOptions.KeepAliveCommand"/>; each command is <c>/bin/sh -c &lt;command&gt;</c>, run
/// by a shell kept running in the container (<see cref="ContainerIsolationOptions.UseCommandServer"/>; one Docker exec
/// for the workspace's life) or through a Docker exec of its own, in <c>/workspace</c> (or the request's folder there),
/// with the same results as on the host:
/// output capped with head and tail, a timeout that kills every process the command started, and an environment of
/// only <see cref="ContainerIsolationOptions.Environment"/> and the request's own variables. The workspace's
/// <see cref="IAgentWorkspace.Files"/> and <see cref="IAgentWorkspace.CommitAsync"/> work on the worktree from the
/// host; the worktree's <c>.git</c> file is mounted read-only, so nothing in the container can point it elsewhere.</para>
/// <para>Locked down by default: no network but loopback, a user that is not root, a read-only root filesystem
/// with a writable <c>/tmp</c>, every capability dropped, no new privileges, and memory, CPU and process limits.</para>
/// <para>Every container (and a run's internal network) carries the labels <c>parallelagents.run-id</c>,
/// <c>parallelagents.task-id</c> and the owning process's id, start and host; disposing a workspace removes its
/// container (then its worktree; the branch is kept), and <see cref="SweepAsync"/> removes what runs no longer alive
/// left behind. The engine calls <see cref="StartRunAsync"/> before a run's first task: it checks that the engine
/// answers (<see cref="DockerUnavailableException"/> otherwise) and that the image is there, and sweeps.</para>
/// <para>Thread safety: every member may be called from several threads at once.</para>
/// </remarks>
public sealed class ContainerIsolationProvider : IIsolationProvider, IIsolationProviderLifecycle, IAsyncDisposable
{
    private readonly ContainerIsolationOptions _options;
    private readonly WorktreeIsolationProvider _worktrees;
    private readonly bool _ownsWorktrees;
    private readonly DockerEndpoint _docker;
    private readonly ContainerUser _user;
    private readonly WorktreeGrant _grant;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _networkGate = new(1, 1);
    private readonly Dictionary<string, string> _networks = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ContainerWorkspace, byte> _live = new();
    private Task? _available;
    private int _disposed;

    /// <summary>Makes the provider, with a worktree provider of its own on
    /// <see cref="ContainerIsolationOptions.Worktree"/>'s repository.</summary>
    /// <param name="options">The image, endpoint, limits and worktree options; copied, so later changes do not reach the provider.</param>
    /// <param name="loggerFactory">Where the provider logs; the default logs nothing.</param>
    /// <param name="timeProvider">The clock commits are dated by; the default is the system clock.</param>
    /// <exception cref="ParallelAgentsConfigurationException">The options are invalid; every problem is listed.</exception>
    public ContainerIsolationProvider(ContainerIsolationOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
        : this(Validated(options, worktreeRequired: true), worktrees: null, loggerFactory, timeProvider)
    {
    }

    /// <summary>Makes the provider on validated options; with <paramref name="worktrees"/> it shares that provider
    /// (the engine's) and does not dispose it.</summary>
    internal ContainerIsolationProvider(ContainerIsolationOptions options, WorktreeIsolationProvider? worktrees, ILoggerFactory? loggerFactory, TimeProvider? timeProvider)
    {
        _options = options.Clone();
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger("ParallelAgents.Isolation.Container");
        _worktrees = worktrees ?? new WorktreeIsolationProvider(_options.Worktree!, loggerFactory, timeProvider);
        _ownsWorktrees = worktrees is null;
        Endpoint = _options.Endpoint ?? ContainerIsolationOptions.DefaultEndpoint;
        _docker = new DockerEndpoint(Endpoint);
        ContainerUser? host = ContainerUser.Host();
        _user = _options.User is null ? ContainerUser.Default(host) : ContainerUser.Parse(_options.User);
        _grant = WorktreeAccess.For(_user, host);
    }

    /// <summary>The isolation name tasks use for this provider: <c>container</c>.</summary>
    public string Name => IsolationNames.Container;

    /// <summary>The Docker endpoint the provider talks to, such as <c>unix:///var/run/docker.sock</c>.</summary>
    public string Endpoint { get; }

    /// <summary>The image the containers are made from.</summary>
    public string Image => _options.Image;

    /// <summary>The user commands run as in the containers, as <c>uid:gid</c>.</summary>
    public string User => _user.ToString();

    /// <summary>The provider that makes the worktrees the containers work on.</summary>
    public WorktreeIsolationProvider Worktrees => _worktrees;

    /// <summary>Checks that a Docker engine answers at <see cref="Endpoint"/>.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the engine has answered.</returns>
    /// <exception cref="DockerUnavailableException">No engine answered; the message names the endpoint and what to do.</exception>
    public Task EnsureAvailableAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _docker.EnsureAvailableAsync(cancellationToken);
    }

    /// <summary>Before a run's first task: checks that the engine answers and has the image, then removes what dead
    /// runs left behind (containers, networks, and the worktrees of this provider's own worktree provider).</summary>
    /// <param name="runId">The run's id.</param>
    /// <param name="cancellationToken">Cancels the checks.</param>
    /// <returns>A task that completes when the provider is ready.</returns>
    /// <exception cref="DockerUnavailableException">No engine answered.</exception>
    /// <exception cref="InvalidOperationException">The image is not on the engine.</exception>
    public async ValueTask StartRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        await EnsureAvailableAsync(cancellationToken).ConfigureAwait(false);
        await EnsureImageAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SweepAsync(cancellationToken).ConfigureAwait(false);
            if (_ownsWorktrees)
            {
                await _worktrees.SweepAsync(cancellationToken).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // Leftovers of an earlier run must not stop this one; the sweeper runs again next time.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            ContainerLog.SweepFailed(_logger, ex);
        }
    }

    /// <summary>After a run: removes the run's internal network, if it had one.</summary>
    /// <param name="runId">The run's id.</param>
    /// <param name="cancellationToken">Cancels the cleanup.</param>
    /// <returns>A task that completes when the network is removed.</returns>
    public async ValueTask EndRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        string? network;
        await _networkGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_networks.Remove(runId, out network))
            {
                await RemoveNetworkAsync(runId, network).ConfigureAwait(false);
            }
        }
        finally
        {
            _networkGate.Release();
        }
    }

    /// <summary>Makes the task's worktree, then a container with it mounted at <c>/workspace</c>, and starts it.</summary>
    /// <param name="request">The run, task, attempt and lane, and optionally the base revision and branch.</param>
    /// <param name="cancellationToken">Cancels the creation; whatever was made is removed (a branch made is kept).</param>
    /// <returns>The workspace; dispose it to remove the container and the worktree (the branch is kept).</returns>
    /// <exception cref="DockerUnavailableException">No engine answered.</exception>
    /// <exception cref="InvalidOperationException">The image is not on the engine, the engine refused the container,
    /// or the worktree could not be made.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    public async ValueTask<IAgentWorkspace> CreateWorkspaceAsync(WorkspaceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await CheckOnFirstUseAsync(cancellationToken).ConfigureAwait(false);

        IAgentWorkspace worktree = await _worktrees.CreateWorkspaceAsync(request, cancellationToken).ConfigureAwait(false);
        string? containerId = null;
        try
        {
            if (_grant == WorktreeGrant.Everyone)
            {
                ContainerLog.WorldWritable(_logger, User, worktree.RootPath);
            }

            await Task.Run(() => WorktreeAccess.Grant(worktree.RootPath, _grant), cancellationToken).ConfigureAwait(false);
            string network = await NetworkForAsync(request.RunId, cancellationToken).ConfigureAwait(false);
            string name = ContainerName(request);
            CreateContainerResponse created;
            try
            {
                created = await _docker.Client.Containers.CreateContainerAsync(Parameters(request, worktree, name, network), cancellationToken).ConfigureAwait(false);
            }
            catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                throw new InvalidOperationException(ImageMissing(), ex);
            }

            containerId = created.ID;
            await _docker.Client.Containers.StartContainerAsync(containerId, new ContainerStartParameters(), cancellationToken).ConfigureAwait(false);
            var workspace = new ContainerWorkspace(this, worktree, containerId, name);
            _live.TryAdd(workspace, 0);
            ContainerLog.Created(_logger, name, containerId, Image, request.Task.Id, request.RunId, worktree.RootPath);
            return workspace;
        }
        catch (Exception ex)
        {
            if (containerId is not null)
            {
                await RemoveContainerAsync(containerId).ConfigureAwait(false);
            }

            await worktree.DisposeAsync().ConfigureAwait(false);
            if (ex is DockerApiException api)
            {
                throw new InvalidOperationException(
                    $"The Docker engine at {Endpoint} refused the container for task '{request.Task.Id}': {api.Message}", api);
            }

            if (ex is HttpRequestException or IOException or TimeoutException)
            {
                throw DockerUnavailableException.At(Endpoint, ex);
            }

            throw;
        }
    }

    /// <summary>Removes the containers and internal networks the provider made (on any machine's process) whose
    /// owning process has ended: a run that was killed, or that ended without disposing its workspaces. What a
    /// process still running made is never touched, nor anything on the engine without the provider's labels.</summary>
    /// <param name="cancellationToken">Stops the sweep between removals.</param>
    /// <returns>What was removed.</returns>
    /// <exception cref="DockerUnavailableException">No engine answered.</exception>
    public async Task<IReadOnlyList<SweptContainer>> SweepAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var swept = new List<SweptContainer>();
        IList<ContainerListResponse> containers;
        IList<NetworkResponse> networks;
        try
        {
            containers = await _docker.Client.Containers.ListContainersAsync(
                new ContainersListParameters { All = true, Filters = ContainerLabels.ManagedFilter() }, cancellationToken).ConfigureAwait(false);
            networks = await _docker.Client.Networks.ListNetworksAsync(
                new NetworksListParameters { Filters = ContainerLabels.ManagedFilter() }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TimeoutException)
        {
            throw DockerUnavailableException.At(Endpoint, ex);
        }

        foreach (ContainerListResponse container in containers)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DeadOwner(container.Labels) is not { } reason)
            {
                continue;
            }

            if (await RemoveContainerAsync(container.ID).ConfigureAwait(false))
            {
                swept.Add(new SweptContainer
                {
                    Id = container.ID,
                    Name = container.Names?.FirstOrDefault()?.TrimStart('/') ?? container.ID,
                    RunId = LabelOf(container.Labels, ContainerLabels.RunId),
                    TaskId = LabelOf(container.Labels, ContainerLabels.TaskId),
                    Reason = reason,
                });
            }
        }

        foreach (NetworkResponse network in networks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DeadOwner(network.Labels) is not { } reason)
            {
                continue;
            }

            try
            {
                await _docker.Client.Networks.DeleteNetworkAsync(network.ID, cancellationToken).ConfigureAwait(false);
            }
            catch (DockerNetworkNotFoundException)
            {
                // Another sweeper (any run's start sweeps) removed it after the list was taken: it is gone, as a
                // container found already removed is.
            }
            catch (DockerApiException ex)
            {
                ContainerLog.NetworkRemoveFailed(_logger, network.Name, LabelOf(network.Labels, ContainerLabels.RunId) ?? "?", ex);
                continue;
            }

            swept.Add(new SweptContainer
            {
                Id = network.ID,
                Name = network.Name,
                IsNetwork = true,
                RunId = LabelOf(network.Labels, ContainerLabels.RunId),
                Reason = reason,
            });
        }

        foreach (SweptContainer item in swept)
        {
            ContainerLog.Swept(_logger, item);
        }

        return swept;
    }

    /// <summary>Removes the containers of workspaces not yet disposed (their worktrees too; branches are kept), the
    /// networks the provider made, and its own worktree provider.</summary>
    /// <returns>A task that completes when everything is removed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (ContainerWorkspace workspace in _live.Keys.ToList())
        {
            await workspace.DisposeAsync().ConfigureAwait(false);
        }

        await _networkGate.WaitAsync().ConfigureAwait(false);
        try
        {
            foreach ((string runId, string network) in _networks)
            {
                await RemoveNetworkAsync(runId, network).ConfigureAwait(false);
            }

            _networks.Clear();
        }
        finally
        {
            _networkGate.Release();
        }

        if (_ownsWorktrees)
        {
            await _worktrees.DisposeAsync().ConfigureAwait(false);
        }

        _docker.Dispose();
    }

    internal static ContainerIsolationOptions Validated(ContainerIsolationOptions options, bool worktreeRequired)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        options.Validate(problems, worktreeRequired);
        return problems.Count == 0 ? options : throw new ParallelAgentsConfigurationException(problems);
    }

    internal async Task<CommandResult> ExecuteAsync(ContainerWorkspace workspace, string workingDirectory, CommandRequest request, CancellationToken cancellationToken)
    {
        if (workspace.Server is { } server
            && await server.TryRunAsync(workingDirectory, request, cancellationToken).ConfigureAwait(false) is { } served)
        {
            return served;
        }

        return await ContainerCommandRunner.RunAsync(_docker.Client, workspace.ContainerId, User, workingDirectory, request, cancellationToken).ConfigureAwait(false);
    }

    internal ContainerCommandServer? NewCommandServer(string containerId) =>
        _options.UseCommandServer ? new ContainerCommandServer(_docker.Client, containerId, User, _logger) : null;

    internal async Task RemoveContainerAsync(ContainerWorkspace workspace)
    {
        _live.TryRemove(workspace, out _);
        if (workspace.Server is { } server)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }

        if (await RemoveContainerAsync(workspace.ContainerId).ConfigureAwait(false))
        {
            ContainerLog.Removed(_logger, workspace.ContainerName, workspace.ContainerId);
        }
    }

    /// <summary>Force-removes a container (its processes are killed); one already gone counts as removed.</summary>
    private async Task<bool> RemoveContainerAsync(string containerId)
    {
        try
        {
            await _docker.Client.Containers.RemoveContainerAsync(
                containerId, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (DockerContainerNotFoundException)
        {
            return true;
        }
        catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // "removal already in progress": another sweeper or disposal is removing it.
            return true;
        }
        catch (Exception ex) when (ex is DockerApiException or HttpRequestException or IOException or TimeoutException)
        {
            ContainerLog.RemoveFailed(_logger, containerId, ex);
            return false;
        }
    }

    private Task CheckOnFirstUseAsync(CancellationToken cancellationToken)
    {
        // One check for every workspace of the provider; a failed check is forgotten so that the next call tries again.
        Task? check = Volatile.Read(ref _available);
        if (check is null || check.IsFaulted || check.IsCanceled)
        {
            check = _docker.EnsureAvailableAsync(CancellationToken.None);
            Volatile.Write(ref _available, check);
        }

        return check.WaitAsync(cancellationToken);
    }

    private async Task EnsureImageAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _docker.Client.Images.InspectImageAsync(Image, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerImageNotFoundException ex)
        {
            throw new InvalidOperationException(ImageMissing(), ex);
        }
        catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            throw new InvalidOperationException(ImageMissing(), ex);
        }
    }

    private string ImageMissing() =>
        $"The image '{Image}' is not on the Docker engine at {Endpoint}, and the container provider never pulls. Build it there " +
        "(ContainerImages.BuildImageAsync, or docker build -t " + Image + " <folder>), load it (docker load), or set ContainerIsolationOptions.Image to an image the engine has (docker images).";

    private CreateContainerParameters Parameters(WorkspaceRequest request, IAgentWorkspace worktree, string name, string network)
    {
        Dictionary<string, string> labels = ContainerLabels.For(request.RunId, _options.Labels);
        labels[ContainerLabels.TaskId] = request.Task.Id;
        labels[ContainerLabels.Attempt] = request.Attempt.ToString(CultureInfo.InvariantCulture);
        labels[ContainerLabels.Lane] = request.Lane.ToString(CultureInfo.InvariantCulture);
        if (worktree.Branch is not null)
        {
            labels[ContainerLabels.Branch] = worktree.Branch;
        }

        var host = new HostConfig
        {
            Mounts =
            [
                new Mount { Type = "bind", Source = worktree.RootPath, Target = ContainerIsolationOptions.WorkspacePath },
                // Over the worktree's .git file, read-only: a command cannot point the host's next commit at another repository.
                new Mount { Type = "bind", Source = Path.Combine(worktree.RootPath, ".git"), Target = ContainerIsolationOptions.WorkspacePath + "/.git", ReadOnly = true },
            ],
            NetworkMode = network,
            ReadonlyRootfs = _options.ReadOnlyRootFilesystem,
            Tmpfs = new Dictionary<string, string>
            {
                // Owned by the container's user: Docker gives the tmpfs the mode of the image's own /tmp (often 755,
                // root's), whatever mode= says, so a non-root user could not write it otherwise.
                ["/tmp"] = string.Create(CultureInfo.InvariantCulture, $"rw,nosuid,nodev,size={_options.TmpSizeBytes},mode=1777,uid={_user.Uid},gid={_user.Gid}"),
            },
            CapDrop = ["ALL"],
            SecurityOpt = ["no-new-privileges"],
            Memory = _options.MemoryBytes,
            // Swap equal to memory: no swap on top of the limit, so an allocation past it is killed, not slowed.
            MemorySwap = _options.MemoryBytes,
            NanoCPUs = (long)Math.Round(_options.Cpus * 1_000_000_000),
            PidsLimit = _options.PidsLimit == 0 ? null : _options.PidsLimit,
            Init = _options.UseInit,
            RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.No },
        };

        return new CreateContainerParameters
        {
            Name = name,
            Image = Image,
            User = User,
            WorkingDir = ContainerIsolationOptions.WorkspacePath,
            Entrypoint = [.. _options.KeepAliveCommand],
            Cmd = [],
            Env = [.. _options.Environment.Select(v => v.Key + "=" + v.Value)],
            Labels = labels,
            NetworkDisabled = _options.Network == ContainerNetwork.None,
            HostConfig = host,
        };
    }

    private static string ContainerName(WorkspaceRequest request)
    {
        var name = new StringBuilder("parallelagents-");
        foreach (char c in request.Task.Id)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c : '-');
        }

        name.Append(CultureInfo.InvariantCulture, $"-{request.Lane + 1}-{request.Attempt}-{Guid.NewGuid().ToString("N")[..8]}");
        return name.ToString();
    }

    private async Task<string> NetworkForAsync(string runId, CancellationToken cancellationToken)
    {
        switch (_options.Network)
        {
            case ContainerNetwork.None:
                return "none";
            case ContainerNetwork.Bridge:
                return "bridge";
        }

        await _networkGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_networks.TryGetValue(runId, out string? existing))
            {
                return existing;
            }

            string name = "parallelagents-" + runId;
            NetworksCreateResponse created = await _docker.Client.Networks.CreateNetworkAsync(
                new NetworksCreateParameters
                {
                    Name = name,
                    Driver = "bridge",
                    Internal = true,
                    CheckDuplicate = true,
                    Labels = ContainerLabels.For(runId, _options.Labels),
                },
                cancellationToken).ConfigureAwait(false);
            _networks[runId] = created.ID;
            return created.ID;
        }
        finally
        {
            _networkGate.Release();
        }
    }

    private async Task RemoveNetworkAsync(string runId, string network)
    {
        try
        {
            await _docker.Client.Networks.DeleteNetworkAsync(network, CancellationToken.None).ConfigureAwait(false);
        }
        catch (DockerNetworkNotFoundException)
        {
        }
        catch (Exception ex) when (ex is DockerApiException or HttpRequestException or IOException or TimeoutException)
        {
            ContainerLog.NetworkRemoveFailed(_logger, network, runId, ex);
        }
    }

    private static string? LabelOf(IDictionary<string, string>? labels, string key) =>
        labels is not null && labels.TryGetValue(key, out string? value) ? value : null;

    private static string? DeadOwner(IDictionary<string, string>? labels)
    {
        if (ContainerLabels.OwnerOf(labels) is not { } owner || owner.IsAlive())
        {
            return null;
        }

        return string.Create(CultureInfo.InvariantCulture, $"process {owner.ProcessId} that made it has ended");
    }
}
