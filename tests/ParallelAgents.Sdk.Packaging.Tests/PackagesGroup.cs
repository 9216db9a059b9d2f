namespace ParallelAgents.Sdk.Packaging.Tests;

/// <summary>Packs once for every test class that reads the packages.</summary>
[CollectionDefinition(Name)]
public sealed class PackagesGroup : ICollectionFixture<PackedPackages>
{
    public const string Name = "packages";
}
