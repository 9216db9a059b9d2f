namespace ParallelAgents.Sdk;

/// <summary>
/// Keeps up to a number of worktrees made in advance. A worktree taken is replaced in the background; making one is
/// the provider's work (<c>make</c>) and so is removing one (<c>remove</c>).
/// </summary>
/// <remarks>A plain lock guards the list: it is held for a few instructions, never across I/O.</remarks>
internal sealed class WarmPool(
    int size,
    Func<CancellationToken, Task<PooledWorktree>> make,
    Func<PooledWorktree, Task> remove,
    Action<Exception> onFillFailed) : IAsyncDisposable
{
    private readonly object _lock = new();
    private readonly Queue<PooledWorktree> _ready = new();
    private readonly List<Task> _filling = [];
    private readonly CancellationTokenSource _stop = new();
    private int _inFlight;
    private bool _disposed;

    public int ReadyCount
    {
        get
        {
            lock (_lock)
            {
                return _ready.Count;
            }
        }
    }

    public PooledWorktree? TryTake()
    {
        lock (_lock)
        {
            return _ready.TryDequeue(out PooledWorktree? item) ? item : null;
        }
    }

    /// <summary>Starts making worktrees in the background until the pool is full again.</summary>
    public void Refill()
    {
        lock (_lock)
        {
            while (!_disposed && _ready.Count + _inFlight < size)
            {
                _inFlight++;
                Task filling = Task.Run(FillOneAsync);
                _filling.Add(filling);
            }

            _filling.RemoveAll(t => t.IsCompleted);
        }
    }

    /// <summary>Fills the pool and waits until every worktree being made is ready.</summary>
    public async Task<int> WarmUpAsync(CancellationToken cancellationToken)
    {
        Refill();
        Task[] filling;
        lock (_lock)
        {
            filling = [.. _filling];
        }

        await Task.WhenAll(filling).WaitAsync(cancellationToken).ConfigureAwait(false);
        return ReadyCount;
    }

    public async ValueTask DisposeAsync()
    {
        Task[] filling;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            filling = [.. _filling];
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(filling).ConfigureAwait(false);
        while (TryTake() is { } item)
        {
            await remove(item).ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private async Task FillOneAsync()
    {
        PooledWorktree? made = null;
        try
        {
            made = await make(_stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // A pool that cannot fill must not take the process down; workspaces are made on demand.
        catch (Exception e)
#pragma warning restore CA1031
        {
            onFillFailed(e);
        }

        bool keep;
        lock (_lock)
        {
            _inFlight--;
            keep = made is not null && !_disposed;
            if (keep)
            {
                _ready.Enqueue(made!);
            }
        }

        if (!keep && made is not null)
        {
            await remove(made).ConfigureAwait(false);
        }
    }
}
