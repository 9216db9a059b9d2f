using System.Collections;

namespace ParallelAgents.Sdk;

/// <summary>
/// Task results read through to the run's task states, each <see cref="TaskResult"/> built when first read and then
/// kept (see <see cref="TaskRuntime"/>): <see cref="RunResult.Tasks"/> in plan order, and a task's
/// <see cref="AgentContext.Dependencies"/>.
/// </summary>
/// <remarks>Only handed out once the tasks it reads are final, so it reads the same on every call, like the array it
/// replaced; the one exception, as before, is a task raced by several agents, whose result is refreshed when a losing
/// agent's cancelled attempt ends after the task did.</remarks>
internal sealed class TaskResultList : IReadOnlyList<TaskResult>
{
    private readonly TaskStates _tasks;
    private readonly int[]? _indices;

    /// <param name="tasks">Every task of the run.</param>
    /// <param name="indices">The tasks to list, or <see langword="null"/> for all of them in plan order.</param>
    public TaskResultList(TaskStates tasks, int[]? indices = null)
    {
        _tasks = tasks;
        _indices = indices;
    }

    public int Count => _indices?.Length ?? _tasks.Length;

    public TaskResult this[int index] => Runtime(index).ToResult();

    /// <summary>How many of the listed tasks ended in <paramref name="state"/>, without building their results.</summary>
    public int CountState(TaskState state)
    {
        int count = 0;
        for (int i = 0; i < Count; i++)
        {
            if (Runtime(i).State == state)
            {
                count++;
            }
        }

        return count;
    }

    public IEnumerator<TaskResult> GetEnumerator()
    {
        for (int i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private TaskRuntime Runtime(int index)
    {
        // The bounds check of a list, not of the backing array, which may be longer.
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _tasks[_indices is null ? index : _indices[index]];
    }
}
