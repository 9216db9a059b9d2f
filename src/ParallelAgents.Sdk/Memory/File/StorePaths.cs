namespace ParallelAgents.Sdk;

/// <summary>The files of one file-backed store, all beside the snapshot and named after it.</summary>
/// <remarks>For <c>shared-memory/agent_memory.json</c>: <c>agent_memory.json</c> (the snapshot users read),
/// <c>agent_memory.previous.json</c> (the snapshot before it), <c>agent_memory.journal</c> (writes since the snapshot),
/// <c>agent_memory.previous.journal</c> (writes between the two snapshots), <c>agent_memory.json.tmp</c> (a snapshot
/// being written) and <c>agent_memory.lock</c>.</remarks>
internal sealed class StorePaths
{
    public StorePaths(string snapshotPath)
    {
        Snapshot = Path.GetFullPath(snapshotPath);
        Directory = Path.GetDirectoryName(Snapshot) ?? throw new ArgumentException($"The shared memory path '{snapshotPath}' has no folder.", nameof(snapshotPath));
        string name = Path.GetFileNameWithoutExtension(Snapshot);
        string extension = Path.GetExtension(Snapshot);
        if (extension.Length == 0 || string.Equals(extension, ".journal", StringComparison.OrdinalIgnoreCase))
        {
            extension = ".json";
        }

        PreviousSnapshot = Path.Combine(Directory, name + ".previous" + extension);
        SnapshotTemp = Snapshot + ".tmp";
        Journal = Path.Combine(Directory, name + ".journal");
        PreviousJournal = Path.Combine(Directory, name + ".previous.journal");
        Lock = Path.Combine(Directory, name + ".lock");
    }

    public string Directory { get; }

    public string Snapshot { get; }

    public string PreviousSnapshot { get; }

    public string SnapshotTemp { get; }

    public string Journal { get; }

    public string PreviousJournal { get; }

    public string Lock { get; }

    /// <summary>A free name beside <paramref name="path"/> for a damaged file kept for inspection.</summary>
    public static string CorruptName(string path, DateTimeOffset now)
    {
        string stamp = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        string candidate = $"{path}.corrupt-{stamp}";
        for (int i = 2; File.Exists(candidate); i++)
        {
            candidate = $"{path}.corrupt-{stamp}-{i}";
        }

        return candidate;
    }
}
