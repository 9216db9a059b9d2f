using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using LibGit2Sharp;

namespace ParallelAgents.Sdk;

/// <summary>
/// Resolves a conflict by running the task's agent again in a fresh workspace on the current main branch, with
/// instructions that list each conflicted file, the conflicting lines and what the other side changed there, and ask
/// the agent to redo its work keeping that change (named <c>rerun-agent</c>).
/// </summary>
/// <remarks>It needs <see cref="ConflictContext.RerunAgentAsync"/>; without it, it declines. The engine checks the
/// commit the agent makes like any other resolution: it must merge cleanly and pass <c>verify</c>.</remarks>
public sealed class RerunAgentResolver : IConflictResolver
{
    private static readonly Regex Placeholders = new(@"\{(task_id|branch|main_branch|main_commit|instructions|conflicts)\}", RegexOptions.CultureInvariant);

    private readonly RerunAgentResolverOptions _options;

    /// <summary>Creates the resolver.</summary>
    /// <param name="options">The options, or <see langword="null"/> for the defaults; they are copied.</param>
    /// <exception cref="ArgumentException">The options are invalid (see <see cref="RerunAgentResolverOptions.Validate"/>).</exception>
    public RerunAgentResolver(RerunAgentResolverOptions? options = null)
    {
        _options = (options ?? new RerunAgentResolverOptions()).Copy();
        _options.Validate();
    }

    /// <inheritdoc/>
    public string Name => "rerun-agent";

    /// <inheritdoc/>
    public async ValueTask<ConflictResolution> ResolveAsync(ConflictContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.RerunAgentAsync is null)
        {
            return ConflictResolution.NotResolved(
                $"Task '{context.Task.Id}' was not re-run: the engine gave this merge no way to run agents (ConflictContext.RerunAgentAsync is null).");
        }

        string instructions = BuildInstructions(context);
        WorkspaceCommit? commit;
        try
        {
            commit = await context.RerunAgentAsync(instructions, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A failed re-run is one resolver declining: the chain goes on and the report says why.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return ConflictResolution.NotResolved($"Re-running task '{context.Task.Id}' on {context.MainBranch} failed: {e.Message}");
        }

        if (commit is null)
        {
            return ConflictResolution.NotResolved(
                $"Task '{context.Task.Id}' was re-run on {context.MainBranch} at {Short(context.OursCommit)}, but the agent failed or committed nothing.");
        }

        return ConflictResolution.Resolved(
            commit.CommitId,
            $"Re-ran task '{context.Task.Id}' on {context.MainBranch} at {Short(context.OursCommit)} with its {context.Conflicts.Count} conflicted file(s) in the instructions; the agent redid the work in commit {Short(commit.CommitId)} ({commit.ChangedFiles.Count} file(s)).");
    }

    /// <summary>The instructions for the re-run: the template filled in, in one pass, so placeholder-like text in the
    /// task's instructions or in file content stays as it is.</summary>
    internal string BuildInstructions(ConflictContext context)
    {
        string conflicts = DescribeConflicts(context);
        return Placeholders.Replace(_options.InstructionsTemplate, match => match.Groups[1].Value switch
        {
            "task_id" => context.Task.Id,
            "branch" => context.Branch,
            "main_branch" => context.MainBranch,
            "main_commit" => Short(context.OursCommit),
            "instructions" => context.Task.Instructions.TrimEnd(),
            _ => conflicts,
        });
    }

