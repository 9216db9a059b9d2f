using System.Text;
using LibGit2Sharp;

namespace ParallelAgents.Sdk;

/// <summary>Turns a conflict of a libgit2 merge into a <see cref="MergeConflict"/> with the exact conflicting lines of
/// both sides: the one reading behind merge reports (<see cref="BranchMerger"/>) and forecasts
/// (<see cref="ConflictForecaster"/>), so both say the same of the same conflict.</summary>
internal static class MergeConflictReader
{
    /// <summary>Past this size a version is not diffed line by line: the conflict is reported without line ranges.</summary>
    internal const long MaxTextBytes = 4 * 1024 * 1024;

    /// <summary>Reads one conflict.</summary>
    /// <param name="repository">The repository whose merge produced the conflict (it must still hold any objects the
    /// merge wrote, such as a virtual merge base's blobs).</param>
    /// <param name="conflict">The conflict.</param>
    /// <param name="otherTaskId">The task on the ours side, when known.</param>
    /// <returns>The conflict; without line ranges for binary, submodule or oversized files. When both sides have the
    /// file, a side that deleted the lines the other changed has an empty range there; when one side deleted the file,
    /// the other side's lines are those the deletion conflicts with, and the deleting side has none.</returns>
    public static MergeConflict Read(Repository repository, Conflict conflict, string? otherTaskId = null)
    {
        IndexEntry? a = conflict.Ancestor, o = conflict.Ours, t = conflict.Theirs;
        string path = PathOf(conflict);
        string kind = o is not null && t is not null
            ? a is null ? "add/add" : a.Path != o.Path || a.Path != t.Path ? "rename" : "content"
            : o is null && t is not null ? a is null || a.Path == t.Path ? "delete/modify" : "rename"
            : o is not null && t is null ? a is null || a.Path == o.Path ? "modify/delete" : "rename"
            : "rename";

        Blob? ab = Lookup(repository, a), ob = Lookup(repository, o), tb = Lookup(repository, t);
        IReadOnlyList<LineRange> oursLines = [], theirsLines = [];
        if (IsBinary(ab) || IsBinary(ob) || IsBinary(tb) || IsGitLink(a) || IsGitLink(o) || IsGitLink(t))
        {
            if (kind == "content")
            {
                kind = "binary";
            }
        }
        else if (!IsTooLarge(ab) && !IsTooLarge(ob) && !IsTooLarge(tb))
        {
            IReadOnlyList<ConflictHunk> hunks = ConflictLines.Hunks(Text(ab), Text(ob), Text(tb));
            if (ob is not null && tb is not null)
            {
                oursLines = [.. hunks.Select(h => new LineRange(h.OursStart, h.OursStart + h.OursCount - 1))];
                theirsLines = [.. hunks.Select(h => new LineRange(h.TheirsStart, h.TheirsStart + h.TheirsCount - 1))];
            }
            else
            {
                oursLines = ConflictLines.OursRanges(hunks);
                theirsLines = ConflictLines.TheirsRanges(hunks);
            }
        }

        return new MergeConflict
        {
            Path = path,
            Kind = kind,
            OursLines = oursLines,
            TheirsLines = theirsLines,
            OtherTaskId = otherTaskId,
        };
    }

    /// <summary>The conflict's path: the theirs (task's) side's when it has the file.</summary>
    internal static string PathOf(Conflict conflict) =>
        (conflict.Theirs ?? conflict.Ours ?? conflict.Ancestor)?.Path ?? throw new InvalidOperationException("libgit2 reported a conflict with no side.");

    /// <summary>The text of a blob, read as UTF-8, or <see langword="null"/> when there is none.</summary>
    internal static string? Text(Blob? blob)
    {
        if (blob is null)
        {
            return null;
        }

        using Stream content = blob.GetContentStream();
        using var reader = new StreamReader(content, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    private static Blob? Lookup(Repository repository, IndexEntry? entry) =>
        entry is null || IsGitLink(entry) ? null : repository.Lookup<Blob>(entry.Id);

    private static bool IsGitLink(IndexEntry? entry) => entry is not null && entry.Mode == Mode.GitLink;

    private static bool IsTooLarge(Blob? blob) => blob is not null && blob.Size > MaxTextBytes;

    // IsBinary reads only the start of the blob (as git does), so it is cheap even for large files.
    private static bool IsBinary(Blob? blob) => blob is not null && blob.IsBinary;
}
