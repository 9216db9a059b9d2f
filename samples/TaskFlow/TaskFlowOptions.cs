namespace TaskFlow;

/// <summary>The command line of the sample.</summary>
internal sealed class TaskFlowOptions
{
    public const string Usage =
        """
        Usage: dotnet run --project samples/TaskFlow [-- options]

          --repo <folder>      make the demo repository there (a missing or empty folder); default: a new temporary folder
          --offline            replay the prepared answers even when OPENAI_API_KEY is set (the default without it)
          --live               use a real model: OPENAI_API_KEY, and optionally OPENAI_BASE_URL and PARALLELAGENTS_MODEL
                               (default gpt-4.1-mini); on by itself when OPENAI_API_KEY is set
          --record             with a live model, write each agent's conversation to a cassette in --cassettes
          --cassettes <folder> the cassettes to replay (default: the ones built into the sample), or where --record and
                               --make-cassettes write them
          --make-cassettes     make the offline cassettes again with the scripted model (two runs, one per merge order);
                               default folder: samples/TaskFlow/cassettes when run from the repository
          --isolation <kind>   where the agents' commands and checks run: worktree (default, on this machine) or
                               container (a locked-down Docker container per task; needs a Docker engine at DOCKER_HOST
                               or unix:///var/run/docker.sock)
          --image <tag>        with --isolation container, the image (it needs /bin/sh, node and npm); default
                               parallel-agents/taskflow-node:1, made offline from busybox-static and this machine's node
                               when the engine lacks it
          --help               show this text
        """;

    public string? RepositoryPath { get; private set; }

    public bool Offline { get; private set; }

    public bool Live { get; private set; }

    public bool Record { get; private set; }

    public string? CassettesPath { get; private set; }

    public bool MakeCassettes { get; private set; }

    public bool Help { get; private set; }

    /// <summary>Whether the agents' commands run in containers (<c>--isolation container</c>).</summary>
    public bool Containers { get; private set; }

    /// <summary>The container image (<c>--image</c>), or <see langword="null"/> for the sample's own.</summary>
    public string? Image { get; private set; }

    /// <summary>Reads the arguments.</summary>
    /// <exception cref="ArgumentException">An argument is unknown, lacks its value, or contradicts another.</exception>
    public static TaskFlowOptions Parse(IReadOnlyList<string> args)
    {
        var options = new TaskFlowOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "--repo":
                    options.RepositoryPath = Value(args, ref i, "a folder");
                    break;
                case "--cassettes":
                    options.CassettesPath = Value(args, ref i, "a folder");
                    break;
                case "--offline":
                    options.Offline = true;
                    break;
                case "--live":
                    options.Live = true;
                    break;
                case "--record":
                    options.Record = true;
                    break;
                case "--make-cassettes":
                    options.MakeCassettes = true;
                    break;
                case "--isolation":
                    options.Containers = Value(args, ref i, "an isolation (worktree or container)") switch
                    {
                        "worktree" => false,
                        "container" => true,
                        string other => throw new ArgumentException($"--isolation takes worktree or container, not '{other}'."),
                    };
                    break;
                case "--image":
                    options.Image = Value(args, ref i, "an image tag");
                    break;
                case "--help" or "-h" or "-?":
                    options.Help = true;
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{arg}'.");
            }
        }

        if (options.Offline && options.Live)
        {
            throw new ArgumentException("--offline and --live contradict each other; give one.");
        }

        if (options.Record && options.Offline)
        {
            throw new ArgumentException("--record records a live model; it cannot go with --offline.");
        }

        if (options.Image is not null && !options.Containers)
        {
            throw new ArgumentException("--image names the container image; it goes with --isolation container.");
        }

        if (options.MakeCassettes && (options.Live || options.Record || options.Offline || options.Containers))
        {
            throw new ArgumentException("--make-cassettes runs the scripted model on this machine; leave out --live, --record, --offline and --isolation.");
        }

        return options;
    }

    private static string Value(IReadOnlyList<string> args, ref int i, string what)
    {
        if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new ArgumentException($"{args[i]} needs {what} after it.");
        }

        return args[++i];
    }
}
