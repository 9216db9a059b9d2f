// parallel-agents: runs a tasks.yaml with AI coding agents in parallel; see docs/cli.md.
using System.Runtime.InteropServices;
using ParallelAgents.Sdk.Cli;

using var cancellation = new CancellationTokenSource();

// The first Ctrl+C or SIGTERM stops the run cleanly (agents cancelled, work kept on their branches); a second Ctrl+C
// is left to the runtime, which ends the process.
void Stop(PosixSignalContext context)
{
    context.Cancel = !cancellation.IsCancellationRequested;
    cancellation.Cancel();
}

using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using PosixSignalRegistration terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
return await CliApp.RunAsync(args, new CliOutput(Console.In, Console.Out, Console.Error), cancellation.Token);
