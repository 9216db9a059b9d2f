// TaskFlow: four AI coding agents build a small task manager in parallel, each in its own git worktree, and the
// engine merges their work. Offline by default (prepared answers replayed from cassettes); --live for a real model.
// See README.md beside this file.
using Spectre.Console;
using TaskFlow;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops the run cleanly (agents cancelled, work kept on their branches); a second one kills it.
    e.Cancel = !cancellation.IsCancellationRequested;
    cancellation.Cancel();
};

// On a terminal the run is a live table (ParallelAgents.Sdk.Console); redirected to a file or a pipe, a line per event.
IAnsiConsole? liveConsole = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities is { Interactive: true, Ansi: true }
    ? AnsiConsole.Console
    : null;
return await TaskFlowApp.RunAsync(args, Console.Out, liveConsole, cancellation.Token);
