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
          --help               show this text
        """;

    public string? RepositoryPath { get; private set; }

    public bool Offline { get; private set; }

    public bool Live { get; private set; }

    public bool Record { get; private set; }

    public string? CassettesPath { get; private set; }

    public bool MakeCassettes { get; private set; }

    public bool Help { get; private set; }

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
                    options.RepositoryPath = Value(args, ref i);
                    break;
                case "--cassettes":
                    options.CassettesPath = Value(args, ref i);
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

        if (options.MakeCassettes && (options.Live || options.Record || options.Offline))
        {
            throw new ArgumentException("--make-cassettes runs the scripted model; leave out --live, --record and --offline.");
        }

        return options;
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new ArgumentException($"{args[i]} needs a folder after it.");
        }

        return args[++i];
    }
}
