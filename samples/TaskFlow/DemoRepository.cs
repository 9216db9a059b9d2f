using LibGit2Sharp;

namespace TaskFlow;

/// <summary>The demo repository the agents work on: a new git repository whose first commit on <c>main</c> holds a
/// README, a package.json (ES modules, <c>node --test</c>), a .gitignore and the plan, <c>config/tasks.yaml</c>.</summary>
internal static class DemoRepository
{
    public const string MainBranch = "main";

    public const string Readme =
        """
        # TaskFlow

        A small task manager: users, and their tasks on a Kanban board (to do, in progress, done). Four AI coding agents
        build it in parallel with ParallelAgents.Sdk, each on its own branch in its own git worktree, and the engine
        merges their work into `main`.

        ## Project layout

        | Path | What | Built by |
        | --- | --- | --- |
        | `config/tasks.yaml` | The plan the four agents follow | the TaskFlow sample |

        ## Running it

        You need Node.js 20 or later, and no npm packages.

        ```shell
        node --test     # the test suite
        ```

        ## Notes

        The React components are TypeScript (`.tsx`) for a bundler such as Vite. This repository has no npm packages,
        so that it works offline, and nothing here compiles them.

        """;

    public const string PackageJson =
        """
        {
          "name": "taskflow",
          "version": "0.1.0",
          "private": true,
          "description": "A small task manager built by four AI coding agents in parallel",
          "type": "module",
          "scripts": {
            "test": "node --test"
          }
        }

        """;

    public const string GitIgnore =
        """
        node_modules/
        .env
        # Written by the engine while it runs: merge reports, agent transcripts and the agents' shared memory.
        reports/
        shared-memory/

        """;

    /// <summary>Makes the repository in <paramref name="path"/>, which must be missing or empty.</summary>
    /// <returns>The id of the first commit.</returns>
    /// <exception cref="InvalidOperationException">The folder holds files already.</exception>
    public static string Create(string path, string plan)
    {
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
        {
            throw new InvalidOperationException(
                $"The folder '{path}' is not empty; TaskFlow makes a new demo repository there. Give --repo an empty or missing folder, or leave --repo out for a temporary one.");
        }

        Directory.CreateDirectory(path);
        Repository.Init(path);
        using var repository = new Repository(path);

        Write(path, "README.md", Readme);
        Write(path, "package.json", PackageJson);
        Write(path, ".gitignore", GitIgnore);
        Write(path, Path.Combine("config", "tasks.yaml"), plan);
        Commands.Stage(repository, "*");
        var signature = new Signature("TaskFlow sample", "taskflow@sample.invalid", DateTimeOffset.Now);
        Commit commit = repository.Commit("TaskFlow: README, package.json and the plan (config/tasks.yaml)", signature, signature);

        // The first branch is named after the machine's init.defaultBranch; the run works on main.
        if (repository.Head.FriendlyName != MainBranch)
        {
            repository.Branches.Rename(repository.Head, MainBranch);
        }

        return commit.Sha;
    }

    /// <summary>Every file of the branch's tree, with its size.</summary>
    public static IReadOnlyList<(string Path, long Size)> Files(string path, string branch = MainBranch)
    {
        using var repository = new Repository(path);
        Commit tip = repository.Branches[branch]?.Tip
            ?? throw new InvalidOperationException($"The repository at '{path}' has no branch '{branch}'.");
        var files = new List<(string, long)>();
        Walk(tip.Tree, "", files);
        return files;
    }

    private static void Walk(Tree tree, string prefix, List<(string, long)> files)
    {
        foreach (TreeEntry entry in tree)
        {
            string path = prefix + entry.Name;
            if (entry.Target is Tree subtree)
            {
                Walk(subtree, path + "/", files);
            }
            else if (entry.Target is Blob blob)
            {
                files.Add((path, blob.Size));
            }
        }
    }

    private static void Write(string root, string relativePath, string content)
    {
        string full = Path.Combine(root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content.ReplaceLineEndings("\n"));
    }
}
