using System.Globalization;
using System.Text.RegularExpressions;

namespace ParallelAgents.Sdk;

/// <summary>The rules every plan obeys, whether it came from a file or from code.</summary>
internal static partial class TaskPlanValidator
{
    internal const int MaxIdLength = 100;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex IsolationPattern();

    public static PlanGraph? Validate(IReadOnlyList<AgentTask> tasks, List<TaskPlanProblem> problems, SourceLocation? planLocation)
    {
        if (tasks.Count == 0)
        {
            problems.Add(new TaskPlanProblem(planLocation, null, "the plan has no tasks; add at least one task under 'tasks:'."));
            return null;
        }

        var index = new Dictionary<string, int>(tasks.Count, StringComparer.Ordinal);
        for (int i = 0; i < tasks.Count; i++)
        {
            AgentTask task = tasks[i];
            if (task is null)
            {
                problems.Add(new TaskPlanProblem(null, null, $"the task at index {i} is null; remove it or put a task there."));
                continue;
            }

            CheckFields(task, i, problems);
            if (string.IsNullOrEmpty(task.Id))
            {
                continue;
            }

            if (index.TryGetValue(task.Id, out int first))
            {
                string where = tasks[first].Location is { } loc ? $" (first defined at line {loc.Line})" : string.Empty;
                problems.Add(new TaskPlanProblem(At(task, "id"), task.Id,
                    $"duplicate task id '{task.Id}'{where}; give each task its own id."));
            }
            else
            {
                index.Add(task.Id, i);
            }
        }

        var dependencies = new int[tasks.Count][];
        for (int i = 0; i < tasks.Count; i++)
        {
            AgentTask task = tasks[i];
            if (task is null)
            {
                dependencies[i] = [];
                continue;
            }

            var resolved = new List<int>(task.Dependencies?.Count ?? 0);
            for (int d = 0; d < (task.Dependencies?.Count ?? 0); d++)
            {
                string dependency = task.Dependencies![d];
                SourceLocation? where = task.FieldLocations?.DependencyItems.ElementAtOrDefault(d) ?? At(task, "dependencies");
                string owner = Owner(task, i);
                if (dependency is null)
                {
                    problems.Add(new TaskPlanProblem(where, NullIfEmpty(task.Id), $"{owner} has a null dependency; remove it."));
                }
                else if (dependency == task.Id)
                {
                    problems.Add(new TaskPlanProblem(where, NullIfEmpty(task.Id), $"{owner} depends on itself; remove '{dependency}' from its dependencies."));
                }
                else if (!index.TryGetValue(dependency, out int target))
                {
                    string? nearest = Levenshtein.Nearest(dependency, index.Keys);
                    string hint = nearest is not null ? $"did you mean '{nearest}'?" : "add that task or remove the dependency.";
                    problems.Add(new TaskPlanProblem(where, NullIfEmpty(task.Id),
                        $"{owner} depends on '{dependency}', which is not a task in this plan; {hint}"));
                }
                else if (!resolved.Contains(target))
                {
                    resolved.Add(target);
                }
            }

            dependencies[i] = [.. resolved];
        }

        ReportCycles(tasks, dependencies, problems);
        return problems.Count == 0 ? PlanGraph.Build(tasks, dependencies) : null;
    }

