using System.Diagnostics.CodeAnalysis;

namespace ParallelAgents.Sdk;

/// <summary>
/// A validated set of tasks whose dependencies form a directed acyclic graph: the input of
/// <see cref="AgentEngine.RunAsync(TaskPlan, CancellationToken)"/>.
/// </summary>
/// <remarks>
/// Load one from a <c>tasks.yaml</c> (<see cref="Load(string)"/>, <see cref="Parse(string, string?)"/>) or build it in
/// code (<see cref="Create(IEnumerable{AgentTask})"/>). Every problem is reported at once in one
/// <see cref="TaskPlanException"/>, each with its file, line and column when the plan came from a file.
/// A plan is immutable and can be run any number of times.
/// </remarks>
public sealed class TaskPlan
{
    private readonly Dictionary<string, int> _indexById;

    private TaskPlan(IReadOnlyList<AgentTask> tasks, PlanGraph graph, string? sourcePath, IReadOnlyList<string> setup, IReadOnlyList<string> verify)
    {
        Setup = setup;
        Verify = verify;
        Tasks = tasks;
        Graph = graph;
        SourcePath = sourcePath;
        _indexById = new Dictionary<string, int>(tasks.Count, StringComparer.Ordinal);
        for (int i = 0; i < tasks.Count; i++)
        {
            _indexById.Add(tasks[i].Id, i);
        }
    }

    /// <summary>The plan's tasks, in the order they were given.</summary>
    public IReadOnlyList<AgentTask> Tasks { get; }

    /// <summary>The file the plan was loaded from (or the source path given to <see cref="Parse(string, string?)"/>), or
    /// <see langword="null"/> for a plan parsed without one or built in code.</summary>
    public string? SourcePath { get; }

    /// <summary>Commands run once in each new workspace before its agent starts (the plan's <c>setup:</c> list),
    /// such as <c>npm ci</c>. A failing command fails the attempt with its output.</summary>
    /// <value>The default is empty.</value>
    public IReadOnlyList<string> Setup { get; }

    /// <summary>Commands that must pass on the merged tree before the main branch advances (the plan's
    /// <c>verify:</c> list), such as <c>npm test</c>. A merge that breaks them does not reach the main branch.</summary>
    /// <value>The default is empty.</value>
    public IReadOnlyList<string> Verify { get; }

    internal PlanGraph Graph { get; }

    /// <summary>Returns a copy of this plan whose <see cref="Setup"/> commands are <paramref name="commands"/>.</summary>
    /// <param name="commands">The commands, in the order they run.</param>
    /// <returns>The new plan; this one is unchanged.</returns>
    /// <exception cref="ArgumentException">A command is empty.</exception>
    public TaskPlan WithSetup(params IEnumerable<string> commands) =>
        new(Tasks, Graph, SourcePath, CheckCommands(commands, nameof(commands)), Verify);

    /// <summary>Returns a copy of this plan whose <see cref="Verify"/> commands are <paramref name="commands"/>.</summary>
    /// <param name="commands">The commands, in the order they run.</param>
    /// <returns>The new plan; this one is unchanged.</returns>
    /// <exception cref="ArgumentException">A command is empty.</exception>
    public TaskPlan WithVerify(params IEnumerable<string> commands) =>
        new(Tasks, Graph, SourcePath, Setup, CheckCommands(commands, nameof(commands)));

    private static string[] CheckCommands(IEnumerable<string> commands, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(commands, parameterName);
        string[] copy = [.. commands];
        if (Array.FindIndex(copy, string.IsNullOrWhiteSpace) is var empty and >= 0)
        {
            throw new ArgumentException($"Command {empty + 1} is empty; give each command as a full command line, such as 'npm test'.", parameterName);
        }

        return copy;
    }

    /// <summary>Gets the task with the given id.</summary>
    /// <param name="id">The task's id.</param>
    /// <exception cref="KeyNotFoundException">No task in the plan has that id.</exception>
    public AgentTask this[string id] => TryGetTask(id, out AgentTask? task)
        ? task
        : throw new KeyNotFoundException($"The plan has no task with id '{id}'.");

    /// <summary>Gets the task with the given id, if the plan has one.</summary>
    /// <param name="id">The task's id.</param>
    /// <param name="task">The task, when found.</param>
    /// <returns><see langword="true"/> when the plan has a task with that id.</returns>
    public bool TryGetTask(string id, [NotNullWhen(true)] out AgentTask? task)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (_indexById.TryGetValue(id, out int index))
        {
            task = Tasks[index];
            return true;
        }

