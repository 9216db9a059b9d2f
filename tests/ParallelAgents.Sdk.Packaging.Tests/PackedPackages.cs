using System.Diagnostics;
using System.Text;

namespace ParallelAgents.Sdk.Packaging.Tests;

/// <summary>Packs every shipping project of the repository once per test run, into one folder, as a release would.</summary>
public sealed class PackedPackages : IAsyncLifetime
{
    public string RepositoryRoot { get; } = FindRepositoryRoot();

    public string Folder { get; } = Directory.CreateTempSubdirectory("parallel-agents-packages-").FullName;

    public IReadOnlyList<string> Projects { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        Projects = [.. Directory.GetDirectories(Path.Combine(RepositoryRoot, "src"))
            .Select(d => Directory.GetFiles(d, "*.csproj").SingleOrDefault())
            .OfType<string>()
            .Order(StringComparer.Ordinal)];
        foreach (string project in Projects)
        {
            // Restored already by the build that runs the tests; a second restore would rewrite the assets file
            // that other test projects' builds read.
            await ProcessRun.RequireSuccessAsync("dotnet", ["pack", project, "-c", "Release", "--no-restore", "-o", Folder, "-p:ContinuousIntegrationBuild=true"],
                RepositoryRoot, TimeSpan.FromMinutes(5));
        }
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }

    public string Package(string id) =>
        Directory.GetFiles(Folder, id + ".*.nupkg").SingleOrDefault(p => IsVersionOf(p, id, ".nupkg"))
        ?? throw new InvalidOperationException($"No package {id} in {Folder}: {string.Join(", ", Directory.GetFiles(Folder).Select(Path.GetFileName))}");

    public string SymbolPackage(string id) =>
        Directory.GetFiles(Folder, id + ".*.snupkg").SingleOrDefault(p => IsVersionOf(p, id, ".snupkg"))
        ?? throw new InvalidOperationException($"No symbol package {id} in {Folder}.");

    // ParallelAgents.Sdk.* also matches ParallelAgents.Sdk.Docker.*: the rest of the name must be the version.
    private static bool IsVersionOf(string path, string id, string extension)
    {
        string name = Path.GetFileName(path);
        string version = name[(id.Length + 1)..^extension.Length];
        return version.Length > 0 && char.IsDigit(version[0]);
    }

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ParallelAgents.Sdk.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"ParallelAgents.Sdk.sln not found above {AppContext.BaseDirectory}.");
    }
}
