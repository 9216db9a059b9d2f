using System.CommandLine;
using ParallelAgents.Sdk.Docker;

namespace ParallelAgents.Sdk.Cli;

/// <summary>The options that say how <c>run</c> and <c>resume</c> build their engine: the repository, the agents, the
/// isolation, where reports and the shared memory go, and how the run is shown.</summary>
internal sealed class EngineOptions
{
    public const string DefaultImage = "ai-agent:latest";

    public Option<string?> Repository { get; } = CommonOptions.Repository();

    public Option<string> MainBranch { get; } = CommonOptions.MainBranch();

    public Option<int> Parallel { get; } = new("--parallel", "-p") { Description = "The most agents at once.", DefaultValueFactory = _ => 4 };

    public Option<string> Isolation { get; } = new("--isolation")
    {
        Description = "The isolation of tasks that name none: worktree (a git worktree each) or container (a worktree in a Docker container).",
        DefaultValueFactory = _ => IsolationNames.Worktree,
    };

    public Option<string> Image { get; } = new("--image") { Description = "The image of container isolation (never pulled).", DefaultValueFactory = _ => DefaultImage };

    public Option<string> Agent { get; } = CreateAgent();

    public Option<string?> Command { get; } = new("--command")
    {
        Description = $"With --agent command: the command line run in each task's workspace; placeholders such as {{instructions}} and {{prompt_file}} are quoted for the shell (default: {AgentSelection.DefaultCommand}).",
    };

    public Option<string?> Replay { get; } = new("--replay") { Description = "Replay recorded conversations from this folder (<task-id>.json cassettes) instead of calling a model." };

    public Option<string?> Model { get; } = new("--model") { Description = $"The model's name (default: AGENT_MODEL, else {AgentSelection.DefaultModel})." };

    public Option<string?> Reports { get; } = new("--reports") { Description = "The folder for merge, status and run reports and transcripts (default: reports in the repository)." };

    public Option<string?> Memory { get; } = CommonOptions.Memory();

    public Option<bool> Live { get; } = new("--live") { Description = "Show a live table of the tasks (plain lines per event when the output is redirected)." };

    public Option<bool> Review { get; } = new("--review")
    {
        Description = "Before each task's branch is merged, show its diff, files and checks and ask: merge (y), reject (n) or re-run with feedback (r). Answers come from standard input.",
    };

    public Option<bool> Json { get; } = CommonOptions.Json();

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Repository, MainBranch, Parallel, Isolation, Image, Agent, Command, Replay, Model, Reports, Memory, Live, Review, Json })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Builds the engine the options describe, on <paramref name="repository"/>; container isolation is set up
    /// only when <c>--isolation</c> or a task of <paramref name="plan"/> (when known) asks for it.</summary>
    public async Task<EngineSession> BuildAsync(ParseResult parse, CliOutput output, string repository, TaskPlan? plan, CancellationToken cancellationToken)
    {
        if (parse.GetValue(Review) && parse.GetValue(Live))
        {
            throw new CliUsageException("--review asks its questions on the terminal the live table redraws; leave out --live or --review.");
        }

        string memoryPath = Paths.InRepository(repository, parse.GetValue(Memory), Paths.DefaultMemory);
        string reportsPath = Paths.InRepository(repository, parse.GetValue(Reports), "reports");
        string defaultIsolation = parse.GetValue(Isolation)!.Trim().ToLowerInvariant();
        bool containers = defaultIsolation == IsolationNames.Container || plan is null
            || plan.Tasks.Any(t => string.Equals(t.Isolation, IsolationNames.Container, StringComparison.OrdinalIgnoreCase));

        ParallelAgentsBuilder builder = new ParallelAgentsBuilder()
            .UseRepository(repository, parse.GetValue(MainBranch)!)
            .UseWorktreeIsolation()
            .WithMaxParallelAgents(parse.GetValue(Parallel))
            .WithReportsDirectory(reportsPath)
            .Configure(o => o.DefaultIsolation = defaultIsolation);
        if (containers)
        {
            string image = parse.GetValue(Image)!;
            builder.UseContainerIsolation(o => o.Image = image);
        }

        if (parse.GetValue(Review))
        {
            // The questions go where the messages go: standard error when standard output carries JSON.
            builder.UseMergeApproval(new ConsoleMergeApprover(output.In, parse.GetValue(Json) ? output.Error : output.Out, maxDiffLines: 400));
        }

        (string agentLine, IDisposable? owned) = AgentSelection.Apply(
            builder, parse.GetValue(Agent)!, parse.GetValue(Command), parse.GetValue(Replay), parse.GetValue(Model));
        FileSharedMemory? memory = null;
        try
        {
            memory = await FileSharedMemory.OpenAsync(new FileSharedMemoryOptions { Path = memoryPath }, cancellationToken).ConfigureAwait(false);
            builder.UseSharedMemory(memory);
            return new EngineSession(builder.Build(), memory, owned, agentLine, memoryPath, defaultIsolation);
        }
        catch
        {
            owned?.Dispose();
            if (memory is not null)
            {
                await memory.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    private static Option<string> CreateAgent()
    {
        var agent = new Option<string>("--agent")
        {
            Description = "Who does the tasks: chat (a model: --replay, or OPENAI_API_KEY), command (the --command line), or auto (chat).",
            DefaultValueFactory = _ => "auto",
        };
        agent.AcceptOnlyFromAmong("auto", "chat", "command");
        return agent;
    }
}