    private static void CheckFields(AgentTask task, int index, List<TaskPlanProblem> problems)
    {
        string owner = Owner(task, index);
        if (string.IsNullOrEmpty(task.Id))
        {
            if (!IsReported(task, "id"))
            {
                problems.Add(new TaskPlanProblem(At(task, "id"), null,
                    $"{owner} has no 'id'; give every task a unique id such as 'backend-api'."));
            }
        }
        else if (task.Id.Length > MaxIdLength || !IdPattern().IsMatch(task.Id))
        {
            problems.Add(new TaskPlanProblem(At(task, "id"), task.Id,
                $"invalid task id '{task.Id}': use at most {MaxIdLength} letters, digits, '.', '_' and '-', starting with a letter or digit (the id names the git branch agent/<id>)."));
        }

        if (string.IsNullOrWhiteSpace(task.Instructions) && !IsReported(task, "instructions"))
        {
            problems.Add(new TaskPlanProblem(At(task, "instructions"), NullIfEmpty(task.Id),
                $"{owner} has no 'instructions'; say what the agent should do."));
        }

        if (task.AgentCount < 1)
        {
            problems.Add(new TaskPlanProblem(At(task, "agent_count"), NullIfEmpty(task.Id),
                $"agent_count of {owner} must be at least 1, not {task.AgentCount}."));
        }

        if (task.EstimatedHours is { } hours && (hours < 0 || !double.IsFinite(hours)))
        {
            problems.Add(new TaskPlanProblem(At(task, "estimated_hours"), NullIfEmpty(task.Id),
                $"estimated_hours of {owner} must be zero or more, not {hours.ToString(CultureInfo.InvariantCulture)}."));
        }

        if (task.Timeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            problems.Add(new TaskPlanProblem(At(task, "timeout"), NullIfEmpty(task.Id),
                $"timeout of {owner} must be positive, not {timeout}."));
        }

        if (task.MaxAttempts is { } attempts && attempts < 1)
        {
            problems.Add(new TaskPlanProblem(At(task, "max_attempts"), NullIfEmpty(task.Id),
                $"max_attempts of {owner} must be at least 1, not {attempts}."));
        }

        if (task.Isolation is { } isolation)
        {
            string normalized = isolation.Trim().ToLowerInvariant();
            if (!IsolationPattern().IsMatch(normalized))
            {
                problems.Add(new TaskPlanProblem(At(task, "isolation"), NullIfEmpty(task.Id),
                    $"invalid isolation '{isolation}' in {owner}; use 'worktree', 'container' or the name of a registered isolation provider (letters, digits, '.', '_' and '-', starting with a letter or digit)."));
            }
            else if (normalized is not IsolationNames.Worktree and not IsolationNames.Container
                && Levenshtein.Nearest(normalized, [IsolationNames.Worktree, IsolationNames.Container]) is { } nearest)
            {
                problems.Add(new TaskPlanProblem(At(task, "isolation"), NullIfEmpty(task.Id),
                    $"invalid isolation '{isolation}' in {owner}; did you mean '{nearest}'? Use 'worktree', 'container' or the name of a registered isolation provider."));
            }
        }

        // A template name is looked up by the agent, which may have templates of its own; only its form is checked here.
        if (task.Template is { } template && !IsolationPattern().IsMatch(template.Trim().ToLowerInvariant()))
        {
            problems.Add(new TaskPlanProblem(At(task, "template"), NullIfEmpty(task.Id),
                $"invalid template '{template}' in {owner}; name a template such as 'backend' (letters, digits, '.', '_' and '-', starting with a letter or digit)."));
        }

        var nullLists = new List<string>(3);
        if (task.Dependencies is null)
        {
            nullLists.Add(nameof(AgentTask.Dependencies));
        }

        if (task.SuccessCriteria is null)
        {
            nullLists.Add(nameof(AgentTask.SuccessCriteria));
        }

        if (task.Checks is null)
        {
            nullLists.Add(nameof(AgentTask.Checks));
        }

        if (nullLists.Count > 0)
        {
            problems.Add(new TaskPlanProblem(task.Location, NullIfEmpty(task.Id),
                $"{string.Join(", ", nullLists)} of {owner} is null; use an empty list instead."));
        }
    }

