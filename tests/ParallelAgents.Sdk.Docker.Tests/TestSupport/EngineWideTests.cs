namespace ParallelAgents.Sdk.Docker.Tests.TestSupport;

/// <summary>Tests that assert on everything a sweep removes from the engine join this collection to run alone: every
/// container run's start sweeps what dead runs left on the whole engine, so a run in a parallel test could take part of
/// what the test expects its own sweep to report.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EngineWideTests
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Engine-wide";
}
