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
        // Only the last activity wraps on a narrow console; the short columns keep their words whole.
        table.AddColumn(new TableColumn("Task").NoWrap());
        table.AddColumn(new TableColumn("State").NoWrap());
        table.AddColumn(new TableColumn("Try").RightAligned().NoWrap());
        table.AddColumn("Last activity");
        table.AddColumn(new TableColumn("Now").NoWrap());
        table.AddColumn(new TableColumn("Tools").RightAligned().NoWrap());
        table.AddColumn(new TableColumn("Tokens").RightAligned().NoWrap());
        table.AddColumn(new TableColumn("Cost").RightAligned().NoWrap());
        table.AddColumn(new TableColumn("Elapsed").RightAligned().NoWrap());
        table.AddColumn(new TableColumn("Files").RightAligned().NoWrap());
        foreach (RowSnapshot row in snapshot.Rows)
        {
            table.AddRow(
                new Text(row.TaskId),
                new Text(row.State.ToString(), StateStyle(row.State)),
                new Text(row.Attempt == 0 ? "" : row.Attempt.ToString(CultureInfo.InvariantCulture)),
                new Text(Shorten(row.Activity, MaxActivityChars)),
                new Text(row.Liveness, row.Liveness == "active" ? new Style(Color.Green) : new Style(Color.Grey)),
                new Text(Count(row.ToolCalls)),
                new Text(row.InputTokens + row.OutputTokens == 0 ? "" : Tokens(row.InputTokens + row.OutputTokens)),
                new Text(row.Cost == 0 ? "" : Cost(row.Cost)),
                new Text(row.Elapsed is { } elapsed ? Duration(elapsed) : ""),
                new Text(Count(row.Files)));
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
        int done = snapshot.Rows.Count(r => r.State is TaskState.Succeeded or TaskState.Failed or TaskState.Skipped or TaskState.Cancelled);
        int running = snapshot.Rows.Count(r => r.State is TaskState.Running or TaskState.Retrying);
        string elapsed = snapshot.Elapsed is { } e ? ", " + Duration(e) : "";
        return $"{run}: {done}/{snapshot.Rows.Count} done, {running} running{elapsed}{(snapshot.Ended ? ", ended" : "")}";
    }

    private static Style StateStyle(TaskState state) => state switch
    {
        TaskState.Succeeded => new Style(Color.Green),
        TaskState.Failed => new Style(Color.Red),
        TaskState.Running => new Style(Color.Aqua),
        TaskState.Retrying => new Style(Color.Yellow),
        TaskState.Skipped or TaskState.Cancelled => new Style(Color.Grey),
        _ => Style.Plain,
    };

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
