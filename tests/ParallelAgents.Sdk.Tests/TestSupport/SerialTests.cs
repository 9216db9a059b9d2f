namespace ParallelAgents.Sdk.Tests.TestSupport;

/// <summary>Tests that measure the whole process (allocations, memory) join this collection to run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialTests
{
    public const string Name = "Serial";
}
