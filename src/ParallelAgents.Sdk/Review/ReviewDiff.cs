using System.Globalization;
using System.Text;
using LibGit2Sharp;

namespace ParallelAgents.Sdk;

/// <summary>What a task's branch changes against the main branch, as a reviewer reads it: <c>git diff main...branch</c>
/// (from the merge base), its files with line counts, and where it adds strings that look like keys.</summary>
internal sealed class ReviewDiff
{
    public required string HeadCommit { get; init; }

    public string? BaseCommit { get; init; }

    public required string Text { get; init; }

    public bool Truncated { get; init; }

    public required IReadOnlyList<ReviewFileChange> Files { get; init; }

    public required IReadOnlyList<string> SuspectedSecrets { get; init; }

    public static ReviewDiff Compute(string repositoryPath, string mainBranch, string branch, int maxChars)
    {
        using var repository = new Repository(repositoryPath);
        Commit head = repository.Branches[branch]?.Tip
            ?? throw new InvalidOperationException($"The branch '{branch}' has no commit to review.");
        Commit? main = repository.Branches[mainBranch]?.Tip;
        Commit? @base = main is null ? null : repository.ObjectDatabase.FindMergeBase(main, head);
        var options = new LibGit2Sharp.CompareOptions { ContextLines = 3, Similarity = SimilarityOptions.Renames };
        using Patch patch = repository.Diff.Compare<Patch>(@base?.Tree, head.Tree, options);
        var files = new List<ReviewFileChange>();
        var suspected = new List<string>();
        foreach (PatchEntryChanges change in patch)
        {
            files.Add(new ReviewFileChange(change.Path, KindName(change.Status), change.LinesAdded, change.LinesDeleted)
            {
                OldPath = string.IsNullOrEmpty(change.OldPath) || change.OldPath == change.Path ? null : change.OldPath,
                IsBinary = change.IsBinaryComparison,
            });
            if (!change.IsBinaryComparison)
            {
                FindSecrets(change.Path, change.Patch, suspected);
            }
        }

        files.Sort((x, y) => string.CompareOrdinal(x.Path, y.Path));
        string text = patch.Content;
        bool truncated = text.Length > maxChars;
        if (truncated)
        {
            int cut = text.LastIndexOf('\n', maxChars - 1);
            text = string.Concat(text.AsSpan(0, cut < 0 ? maxChars : cut + 1),
                string.Create(CultureInfo.InvariantCulture, $"... the diff is cut here at {maxChars:N0} of {patch.Content.Length:N0} characters; run 'git diff {mainBranch}...{branch}' for all of it\n"));
        }

        return new ReviewDiff
        {
            HeadCommit = head.Sha,
            BaseCommit = @base?.Sha,
            Text = text,
            Truncated = truncated,
            Files = files,
            SuspectedSecrets = suspected,
        };
    }

    /// <summary>Adds <c>path:line</c> for each added line of <paramref name="patch"/> that holds a key-looking string.</summary>
    internal static void FindSecrets(string path, string patch, List<string> found)
    {
        int line = 0;
        bool inHunk = false;
        foreach (string row in patch.Split('\n'))
        {
            if (row.StartsWith("@@ ", StringComparison.Ordinal))
            {
                // @@ -a,b +c,d @@: the new side starts at line c.
                int plus = row.IndexOf(" +", StringComparison.Ordinal);
                int end = plus < 0 ? -1 : row.IndexOfAny([',', ' '], plus + 2);
                inHunk = plus >= 0 && end > plus
                    && int.TryParse(row.AsSpan(plus + 2, end - plus - 2), NumberStyles.None, CultureInfo.InvariantCulture, out line);
                continue;
            }

            if (!inHunk || row.Length == 0)
            {
                continue;
            }

            switch (row[0])
            {
                case '+':
                    if (SecretRedactor.FindKeys(row[1..]).Count > 0)
                    {
                        found.Add(string.Create(CultureInfo.InvariantCulture, $"{path}:{line}"));
                    }

                    line++;
                    break;
                case ' ':
                    line++;
                    break;
            }
        }
    }

    private static string KindName(ChangeKind kind) => kind switch
    {
        ChangeKind.Added => "added",
        ChangeKind.Deleted => "deleted",
        ChangeKind.Modified => "modified",
        ChangeKind.Renamed => "renamed",
        ChangeKind.Copied => "copied",
        ChangeKind.TypeChanged => "type-changed",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
