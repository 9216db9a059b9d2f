namespace ParallelAgents.Sdk;

/// <summary>Which run made a branch through this provider, and from which commit, so that a retry in the same run
/// continues on it while a branch from any other run is kept safe.</summary>
internal sealed record BranchOrigin(string RunId, string BaseCommit);
