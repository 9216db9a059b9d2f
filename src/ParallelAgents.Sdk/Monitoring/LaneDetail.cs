using System.Globalization;

namespace ParallelAgents.Sdk;

/// <summary>What an agent reported through <see cref="AgentContext.Progress"/> or its outcome, and the files its commits
/// changed; made only for agents that have some. Read and changed under a lock on itself.</summary>
internal sealed class LaneDetail
{
    private const int MaxActionChars = 200;

    private SortedSet<string>? _files;

    // What ended attempts used, and what the running attempt has reported so far.
    public long DoneInput;
    public long DoneOutput;
    public decimal DoneCost;
    public int DoneTools;
    public long Input;
    public long Output;
    public decimal Cost;
    public int Tools;

    public string? LastAction;

    public void Record(AgentProgress progress, string action, string? path)
    {
        LastAction = action;
        switch (progress.Kind)
        {
            case AgentProgressKind.ModelCall:
                Input += progress.InputTokens;
                Output += progress.OutputTokens;
                Cost += progress.Cost;
                break;
            case AgentProgressKind.ToolCall:
                Tools++;
                break;
            case AgentProgressKind.FileChanged when path is not null:
                AddFile(path);
                break;
        }
    }

    public void AddFile(string path) => (_files ??= new SortedSet<string>(StringComparer.Ordinal)).Add(path);

    /// <summary>Closes an attempt: an agent may report its calls as it goes, return their total in its outcome, or both;
    /// the larger counts, so that nothing is counted twice and nothing is lost.</summary>
    public void EndAttempt(AgentUsage? usage)
    {
        DoneInput += Math.Max(Input, usage?.InputTokens ?? 0);
        DoneOutput += Math.Max(Output, usage?.OutputTokens ?? 0);
        DoneCost += Math.Max(Cost, usage?.Cost ?? 0m);
        DoneTools += Math.Max(Tools, usage?.ToolCalls ?? 0);
        Input = 0;
        Output = 0;
        Cost = 0m;
        Tools = 0;
    }

    /// <summary>The files, in ordinal order, with <paramref name="extra"/> (the merged branch's) when given.</summary>
    public IReadOnlyList<string> Files(IReadOnlyList<string>? extra)
    {
        if (extra is not { Count: > 0 })
        {
            return _files is null ? [] : [.. _files];
        }

        var union = new SortedSet<string>(extra, StringComparer.Ordinal);
        if (_files is not null)
        {
            union.UnionWith(_files);
        }

        return [.. union];
    }

    /// <summary>The short description of a report shown as <see cref="AgentStatus.LastAction"/>, without secrets.</summary>
    public static string Describe(AgentProgress progress, Func<string, string> redact)
    {
        string text = progress.Kind switch
        {
            AgentProgressKind.ModelCall => string.Create(CultureInfo.InvariantCulture, $"model call ({progress.InputTokens:N0} in, {progress.OutputTokens:N0} out)"),
            AgentProgressKind.ToolCall => $"tool {progress.Name}{(progress.Succeeded == false ? " (failed)" : "")}",
            AgentProgressKind.FileChanged => $"changed {progress.Path}",
            AgentProgressKind.CommandRun => $"ran {progress.Name}{(progress.Succeeded == false ? " (failed)" : "")}",
            _ => progress.Message ?? progress.Kind.ToString(),
        };
        text = redact(text.ReplaceLineEndings(" "));
        return text.Length <= MaxActionChars ? text : text[..MaxActionChars] + "…";
    }
}
