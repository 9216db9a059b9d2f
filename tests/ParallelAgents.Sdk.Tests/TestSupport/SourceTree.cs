namespace ParallelAgents.Sdk.Tests.TestSupport;

/// <summary>The clone of the repository the tests run from, for tests that read its docs, samples and scripts.</summary>
internal static class SourceTree
{
    /// <summary>The folder that holds ParallelAgents.Sdk.sln, above the test's output folder.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ParallelAgents.Sdk.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException(
            $"No folder above {AppContext.BaseDirectory} holds ParallelAgents.Sdk.sln; run the tests from a clone of the repository.");
    }
}
