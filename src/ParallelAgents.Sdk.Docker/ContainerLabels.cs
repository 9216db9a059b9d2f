using System.Globalization;

namespace ParallelAgents.Sdk.Docker;

/// <summary>The labels on every container and network the provider makes: which run and task, and which process owns
/// them (its id, start and host, as the worktree locks name it), so that a sweeper can tell a dead run's leftovers.</summary>
internal static class ContainerLabels
{
    public const string Managed = ContainerIsolationOptions.LabelPrefix + "managed";
    public const string RunId = ContainerIsolationOptions.LabelPrefix + "run-id";
    public const string TaskId = ContainerIsolationOptions.LabelPrefix + "task-id";
    public const string Attempt = ContainerIsolationOptions.LabelPrefix + "attempt";
    public const string Lane = ContainerIsolationOptions.LabelPrefix + "lane";
    public const string Branch = ContainerIsolationOptions.LabelPrefix + "branch";
    public const string OwnerPid = ContainerIsolationOptions.LabelPrefix + "owner-pid";
    public const string OwnerStart = ContainerIsolationOptions.LabelPrefix + "owner-start";
    public const string OwnerHost = ContainerIsolationOptions.LabelPrefix + "owner-host";

    /// <summary>The docker filter that finds everything the provider made.</summary>
    public static IDictionary<string, IDictionary<string, bool>> ManagedFilter() =>
        new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [Managed + "=true"] = true } };

    public static Dictionary<string, string> For(string runId, IDictionary<string, string> extra)
    {
        ProcessIdentity owner = ProcessIdentity.Current;
        var labels = new Dictionary<string, string>(extra, StringComparer.Ordinal)
        {
            [Managed] = "true",
            [RunId] = runId,
            [OwnerPid] = owner.ProcessId.ToString(CultureInfo.InvariantCulture),
            [OwnerStart] = owner.StartToken,
            [OwnerHost] = owner.Host,
        };
        return labels;
    }

    /// <summary>The process that owns what carries these labels, or <see langword="null"/> when they do not say.</summary>
    public static ProcessIdentity? OwnerOf(IDictionary<string, string>? labels)
    {
        if (labels is null
            || !labels.TryGetValue(OwnerPid, out string? pid)
            || !int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out int processId)
            || !labels.TryGetValue(OwnerStart, out string? start)
            || !labels.TryGetValue(OwnerHost, out string? host))
        {
            return null;
        }

        return new ProcessIdentity(processId, start, host);
    }
}
