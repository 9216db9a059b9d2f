using System.Security;

namespace ParallelAgents.Sdk.Packaging.Tests;

/// <summary>The library works as a package, not only as a project reference: a fresh console project that takes
/// ParallelAgents.Sdk from the packed folder alone runs a plan on a real git repository.</summary>
[Collection(PackagesGroup.Name)]
public sealed class PackageConsumptionTests(PackedPackages packages) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("parallel-agents-consumer-").FullName;

    private const string Program = """
        using ParallelAgents.Sdk;

        TaskPlan plan = TaskPlan.Parse(
            "tasks:\n" +
            "  - id: schema\n" +
            "    instructions: Write the schema.\n" +
            "  - id: api\n" +
            "    dependencies: [schema]\n" +
            "    instructions: Write the API on the schema.\n");

        await using AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(args[0])
            .UseWorktreeIsolation()
            .UseAgent(async (context, cancellationToken) =>
            {
                string builtOn = string.Join(",", context.Dependencies.Select(d => d.TaskId));
                await context.Workspace!.Files.WriteAllTextAsync($"{context.Task.Id}.txt", $"{context.Task.Id} built on [{builtOn}]\n", cancellationToken);
                return AgentOutcome.Success($"wrote {context.Task.Id}.txt");
            })
            .Build();

        RunResult result = await engine.RunAsync(plan);
        foreach (TaskResult task in result.Tasks)
        {
            Console.WriteLine($"{task.TaskId} {task.State} {task.Summary ?? task.Error}");
        }

        return result.Succeeded ? 0 : 1;
        """;

    [Fact]
    public async Task CorePackage_FromALocalFolderOnly_RunsAPlanInAFreshConsoleProject()
    {
        string version = Path.GetFileName(packages.Package("ParallelAgents.Sdk"))["ParallelAgents.Sdk.".Length..^".nupkg".Length];
        string app = Directory.CreateDirectory(Path.Combine(_root, "app")).FullName;
        await File.WriteAllTextAsync(Path.Combine(app, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="ParallelAgents.Sdk" Version="{version}" />
              </ItemGroup>
            </Project>
            """, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), Program, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), await NuGetConfigAsync(), TestContext.Current.CancellationToken);

        string repository = Directory.CreateDirectory(Path.Combine(_root, "repo")).FullName;
        await GitAsync(repository, "init", "-q", "-b", "main");
        await File.WriteAllTextAsync(Path.Combine(repository, "README.md"), "# consumer\n", TestContext.Current.CancellationToken);
        await GitAsync(repository, "add", "-A");
        await GitAsync(repository, "-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "initial");

        // A package cache of its own: a ParallelAgents.Sdk of the same version cached by an earlier run must not stand in.
        var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_root, "packages") };
        await ProcessRun.RequireSuccessAsync("dotnet", ["restore"], app, TimeSpan.FromMinutes(5), environment);
        string assets = await File.ReadAllTextAsync(Path.Combine(app, "obj", "project.assets.json"), TestContext.Current.CancellationToken);
        Assert.Contains($"\"ParallelAgents.Sdk/{version}\"", assets, StringComparison.Ordinal);
        Assert.DoesNotContain("\"type\": \"project\"", assets, StringComparison.Ordinal);

        string output = await ProcessRun.RequireSuccessAsync("dotnet", ["run", "--no-restore", "--", repository], app, TimeSpan.FromMinutes(5), environment);

        Assert.Contains("schema Succeeded", output, StringComparison.Ordinal);
        Assert.Contains("api Succeeded", output, StringComparison.Ordinal);
        string api = await GitAsync(repository, "show", "main:api.txt");
        Assert.Equal("api built on [schema]\n", api);
        Assert.Equal("schema built on []\n", await GitAsync(repository, "show", "main:schema.txt"));
        await GitAsync(repository, "fsck", "--strict");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The packed folder is the only source of ParallelAgents.* packages (package source mapping); their
    /// dependencies come from the machine's own enabled sources.</summary>
    private async Task<string> NuGetConfigAsync()
    {
        string list = await ProcessRun.RequireSuccessAsync("dotnet", ["nuget", "list", "source", "--format", "short"], _root, TimeSpan.FromMinutes(1));
        string[] upstream = [.. list.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith("E ", StringComparison.Ordinal))
            .Select(l => l[2..].Trim())];
        Assert.NotEmpty(upstream);
        string sources = string.Concat(upstream.Select((s, i) => $"    <add key=\"upstream{i}\" value=\"{SecurityElement.Escape(s)}\" />\n"));
        string mappings = string.Concat(upstream.Select((_, i) => $"    <packageSource key=\"upstream{i}\"><package pattern=\"*\" /></packageSource>\n"));
        return $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{SecurityElement.Escape(packages.Folder)}" />
            {sources}  </packageSources>
              <packageSourceMapping>
                <packageSource key="local"><package pattern="ParallelAgents.*" /></packageSource>
            {mappings}  </packageSourceMapping>
            </configuration>
            """;
    }

    private static Task<string> GitAsync(string repository, params string[] arguments) =>
        ProcessRun.RequireSuccessAsync("git", arguments, repository, TimeSpan.FromMinutes(1));
}
