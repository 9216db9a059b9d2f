using System.Text;
using LibGit2Sharp;

namespace ParallelAgents.Sdk;

/// <summary>Turns a conflict of an in-memory merge (<c>ObjectDatabase.MergeCommits</c>) into a <see cref="MergeConflict"/>
/// with the exact conflicting lines of both sides.</summary>
internal static class MergeConflictReader
{
    /// <summary>Past this size a version is not diffed line by line: the conflict is reported without line ranges.</summary>
    internal const long MaxTextBytes = 4 * 1024 * 1024;

    /// <summary>Reads one conflict.</summary>
    /// <param name="repository">The repository whose merge produced the conflict (it must still hold any objects the
    /// merge wrote, such as a virtual merge base's blobs).</param>
    /// <param name="conflict">The conflict.</param>
    /// <param name="otherTaskId">The task on the ours side, when known.</param>
    /// <returns>The conflict and its hunks (empty for binary or oversized files).</returns>
    public static (MergeConflict Conflict, IReadOnlyList<ConflictHunk> Hunks) Read(Repository repository, Conflict conflict, string? otherTaskId = null)
    {
        IndexEntry? ancestor = conflict.Ancestor, ours = conflict.Ours, theirs = conflict.Theirs;
        string path = theirs?.Path ?? ours?.Path ?? ancestor?.Path ?? throw new InvalidOperationException("libgit2 reported a conflict with no side.");

        Blob? ancestorBlob = Lookup(repository, ancestor), oursBlob = Lookup(repository, ours), theirsBlob = Lookup(repository, theirs);
        bool binary = IsBinary(ancestorBlob) || IsBinary(oursBlob) || IsBinary(theirsBlob)
            || IsGitLink(ancestor) || IsGitLink(ours) || IsGitLink(theirs);

        string kind = binary ? "binary"
            : ancestor is null && ours is not null && theirs is not null ? "add/add"
            : ancestor is not null && ours is not null && theirs is null ? "modify/delete"
            : ancestor is not null && ours is null && theirs is not null ? "delete/modify"
            : ours is not null && theirs is not null && ancestor is not null && (ours.Path != theirs.Path || ancestor.Path != theirs.Path) ? "rename"
            : "content";

        bool tooLarge = IsTooLarge(ancestorBlob) || IsTooLarge(oursBlob) || IsTooLarge(theirsBlob);
        IReadOnlyList<ConflictHunk> hunks = binary || tooLarge ? [] : ConflictLines.Hunks(Text(ancestorBlob), Text(oursBlob), Text(theirsBlob));
        var result = new MergeConflict
        {
            Path = path,
            Kind = kind,
            OursLines = ConflictLines.OursRanges(hunks),
            TheirsLines = ConflictLines.TheirsRanges(hunks),
            OtherTaskId = otherTaskId,
        };
        return (result, hunks);
    }

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
