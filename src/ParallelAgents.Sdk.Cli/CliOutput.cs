using Spectre.Console;

namespace ParallelAgents.Sdk.Cli;

/// <summary>Where a command writes: its results to <see cref="Out"/> (JSON only, with <c>--json</c>), messages and
/// errors to <see cref="Error"/>, the live table to <see cref="Table"/>.</summary>
internal sealed class CliOutput(TextReader input, TextWriter output, TextWriter error)
{
    /// <summary>Where <c>--review</c> reads its answers.</summary>
    public TextReader In { get; } = input;

    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    /// <summary>The console the live table draws on: standard output, or standard error when standard output carries
    /// JSON. Spectre.Console finds out whether it can redraw (a terminal) or must write plain lines (redirected).</summary>
    public IAnsiConsole TableConsole(bool json)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(json ? Error : Out) });
        if (!console.Profile.Capabilities.Interactive)
        {
            // Redirected output has no width of its own (Spectre assumes 80); a log file can take the whole table.
            console.Profile.Width = Math.Max(console.Profile.Width, 160);
        }

        return console;
    }
}
