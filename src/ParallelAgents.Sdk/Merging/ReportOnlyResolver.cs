using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ParallelAgents.Sdk;

/// <summary>
/// Never resolves: it declines with a precise report of the conflict (each file, the conflicting lines of both sides)
/// and the git commands to finish the merge by hand (named <c>report-only</c>). Put it last in a chain, or alone to
/// have every conflict left to a person.
/// </summary>
public sealed partial class ReportOnlyResolver : IConflictResolver
{
    /// <inheritdoc/>
    public string Name => "report-only";

    /// <inheritdoc/>
    public ValueTask<ConflictResolution> ResolveAsync(ConflictContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(ConflictResolution.NotResolved(FormatReport(context.Task.Id, context.Branch, context.MainBranch, context.Conflicts)));
    }

    /// <summary>
    /// Formats the report of a conflicted merge: which files conflict, on which lines of each side, and the commands
    /// that finish the merge by hand with the repository's real branch names.
    /// </summary>
    /// <param name="taskId">The task whose branch conflicts.</param>
    /// <param name="branch">The task's branch, such as <c>agent/backend-api</c>.</param>
    /// <param name="mainBranch">The main branch's name.</param>
    /// <param name="conflicts">The conflicted files.</param>
    /// <returns>The report, several lines of plain text.</returns>
    public static string FormatReport(string taskId, string branch, string mainBranch, IReadOnlyList<MergeConflict> conflicts)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(taskId);
        ArgumentException.ThrowIfNullOrWhiteSpace(branch);
        ArgumentException.ThrowIfNullOrWhiteSpace(mainBranch);
        ArgumentNullException.ThrowIfNull(conflicts);

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Task '{taskId}' (branch {branch}) conflicts with {mainBranch} in {conflicts.Count} file{(conflicts.Count == 1 ? "" : "s")}:\n");
        foreach (MergeConflict conflict in conflicts)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {conflict.Path} ({conflict.Kind}): {Side(mainBranch, conflict.OursLines, conflict.Kind, ours: true)}; {Side(branch, conflict.TheirsLines, conflict.Kind, ours: false)}");
            if (conflict.OtherTaskId is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $" ({mainBranch}'s side from task '{conflict.OtherTaskId}')");
            }

            text.Append('\n');
        }

        string files = string.Join(' ', conflicts.Select(c => Quote(c.Path)));
        text.Append("To finish by hand (where the branch is not checked out in another worktree):\n");
        text.Append(CultureInfo.InvariantCulture, $"  git checkout {Quote(branch)}\n");
        text.Append(CultureInfo.InvariantCulture, $"  git merge {Quote(mainBranch)}\n");
        text.Append(CultureInfo.InvariantCulture, $"  # fix the conflict markers in each file above (git rm a file you mean to delete), then\n");
        if (files.Length > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"  git add {files}\n");
        }

        text.Append("  git commit --no-edit\n");
        text.Append(CultureInfo.InvariantCulture, $"  git checkout {Quote(mainBranch)}\n");
        text.Append(CultureInfo.InvariantCulture, $"  git merge {Quote(branch)}");
        return text.ToString();
    }

    private static string Side(string name, IReadOnlyList<LineRange> lines, string kind, bool ours)
    {
        if (lines.Count > 0)
        {
            return $"{name} lines {string.Join(", ", lines)}";
        }

        return (kind, ours) switch
        {
            ("delete/modify", true) or ("modify/delete", false) => $"deleted on {name}",
            ("binary", _) => $"{name}'s version (binary)",
            _ => $"{name} has no lines there",
        };
    }

    /// <summary>Quotes a path or branch for a POSIX shell when it has anything beyond plain characters.</summary>
    private static string Quote(string value) =>
        PlainShellWord().IsMatch(value) ? value : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    [GeneratedRegex(@"^[A-Za-z0-9_./@%+=:,-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainShellWord();
}
