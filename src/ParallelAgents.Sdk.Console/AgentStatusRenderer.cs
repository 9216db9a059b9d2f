using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ParallelAgents.Sdk;

/// <summary>Draws a <see cref="StatusSnapshot"/>: the tasks' table, then the merges and the predicted conflicts.</summary>
internal static class AgentStatusRenderer
{
    /// <summary>The most characters of a row's last activity shown; the rest is cut so one row stays one line.</summary>
    private const int MaxActivityChars = 60;

    public static IRenderable Render(StatusSnapshot snapshot)
    {
        var table = new Table().Border(TableBorder.Rounded).Expand();
        table.Title = new TableTitle(Title(snapshot));
        // Columns with nothing to show in any row are left out, so that the table fits a narrow terminal: no cost
        // without model prices, no tokens with command agents, no active/idle once nothing runs.
        var columns = new List<(TableColumn Column, Func<RowSnapshot, IRenderable> Cell)>
        {
            // Only the last activity wraps on a narrow console; the short columns keep their words whole.
            (new TableColumn("Task").NoWrap(), r => new Text(r.TaskId)),
            (new TableColumn("State").NoWrap(), r => new Text(r.State.ToString(), StateStyle(r.State))),
            (new TableColumn("Try").RightAligned().NoWrap(), r => new Text(r.Attempt == 0 ? "" : r.Attempt.ToString(CultureInfo.InvariantCulture))),
            (new TableColumn("Last activity"), r => new Text(Shorten(r.Activity, MaxActivityChars))),
        };
        if (snapshot.Rows.Any(r => r.Liveness.Length > 0))
        {
            columns.Add((new TableColumn("Now").NoWrap(), r => new Text(r.Liveness, r.Liveness == "active" ? new Style(Color.Green) : new Style(Color.Grey))));
        }

        if (snapshot.Rows.Any(r => r.ToolCalls > 0))
        {
            columns.Add((new TableColumn("Tools").RightAligned().NoWrap(), r => new Text(Count(r.ToolCalls))));
        }

        if (snapshot.Rows.Any(r => r.InputTokens + r.OutputTokens > 0))
        {
            columns.Add((new TableColumn("Tokens").RightAligned().NoWrap(), r => new Text(r.InputTokens + r.OutputTokens == 0 ? "" : Tokens(r.InputTokens + r.OutputTokens))));
        }

        if (snapshot.Rows.Any(r => r.Cost > 0))
        {
            columns.Add((new TableColumn("Cost").RightAligned().NoWrap(), r => new Text(r.Cost == 0 ? "" : Cost(r.Cost))));
        }

        columns.Add((new TableColumn("Time").RightAligned().NoWrap(), r => new Text(r.Elapsed is { } elapsed ? Duration(elapsed) : "")));
        columns.Add((new TableColumn("Files").RightAligned().NoWrap(), r => new Text(Count(r.Files))));
        foreach ((TableColumn column, _) in columns)
        {
            table.AddColumn(column);
        }

        foreach (RowSnapshot row in snapshot.Rows)
        {
            table.AddRow(columns.Select(c => c.Cell(row)));
        }

        var parts = new List<IRenderable> { table };
        if (snapshot.Merges.Count > 0)
        {
            parts.Add(new Text("Merges", new Style(decoration: Decoration.Bold)));
            foreach (MergeResult merge in snapshot.Merges)
            {
                parts.Add(new Text("  " + MergeLine(merge), merge.ReachedMain ? Style.Plain : new Style(Color.Red)));
            }
        }

        if (snapshot.Conflicts.Count > 0)
        {
            parts.Add(new Text("Predicted conflicts", new Style(decoration: Decoration.Bold)));
            foreach (ConflictForecast forecast in snapshot.Conflicts)
            {
                parts.Add(new Text("  " + ConflictLine(forecast), new Style(Color.Yellow)));
            }
        }

        if (snapshot.DroppedEvents > 0)
        {
            parts.Add(new Text($"{snapshot.DroppedEvents} events were lost: the table may lag until the run ends.", new Style(Color.Yellow)));
        }

        return new Rows(parts);
    }

    public static string MergeLine(MergeResult merge) =>
        $"{merge.TaskId} ({merge.Branch}): {merge.Status}, {merge.Files.Count} file(s)"
        + (merge.Resolver is null ? "" : $", resolved by {merge.Resolver}")
        + (merge.ReachedMain || merge.Message is null ? "" : ": " + Shorten(merge.Message, 100));

    public static string ConflictLine(ConflictForecast forecast) =>
        $"{forecast.TaskId} <-> {forecast.OtherTaskId ?? "main"}: {string.Join(", ", forecast.Conflicts.Select(c => c.Path))}";

    public static string Duration(TimeSpan elapsed) =>
        elapsed.TotalMinutes >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)elapsed.TotalMinutes}m{elapsed.Seconds:00}s")
            : string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, elapsed.TotalSeconds):0.0}s");

    public static string Tokens(long tokens) =>
        tokens >= 10_000
            ? string.Create(CultureInfo.InvariantCulture, $"{tokens / 1000.0:0.#}k")
            : tokens.ToString("N0", CultureInfo.InvariantCulture);

    public static string Cost(decimal cost) => string.Create(CultureInfo.InvariantCulture, $"${cost:0.0000}");

    private static string Count(long value) => value == 0 ? "" : value.ToString(CultureInfo.InvariantCulture);

    private static string Title(StatusSnapshot snapshot)
    {
        string run = snapshot.RunId is null ? "waiting for the run to start" : $"run {snapshot.RunId}";
        int done = snapshot.Rows.Count(r => r.State is TaskState.Succeeded or TaskState.Failed or TaskState.Skipped or TaskState.Cancelled or TaskState.Rejected);
        int running = snapshot.Rows.Count(r => r.State is TaskState.Running or TaskState.Retrying);
        string elapsed = snapshot.Elapsed is { } e ? ", " + Duration(e) : "";
        return $"{run}: {done}/{snapshot.Rows.Count} done, {running} running{elapsed}{(snapshot.Ended ? ", ended" : "")}";
    }

    private static Style StateStyle(TaskState state) => state switch
    {
        TaskState.Succeeded => new Style(Color.Green),
        TaskState.Failed or TaskState.Rejected => new Style(Color.Red),
        TaskState.Running => new Style(Color.Aqua),
        TaskState.Retrying => new Style(Color.Yellow),
        TaskState.Skipped or TaskState.Cancelled => new Style(Color.Grey),
        _ => Style.Plain,
    };

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
