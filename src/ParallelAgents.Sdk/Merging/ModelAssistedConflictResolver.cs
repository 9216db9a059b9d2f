using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using LibGit2Sharp;
using Microsoft.Extensions.AI;

namespace ParallelAgents.Sdk;

/// <summary>
/// Resolves a conflict by asking a model (any <see cref="IChatClient"/>), one conflicted file at a time, for the whole
/// resolved file, given the base, the main branch's and the task's versions and both tasks' instructions (named
/// <c>model-assisted</c>).
/// </summary>
/// <remarks>
/// <para>An answer is accepted only when it holds the file in a fenced block and has no conflict markers; the resolved
/// files then replace the conflicted ones in the in-memory merge of the main branch's commit and the task's, and that
/// tree is committed, with the main branch's commit as first parent and the task's as second, on the branch
/// <c>&lt;task branch&gt;-resolved</c>. No working tree is touched. The engine then checks the commit like any
/// resolution: it must merge cleanly and pass the plan's <c>verify</c> commands, or the next resolver is asked.</para>
/// <para>It declines (<see cref="ConflictResolution.NotResolved(string)"/>, with the reason) binary files, files larger
/// than <see cref="ModelAssistedConflictResolverOptions.MaxFileBytes"/>, conflicts other than <c>content</c> and
/// <c>add/add</c> (a deletion or a rename is a decision better left to the agent or a person), merges with more than
/// <see cref="ModelAssistedConflictResolverOptions.MaxFiles"/> conflicted files, malformed answers and failed requests.</para>
/// </remarks>
public sealed partial class ModelAssistedConflictResolver : IConflictResolver
{
    private readonly IChatClient _chatClient;
    private readonly ModelAssistedConflictResolverOptions _options;

    /// <summary>Creates the resolver.</summary>
    /// <param name="chatClient">The model to ask.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults; they are checked and copied.</param>
    /// <exception cref="ArgumentException">The options are invalid (see <see cref="ModelAssistedConflictResolverOptions.Validate"/>).</exception>
    public ModelAssistedConflictResolver(IChatClient chatClient, ModelAssistedConflictResolverOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        _chatClient = chatClient;
        _options = (options ?? new ModelAssistedConflictResolverOptions()).Copy();
        _options.Validate();
    }

    /// <inheritdoc/>
    public string Name => "model-assisted";

    /// <inheritdoc/>
    public async ValueTask<ConflictResolution> ResolveAsync(ConflictContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Conflicts.Count == 0)
        {
            return ConflictResolution.NotResolved("There is no conflicted file to resolve.");
        }

        if (context.Conflicts.Count > _options.MaxFiles)
        {
            return ConflictResolution.NotResolved(
                $"{context.Conflicts.Count} files conflict, more than the {_options.MaxFiles} the model is asked about (ModelAssistedConflictResolverOptions.MaxFiles).");
        }

        using var repository = new Repository(context.RepositoryPath);
        Commit ours = repository.Lookup<Commit>(context.OursCommit)
            ?? throw new InvalidOperationException($"The main branch's commit {context.OursCommit} is not in the repository at '{context.RepositoryPath}'.");
        Commit theirs = repository.Lookup<Commit>(context.TheirsCommit)
            ?? throw new InvalidOperationException($"The task's commit {context.TheirsCommit} is not in the repository at '{context.RepositoryPath}'.");
        Commit? @base = context.BaseCommit is null ? null : repository.Lookup<Commit>(context.BaseCommit);