    private string DescribeConflicts(ConflictContext context)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"### Conflicted files ({context.Conflicts.Count})\n");
        using Repository? repository = Repository.IsValid(context.RepositoryPath) ? new Repository(context.RepositoryPath) : null;
        foreach (MergeConflict conflict in context.Conflicts.Take(_options.MaxFiles))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n#### {conflict.Path} ({conflict.Kind})\n");
            text.Append(CultureInfo.InvariantCulture, $"Conflicting lines: {Lines(conflict.OursLines, $"on {context.MainBranch}")}; {Lines(conflict.TheirsLines, $"in your earlier work ({context.Branch})")}.\n");
            if (conflict.OtherTaskId is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $"Changed on {context.MainBranch} by task '{conflict.OtherTaskId}'.\n");
            }

            text.Append(repository is null
                ? $"(The repository at '{context.RepositoryPath}' could not be read; open the file on {context.MainBranch} to see the change.)\n"
                : OtherSideChange(repository, context, conflict));
        }

        if (context.Conflicts.Count > _options.MaxFiles)
        {
            text.Append(CultureInfo.InvariantCulture, $"\nAlso conflicted, not shown here: {string.Join(", ", context.Conflicts.Skip(_options.MaxFiles).Select(c => c.Path))}.\n");
        }

        return text.ToString().TrimEnd();
    }

    private static string Lines(IReadOnlyList<LineRange> ranges, string side) =>
        ranges.Count == 0 ? $"none {side} (the file is missing or binary there)" : $"{string.Join(", ", ranges)} {side}";

    /// <summary>What the main branch changed in the conflicting hunks of one file, against the merge base.</summary>
    private string OtherSideChange(Repository repository, ConflictContext context, MergeConflict conflict)
    {
        Blob? ours = Find(repository, context.OursCommit, conflict.Path);
        if (ours is null)
        {
            return $"{context.MainBranch} deleted this file.\n";
        }

        Blob? ancestor = context.BaseCommit is null ? null : Find(repository, context.BaseCommit, conflict.Path);
        if (ours.IsBinary || ancestor?.IsBinary == true || ours.Size > MergeConflictReader.MaxTextBytes)
        {
            return $"The file is binary or too large to show; {context.MainBranch}'s version differs from the one your task started from.\n";
        }

        string? ancestorText = MergeConflictReader.Text(ancestor);
        string? oursText = MergeConflictReader.Text(ours);
        Blob? theirs = Find(repository, context.TheirsCommit, conflict.Path);
        IReadOnlyList<ConflictHunk> hunks = theirs is null || theirs.IsBinary || theirs.Size > MergeConflictReader.MaxTextBytes
            ? []
            : ConflictLines.Hunks(ancestorText, oursText, MergeConflictReader.Text(theirs));
        (string[] oldLines, string[] newLines, List<ConflictLines.Hunk> edits) = ConflictLines.Diff(ancestorText, oursText);

        // The main branch's edits that make up the conflicting hunks (those touching a hunk's ancestor region); all of
        // them when the hunks are unknown (the task deleted the file).
        List<ConflictLines.Hunk> shown = hunks.Count == 0
            ? edits
            : [.. edits.Where(e => hunks.Any(h => e.BaseStart <= h.BaseStart - 1 + h.BaseCount && e.BaseEnd >= h.BaseStart - 1))];
        if (shown.Count == 0)
        {
            return "";
        }

        var diff = new StringBuilder();
        foreach (ConflictLines.Hunk edit in shown)
        {
            diff.Append(CultureInfo.InvariantCulture, $"@@ -{edit.BaseStart + 1},{edit.BaseEnd - edit.BaseStart} +{edit.SideStart + 1},{edit.SideEnd - edit.SideStart} @@\n");
            for (int i = edit.BaseStart; i < edit.BaseEnd; i++)
            {
                diff.Append('-').Append(oldLines[i].TrimEnd('\n', '\r')).Append('\n');
            }

            for (int i = edit.SideStart; i < edit.SideEnd; i++)
            {
                diff.Append('+').Append(newLines[i].TrimEnd('\n', '\r')).Append('\n');
            }
        }

        string body = diff.ToString();
        if (body.Length > _options.MaxChangeCharactersPerFile)
        {
            int cut = body.LastIndexOf('\n', _options.MaxChangeCharactersPerFile - 1);
            cut = cut <= 0 ? _options.MaxChangeCharactersPerFile : cut + 1;
            body = body[..cut] + $"... ({body.Length - cut} more characters not shown: read {conflict.Path} on {context.MainBranch})\n";
        }

        string fence = Fence(body);
        string what = ancestor is null
            ? $"What {context.MainBranch} has there (the file did not exist when your task started):"
            : $"What {context.MainBranch} changed there, against the version your task started from:";
        return $"{what}\n{fence}diff\n{body}{fence}\n";
    }

    private static Blob? Find(Repository repository, string commitId, string path) =>
        repository.Lookup<Commit>(commitId)?[path]?.Target as Blob;

    /// <summary>A code fence longer than any run of backticks in the body, so file content cannot close it.</summary>
    private static string Fence(string body)
    {
        int longest = 0, run = 0;
        foreach (char c in body)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        return new string('`', Math.Max(3, longest + 1));
    }

    private static string Short(string commit) => commit[..Math.Min(10, commit.Length)];
}