        task = null;
        return false;
    }

    /// <summary>The tasks that list the given task among their dependencies.</summary>
    /// <param name="id">The task's id.</param>
    /// <returns>The direct dependents, in plan order.</returns>
    /// <exception cref="KeyNotFoundException">No task in the plan has that id.</exception>
    public IReadOnlyList<AgentTask> GetDependents(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!_indexById.TryGetValue(id, out int index))
        {
            throw new KeyNotFoundException($"The plan has no task with id '{id}'.");
        }

        return [.. Graph.Dependents[index].Select(i => Tasks[i])];
    }

    /// <summary>The tasks in an order where each comes after all of its dependencies (ties keep plan order).</summary>
    /// <returns>Every task, dependencies first.</returns>
    public IReadOnlyList<AgentTask> GetTopologicalOrder() => [.. Graph.TopologicalOrder.Select(i => Tasks[i])];

    internal int IndexOf(string id) => _indexById[id];

    /// <summary>Builds a plan from tasks made in code.</summary>
    /// <param name="tasks">The tasks, in the order ties are broken.</param>
    /// <returns>The validated plan.</returns>
    /// <exception cref="TaskPlanException">The tasks do not form a valid plan; every problem is listed.</exception>
    public static TaskPlan Create(IEnumerable<AgentTask> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        return Validate([.. tasks], [], [], [], null, null);
    }

    /// <summary>Rebuilds a plan written down earlier (the run journal keeps the plan it ran), validating it again.</summary>
    internal static TaskPlan Restore(IEnumerable<AgentTask> tasks, IEnumerable<string> setup, IEnumerable<string> verify, string? sourcePath) =>
        Validate([.. tasks], [.. setup], [.. verify], [], null, sourcePath);

    /// <summary>Parses a plan from the text of a <c>tasks.yaml</c>.</summary>
    /// <param name="yaml">The YAML text: a top-level <c>tasks:</c> list.</param>
    /// <param name="sourcePath">The file name to show in error messages, or <see langword="null"/>.</param>
    /// <returns>The validated plan.</returns>
    /// <exception cref="TaskPlanException">The text is not a valid plan; every problem is listed with its line and column.</exception>
    public static TaskPlan Parse(string yaml, string? sourcePath = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        TaskPlanParser.ParsedPlan parsed = TaskPlanParser.Parse(yaml, sourcePath);
        return Validate(parsed.Tasks, parsed.Setup, parsed.Verify, parsed.Problems, new SourceLocation(sourcePath, 1, 1), sourcePath);
    }

    /// <summary>Loads a plan from a <c>tasks.yaml</c> file.</summary>
    /// <param name="path">The file's path.</param>
    /// <returns>The validated plan.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TaskPlanException">The file is not a valid plan; every problem is listed with its line and column.</exception>
    public static TaskPlan Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Parse(ReadPlanFile(path), path);
    }

    /// <summary>Loads a plan from a <c>tasks.yaml</c> file without blocking the caller on I/O.</summary>
    /// <param name="path">The file's path.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The validated plan.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TaskPlanException">The file is not a valid plan; every problem is listed with its line and column.</exception>
    public static async Task<TaskPlan> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ThrowIfMissing(path);
        string yaml = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        return Parse(yaml, path);
    }

    private static string ReadPlanFile(string path)
    {
        ThrowIfMissing(path);
        return File.ReadAllText(path);
    }

    private static void ThrowIfMissing(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"The task plan '{path}' does not exist (full path: {Path.GetFullPath(path)}). Check the path, or create it with a 'tasks:' list.",
                path);
        }
    }

    private static TaskPlan Validate(
        List<AgentTask> tasks, List<string> setup, List<string> verify, List<TaskPlanProblem> problems, SourceLocation? planLocation, string? sourcePath)
    {
        // A plan without tasks is reported once, whether the parser found nothing or the list was empty.
        PlanGraph? graph = tasks.Count == 0 && problems.Count > 0
            ? null
            : TaskPlanValidator.Validate(tasks, problems, planLocation);
        if (graph is null || problems.Count > 0)
        {
            throw new TaskPlanException(Sort(problems));
        }

        var normalized = tasks.Select(Normalize).ToArray();
        return new TaskPlan(normalized, graph, sourcePath, setup, verify);
    }

    private static AgentTask Normalize(AgentTask task) =>
        task.Isolation is { } isolation && !string.Equals(isolation, isolation.Trim().ToLowerInvariant(), StringComparison.Ordinal)
            ? task.Copy(isolation: isolation.Trim().ToLowerInvariant())
            : task;

    private static List<TaskPlanProblem> Sort(List<TaskPlanProblem> problems) =>
        [.. problems
            .Select((problem, order) => (problem, order))
            .OrderBy(p => p.problem.Location?.Line ?? int.MaxValue)
            .ThenBy(p => p.problem.Location?.Column ?? int.MaxValue)
            .ThenBy(p => p.order)
            .Select(p => p.problem)];
}
