using Microsoft.Extensions.AI;

namespace ParallelAgents.Sdk;

/// <summary>Options of the <see cref="ModelAssistedConflictResolver"/>.</summary>
/// <remarks>The resolver copies the options when it is made; later changes to this instance do not reach it.</remarks>
public sealed class ModelAssistedConflictResolverOptions
{
    /// <summary>The prompt of the system message sent with every request.</summary>
    /// <value>The default is <see cref="DefaultSystemPrompt"/>; <see langword="null"/> or empty sends no system message.</value>
    public string? SystemPrompt { get; set; } = DefaultSystemPrompt;

    /// <summary>The user message asking to resolve one file. Placeholders, filled in in one pass (so placeholder-like
    /// text in a file stays as it is): <c>{path}</c>, <c>{kind}</c>, <c>{task_id}</c>, <c>{branch}</c>,
    /// <c>{main_branch}</c>, <c>{task_instructions}</c> (the task's own), <c>{other_task}</c> (the task whose merged work
    /// is on the main branch's side, or a note that it is not known), <c>{other_instructions}</c>,
    /// <c>{conflict_lines}</c>, <c>{base}</c>, <c>{ours}</c> (the main branch's version), <c>{theirs}</c> (the task's
    /// version) and <c>{fence}</c> (a run of backticks longer than any in the three versions, to wrap them in and to
    /// ask for the answer in).</summary>
    /// <value>Must contain <c>{ours}</c> and <c>{theirs}</c>. The default is <see cref="DefaultPromptTemplate"/>.</value>
    public string PromptTemplate { get; set; } = DefaultPromptTemplate;

    /// <summary>The options of every chat request (model, temperature, maximum output tokens…); each request gets a
    /// copy.</summary>
    /// <value>The default is <see langword="null"/>: the chat client's own defaults.</value>
    public ChatOptions? ChatOptions { get; set; }

    /// <summary>The largest version of a file (base, the main branch's or the task's) sent to the model, in bytes, and
    /// the largest answer accepted; a conflict in a larger file is left to the next resolver.</summary>
    /// <value>From 1,024 to 16,777,216. The default is 131,072 (128 KiB).</value>
    public int MaxFileBytes { get; set; } = 131_072;

    /// <summary>The most conflicted files in one merge the resolver takes on; with more, it declines.</summary>
    /// <value>At least 1. The default is 10.</value>
    public int MaxFiles { get; set; } = 10;

    /// <summary>Where the resolution commit's timestamp comes from.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The system prompt used when <see cref="SystemPrompt"/> is not set.</summary>
    public const string DefaultSystemPrompt =
        "You resolve git merge conflicts. You answer with the complete resolved content of the one file you are given, " +
        "inside one fenced block, and you never leave conflict markers in it.";

    /// <summary>The prompt template used when <see cref="PromptTemplate"/> is not set.</summary>
    public const string DefaultPromptTemplate =
        """
        Resolve the merge conflict in `{path}` ({kind} conflict).

        Two tasks changed this file at the same time. Combine their changes so that the file does what both tasks
        meant: keep every change of each side unless the two truly contradict each other.

        ## The task being merged: {task_id} (branch {branch})
        {task_instructions}

        ## The other side: {main_branch}, {other_task}
        {other_instructions}

        ## Where they conflict
        {conflict_lines}

        ## The version both started from (base)
        {fence}
        {base}
        {fence}

        ## {main_branch}'s version (ours)
        {fence}
        {ours}
        {fence}

        ## {branch}'s version (theirs)
        {fence}
        {theirs}
        {fence}

        Answer with the whole resolved file in one block that starts with a line {fence}resolved and ends with a line
        {fence}. Write the file exactly as it must be saved, with no conflict markers (<<<<<<<, =======, >>>>>>>) and no
        explanation inside the block.
        """;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">An option is out of range, or the template lacks <c>{ours}</c> or <c>{theirs}</c>.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(PromptTemplate)
            || !PromptTemplate.Contains("{ours}", StringComparison.Ordinal)
            || !PromptTemplate.Contains("{theirs}", StringComparison.Ordinal))
        {
            throw new ArgumentException(
                "ModelAssistedConflictResolverOptions.PromptTemplate must contain {ours} and {theirs}, or the model is not shown the two versions; start from ModelAssistedConflictResolverOptions.DefaultPromptTemplate.",
                nameof(PromptTemplate));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFileBytes, 1_024, nameof(MaxFileBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxFileBytes, 16 * 1024 * 1024, nameof(MaxFileBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFiles, 1, nameof(MaxFiles));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }

    internal ModelAssistedConflictResolverOptions Copy() => new()
    {
        SystemPrompt = SystemPrompt,
        PromptTemplate = PromptTemplate,
        ChatOptions = ChatOptions?.Clone(),
        MaxFileBytes = MaxFileBytes,
        MaxFiles = MaxFiles,
        TimeProvider = TimeProvider,
    };
}
