namespace ParallelAgents.Sdk;

/// <summary>Options of the <see cref="RerunAgentResolver"/>.</summary>
public sealed class RerunAgentResolverOptions
{
    /// <summary>The instructions the agent gets on its re-run. Placeholders: <c>{instructions}</c> (the task's own),
    /// <c>{conflicts}</c> (the conflicted files, their lines and the other side's change), <c>{task_id}</c>,
    /// <c>{branch}</c>, <c>{main_branch}</c> and <c>{main_commit}</c>.</summary>
    /// <value>Must contain <c>{conflicts}</c>. The default is <see cref="DefaultInstructionsTemplate"/>.</value>
    public string InstructionsTemplate { get; set; } = DefaultInstructionsTemplate;

    /// <summary>The most characters of the other side's change shown for one file; the rest is cut with a note
    /// telling the agent to read the file.</summary>
    /// <value>At least 200. The default is 4,000.</value>
    public int MaxChangeCharactersPerFile { get; set; } = 4_000;

    /// <summary>The most conflicted files listed; the others are named in one line at the end.</summary>
    /// <value>At least 1. The default is 20.</value>
    public int MaxFiles { get; set; } = 20;

    /// <summary>The template used when <see cref="InstructionsTemplate"/> is not set: the task's instructions, then a
    /// section asking the agent to redo the task on the current main branch and keep the other side's changes.</summary>
    public const string DefaultInstructionsTemplate =
        """
        {instructions}

        ## Merge conflict: redo this task on the current {main_branch}

        Your earlier work on this task (branch {branch}) conflicts with changes merged into {main_branch} since you started.
        This workspace is a fresh copy of {main_branch} at commit {main_commit}, without your earlier work.
        Do the task again on top of it. Keep the other side's changes shown below: do not undo or overwrite them;
        build your changes around them, then make sure the task's checks still pass.

        {conflicts}
        """;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">An option is out of range, or the template has no <c>{conflicts}</c>.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(InstructionsTemplate) || !InstructionsTemplate.Contains("{conflicts}", StringComparison.Ordinal))
        {
            throw new ArgumentException(
                "RerunAgentResolverOptions.InstructionsTemplate must contain the {conflicts} placeholder, or the agent is not told what conflicts; start from RerunAgentResolverOptions.DefaultInstructionsTemplate.",
                nameof(InstructionsTemplate));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxChangeCharactersPerFile, 200, nameof(MaxChangeCharactersPerFile));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFiles, 1, nameof(MaxFiles));
    }

    internal RerunAgentResolverOptions Copy() => new()
    {
        InstructionsTemplate = InstructionsTemplate,
        MaxChangeCharactersPerFile = MaxChangeCharactersPerFile,
        MaxFiles = MaxFiles,
    };
}
