namespace ParallelAgents.Sdk;

/// <summary>Where a new workspace was put and what it still needs: decided under the provider's gate, finished
/// (the checkout) outside it.</summary>
internal sealed record WorktreePlacement(
    string Name,
    string Path,
    string Branch,
    string BaseCommit,
    string StartCommit,
    bool NeedsCheckout,
    bool Pooled);