    /// <summary>Reports each dependency cycle once, naming it (<c>a -> b -> a</c>).</summary>
    private static void ReportCycles(IReadOnlyList<AgentTask> tasks, int[][] dependencies, List<TaskPlanProblem> problems)
    {
        int[] component = StronglyConnectedComponents(dependencies, out int componentCount);
        var sizes = new int[componentCount];
        foreach (int c in component)
        {
            sizes[c]++;
        }

        var reported = new bool[componentCount];
        for (int start = 0; start < tasks.Count; start++)
        {
            int c = component[start];
            if (sizes[c] < 2 || reported[c])
            {
                continue;
            }

            reported[c] = true;
            List<int> cycle = ShortestCycleThrough(start, dependencies, component);
            string names = string.Join(" -> ", cycle.Select(i => tasks[i].Id));
            AgentTask first = tasks[start];
            int next = cycle[1];
            int position = first.Dependencies.ToList().IndexOf(tasks[next].Id);
            SourceLocation? where = first.FieldLocations?.DependencyItems.ElementAtOrDefault(position) ?? At(first, "dependencies");
            problems.Add(new TaskPlanProblem(where, first.Id,
                $"dependency cycle: {names}; remove one of these dependencies so the tasks can run in order."));
        }
    }

    private static List<int> ShortestCycleThrough(int start, int[][] dependencies, int[] component)
    {
        var previous = new Dictionary<int, int>();
        var queue = new Queue<int>();
        queue.Enqueue(start);
        while (queue.Count > 0)
        {
            int node = queue.Dequeue();
            foreach (int next in dependencies[node])
            {
                if (component[next] != component[start])
                {
                    continue;
                }

                if (next == start)
                {
                    var path = new List<int> { start };
                    for (int at = node; at != start; at = previous[at])
                    {
                        path.Add(at);
                    }

                    path.Add(start);
                    path.Reverse(1, path.Count - 2);
                    return path;
                }

                if (previous.TryAdd(next, node))
                {
                    queue.Enqueue(next);
                }
            }
        }

        return [start, start];
    }

    /// <summary>Tarjan's algorithm, iterative so that a deep plan cannot overflow the stack.</summary>
    private static int[] StronglyConnectedComponents(int[][] edges, out int count)
    {
        int n = edges.Length;
        var index = new int[n];
        var low = new int[n];
        var component = new int[n];
        var onStack = new bool[n];
        Array.Fill(index, -1);
        var stack = new Stack<int>();
        var work = new Stack<(int Node, int Edge)>();
        int nextIndex = 0;
        count = 0;
        for (int root = 0; root < n; root++)
        {
            if (index[root] >= 0)
            {
                continue;
            }

            work.Push((root, 0));
            while (work.Count > 0)
            {
                (int node, int edge) = work.Pop();
                if (edge == 0)
                {
                    index[node] = low[node] = nextIndex++;
                    stack.Push(node);
                    onStack[node] = true;
                }

                if (edge < edges[node].Length)
                {
                    work.Push((node, edge + 1));
                    int next = edges[node][edge];
                    if (index[next] < 0)
                    {
                        work.Push((next, 0));
                    }
                    else if (onStack[next])
                    {
                        low[node] = Math.Min(low[node], index[next]);
                    }

                    continue;
                }

                if (low[node] == index[node])
                {
                    int member;
                    do
                    {
                        member = stack.Pop();
                        onStack[member] = false;
                        component[member] = count;
                    }
                    while (member != node);
                    count++;
                }

                if (work.Count > 0)
                {
                    int parent = work.Peek().Node;
                    low[parent] = Math.Min(low[parent], low[node]);
                }
            }
        }

        return component;
    }

    private static SourceLocation? At(AgentTask task, string field) =>
        task.FieldLocations?.Fields.GetValueOrDefault(field) ?? task.Location;

    /// <summary>How messages name a task: by id, or when it has none, by its position if there is no location in a file to point at.</summary>
    private static string Owner(AgentTask task, int index) =>
        !string.IsNullOrEmpty(task.Id) ? $"task '{task.Id}'"
        : task.Location is null ? $"the task at index {index}"
        : "a task";

    private static bool IsReported(AgentTask task, string field) => task.FieldLocations?.Invalid.Contains(field) == true;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
