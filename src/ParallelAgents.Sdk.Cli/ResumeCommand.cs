using System.CommandLine;

namespace ParallelAgents.Sdk.Cli;

/// <summary><c>resume [run]</c>: finishes a run that did not end (killed, or cancelled) from its journal.</summary>
internal static class ResumeCommand
{
    public static Command Create(CliOutput output)
    {
        var run = new Argument<string?>("run") { Description = "The run's id (default: the latest run that did not finish).", Arity = ArgumentArity.ZeroOrOne };
        var options = new EngineOptions();
        var resume = new Command("resume", "Finishes a run that did not end (its process was killed, or it was cancelled) from its journal: tasks that ended keep their state, the others run again. Give the same agent options as the run had.")
        {
            run,
        };
        options.AddTo(resume);
        resume.SetAction(CliApp.Guarded(output, async (parse, cancellationToken) =>
        {
            bool asJson = parse.GetValue(options.Json);
            string repository = Paths.Repository(parse.GetValue(options.Repository));
            string state = RunJournals.StateDirectory(repository);
            RunJournalState journal;
            if (parse.GetValue(run) is { } runId)
            {
                journal = RunJournals.Read(state, runId);
            }
            else
            {
                journal = RunJournals.Ids(state).Reverse().Select(id => RunJournals.Read(state, id)).FirstOrDefault(RunJournals.Unfinished)
                    ?? throw new CliUsageException($"No run of {repository} is left unfinished: every journaled run ended. 'parallel-agents status' shows the latest.");
            }

            TextWriter messages = asJson ? output.Error : output.Out;
            if (!RunJournals.Unfinished(journal))
            {
                await messages.WriteLineAsync($"Run {journal.RunId} already ended with nothing left to run; its result follows.").ConfigureAwait(false);
            }

            await using EngineSession session = await options.BuildAsync(parse, output, repository, journal.Plan, cancellationToken).ConfigureAwait(false);
            int done = journal.Tasks.Count(t => t.IsDone);
            await messages.WriteLineAsync($"Resuming run {journal.RunId} on {repository}: {done} of {journal.Tasks.Length} task(s) ended before, the others run now.").ConfigureAwait(false);
            await messages.WriteLineAsync(session.AgentLine).ConfigureAwait(false);
            RunResult result = parse.GetValue(options.Live)
                ? await session.Engine.ResumeWithLiveTableAsync(journal.RunId, output.TableConsole(asJson), cancellationToken).ConfigureAwait(false)
                : await session.Engine.ResumeAsync(journal.RunId, cancellationToken).ConfigureAwait(false);
            return await RunCommand.ReportAsync(output, asJson, result, session.MemoryPath).ConfigureAwait(false);
        }));
        return resume;
    }
}