        var resolved = new List<(string Path, byte[] Content, Mode Mode)>();
        foreach (MergeConflict conflict in context.Conflicts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (conflict.Kind == "binary")
            {
                return ConflictResolution.NotResolved($"{conflict.Path} is binary; the model only merges text.");
            }

            if (conflict.Kind is not ("content" or "add/add"))
            {
                return ConflictResolution.NotResolved(
                    $"{conflict.Path} is a {conflict.Kind} conflict; the model only merges the content of files both sides kept.");
            }

            TreeEntry? oursEntry = ours[conflict.Path], theirsEntry = theirs[conflict.Path], baseEntry = @base?[conflict.Path];
            if (oursEntry?.Target is not Blob oursBlob || theirsEntry?.Target is not Blob theirsBlob)
            {
                return ConflictResolution.NotResolved($"{conflict.Path} is not a file on both sides; the model only merges the content of files.");
            }

            Blob? baseBlob = baseEntry?.Target as Blob;
            if (oursBlob.IsBinary || theirsBlob.IsBinary || baseBlob?.IsBinary == true)
            {
                return ConflictResolution.NotResolved($"{conflict.Path} is binary; the model only merges text.");
            }

            long largest = Math.Max(Math.Max(oursBlob.Size, theirsBlob.Size), baseBlob?.Size ?? 0);
            if (largest > _options.MaxFileBytes)
            {
                return ConflictResolution.NotResolved(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{conflict.Path} is {largest:N0} bytes, over the {_options.MaxFileBytes:N0} sent to the model (ModelAssistedConflictResolverOptions.MaxFileBytes)."));
            }

            string oursText = MergeConflictReader.Text(oursBlob)!, theirsText = MergeConflictReader.Text(theirsBlob)!;
            string? baseText = MergeConflictReader.Text(baseBlob);
            string? answer;
            try
            {
                ChatResponse response = await _chatClient.GetResponseAsync(
                    Messages(context, conflict, baseText, oursText, theirsText), _options.ChatOptions?.Clone(), cancellationToken).ConfigureAwait(false);
                answer = response.Text;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // A failed request is this resolver declining; the chain goes on and the report says why.
            catch (Exception e)
#pragma warning restore CA1031
            {
                return ConflictResolution.NotResolved($"Asking the model to resolve {conflict.Path} failed: {e.GetType().Name}: {e.Message}");
            }

            string newline = oursText.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
            bool finalNewline = oursText.EndsWith('\n') || (oursText.Length == 0 && theirsText.EndsWith('\n'));
            if (!ResolvedFileAnswer.TryRead(answer, newline, finalNewline, out string content, out string problem))
            {
                return ConflictResolution.NotResolved($"The model's answer for {conflict.Path} is malformed: {problem}.");
            }

            string? marker = ResolvedFileAnswer.FindMarker(content, [baseText, oursText, theirsText]);
            if (marker is not null)
            {
                return ConflictResolution.NotResolved($"The model's resolution of {conflict.Path} still has the conflict marker line '{marker}'; refused.");
            }

            byte[] bytes = Encode(content, byteOrderMark: HasByteOrderMark(oursBlob));
            if (bytes.Length > _options.MaxFileBytes)
            {
                return ConflictResolution.NotResolved(string.Create(
                    CultureInfo.InvariantCulture,
                    $"The model's resolution of {conflict.Path} is {bytes.Length:N0} bytes, over ModelAssistedConflictResolverOptions.MaxFileBytes ({_options.MaxFileBytes:N0}); refused."));
            }

            // Written only once every file is resolved, so a refusal leaves no stray object behind.
            resolved.Add((conflict.Path, bytes, oursEntry.Mode));
        }

        return Commit(repository, context, ours, theirs, resolved);
    }

    /// <summary>The request for one file: the system prompt and the template filled in, in one pass.</summary>
    internal List<ChatMessage> Messages(ConflictContext context, MergeConflict conflict, string? baseText, string oursText, string theirsText)
    {
        AgentTask? other = null;
        if (conflict.OtherTaskId is not null)
        {
            context.Plan?.TryGetTask(conflict.OtherTaskId, out other);
        }

        string fence = Fence(baseText, oursText, theirsText);
        string prompt = Placeholders().Replace(_options.PromptTemplate, match => match.Groups[1].Value switch
        {
            "path" => conflict.Path,
            "kind" => conflict.Kind,
            "task_id" => context.Task.Id,
            "branch" => context.Branch,
            "main_branch" => context.MainBranch,
            "task_instructions" => context.Task.Instructions.TrimEnd(),
            "other_task" => conflict.OtherTaskId is null ? "changed by work whose task is not known" : $"changed by task '{conflict.OtherTaskId}'",
            "other_instructions" => other?.Instructions.TrimEnd()
                ?? (conflict.OtherTaskId is null ? "(The instructions behind this side's change are not known.)" : $"(Task '{conflict.OtherTaskId}' is not in the plan given to the merge; its instructions are not known.)"),
            "conflict_lines" => string.Create(
                CultureInfo.InvariantCulture,
                $"{context.MainBranch}'s lines {Lines(conflict.OursLines)}; {context.Branch}'s lines {Lines(conflict.TheirsLines)}."),
            "base" => baseText is null ? "(the file did not exist)" : Body(baseText),
            "ours" => Body(oursText),
            "theirs" => Body(theirsText),
            _ => fence,
        });

        var messages = new List<ChatMessage>(2);
        if (!string.IsNullOrEmpty(_options.SystemPrompt))
        {
            messages.Add(new ChatMessage(ChatRole.System, _options.SystemPrompt));
        }

        messages.Add(new ChatMessage(ChatRole.User, prompt));
        return messages;
    }

    private ConflictResolution Commit(Repository repository, ConflictContext context, Commit ours, Commit theirs, List<(string Path, byte[] Content, Mode Mode)> resolved)
    {
        // The clean part of the merge is computed as the engine computes it, in a handle whose object writes stay in
        // memory (blobs of files merged line by line, virtual bases of criss-cross histories); only the objects the
        // resolution's tree needs are then written to the repository.
        var definition = new TreeDefinition();
        var replaced = new HashSet<string>(resolved.Select(r => r.Path), StringComparer.Ordinal);
        var left = new SortedSet<string>(StringComparer.Ordinal);
        using (var handle = new Repository(context.RepositoryPath))
        {
            var scratch = new ScratchObjectBackend();
            handle.ObjectDatabase.AddBackend(scratch, ScratchObjectBackend.Priority);
            using TransientIndex index = handle.ObjectDatabase.MergeCommitsIntoIndex(
                handle.Lookup<Commit>(ours.Id), handle.Lookup<Commit>(theirs.Id), InMemoryMerge.Options())
                ?? throw new InvalidOperationException("libgit2 stopped the merge early although FailOnConflict is off.");
            foreach (IndexEntry entry in index)
            {
                if (replaced.Contains(entry.Path))
                {
                    continue;
                }

                if (entry.StageLevel != StageLevel.Staged)
                {
                    left.Add(entry.Path);
                    continue;
                }

                if (entry.Mode == Mode.GitLink)
                {
                    definition.AddGitLink(entry.Path, entry.Id);
                    continue;
                }

                if (scratch.Exists(entry.Id))
                {
                    using Stream content = handle.Lookup<Blob>(entry.Id).GetContentStream();
                    repository.ObjectDatabase.CreateBlob(content);
                }

                definition.Add(entry.Path, entry.Id, entry.Mode);
            }
        }

        if (left.Count > 0)
        {
            return ConflictResolution.NotResolved(
                $"After the model's resolutions, the merge still conflicts in {string.Join(", ", left)}, which were not among the conflicts given to the resolver.");
        }

        foreach ((string path, byte[] content, Mode mode) in resolved)
        {
            using var stream = new MemoryStream(content, writable: false);
            definition.Add(path, repository.ObjectDatabase.CreateBlob(stream), mode);
        }

        Tree tree = repository.ObjectDatabase.CreateTree(definition);
        string files = string.Join(", ", resolved.Select(r => r.Path));
        var signature = new Signature("ParallelAgents (model-assisted)", "model-assisted@agents.parallelagents.invalid", _options.TimeProvider.GetUtcNow());
        string message = $"Resolve the conflicts of {context.Branch} with {context.MainBranch} (model-assisted)\n\nResolved by the model: {files}\n";
        Commit commit = repository.ObjectDatabase.CreateCommit(signature, signature, message, tree, [ours, theirs], prettifyMessage: false);
        string branch = context.Branch + "-resolved";
        repository.Branches.Add(branch, commit, allowOverwrite: true);
        return ConflictResolution.Resolved(
            commit.Sha,
            $"The model resolved {resolved.Count} file(s) ({files}); committed as {commit.Sha[..10]} on {branch}.");
    }

    private static byte[] Encode(string content, bool byteOrderMark)
    {
        var encoding = new UTF8Encoding(byteOrderMark);
        return [.. encoding.GetPreamble(), .. encoding.GetBytes(content)];
    }

    /// <summary>Whether the file starts with UTF-8's byte order mark, which reading it as text drops; the resolution keeps it.</summary>
    private static bool HasByteOrderMark(Blob blob)
    {
        using Stream content = blob.GetContentStream();
        Span<byte> start = stackalloc byte[3];
        return content.ReadAtLeast(start, 3, throwOnEndOfStream: false) == 3 && start.SequenceEqual((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]);
    }

    private static string Lines(IReadOnlyList<LineRange> ranges) => ranges.Count == 0 ? "(none)" : string.Join(", ", ranges);

    /// <summary>A version as it goes between fences: without its final line ending, which the fence line supplies.</summary>
    private static string Body(string text) => text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('\n') ? text[..^1] : text;

    /// <summary>A fence longer than any run of backticks in the versions, so no file content can close it.</summary>
    private static string Fence(params string?[] texts)
    {
        int longest = 0;
        foreach (string? text in texts)
        {
            int run = 0;
            foreach (char c in text ?? "")
            {
                run = c == '`' ? run + 1 : 0;
                longest = Math.Max(longest, run);
            }
        }

        return new string('`', Math.Max(3, longest + 1));
    }

    [GeneratedRegex(@"\{(path|kind|task_id|branch|main_branch|task_instructions|other_task|other_instructions|conflict_lines|base|ours|theirs|fence)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholders();
}
