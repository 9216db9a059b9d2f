using System.Diagnostics;
using System.Reflection;

namespace ParallelAgents.Sdk;

/// <summary>
/// The names of the engine's traces and metrics: one <see cref="ActivitySource"/> and one
/// <see cref="System.Diagnostics.Metrics.Meter"/>, both named <c>ParallelAgents</c>. Subscribe to them with OpenTelemetry
/// (<c>.AddSource(ParallelAgentsTelemetry.ActivitySourceName)</c>, <c>.AddMeter(ParallelAgentsTelemetry.MeterName)</c>),
/// an <see cref="ActivityListener"/> or a <see cref="System.Diagnostics.Metrics.MeterListener"/>.
/// </summary>
/// <remarks>
/// <para>Every run is traced and measured, always; when nothing listens, the engine creates no <see cref="Activity"/>
/// and records no measurement, so telemetry costs a few checks per event. Names follow the OpenTelemetry semantic
/// conventions where they have one (<c>gen_ai.*</c> for model calls and tool calls, <c>error.type</c>,
/// <c>process.command_line</c>); the rest are under <c>parallel_agents.</c>. Durations are in seconds. Text that came
/// from an agent, a command or a model (errors, command lines) is redacted like the engine's logs.</para>
/// <para><b>Spans</b>, nested as listed:</para>
/// <list type="table">
/// <listheader><term>Span (kind)</term><description>What it covers and its tags</description></listheader>
/// <item><term><c>parallel_agents.run</c> (internal)</term><description>One <see cref="AgentEngine.RunAsync(TaskPlan, CancellationToken)"/>,
/// a child of the caller's <see cref="Activity.Current"/>. Tags: <c>parallel_agents.run.id</c>,
/// <c>parallel_agents.run.task_count</c>; at its end <c>parallel_agents.run.succeeded</c>, <c>.failed</c>,
/// <c>.skipped</c>, <c>.cancelled</c> (task counts) and <c>parallel_agents.run.was_cancelled</c>. Its status is an error
/// when a task failed.</description></item>
/// <item><term><c>invoke_agent {task id}</c> (internal)</term><description>One attempt of one task, a child of the run;
/// it is <see cref="Activity.Current"/> while the agent runs, so spans the agent makes nest under it. Tags:
/// <c>gen_ai.operation.name</c> = <c>invoke_agent</c>, <c>gen_ai.agent.name</c> and <c>parallel_agents.task.id</c>
/// (the task's id), <c>parallel_agents.run.id</c>, <c>parallel_agents.attempt</c> (from 1), <c>parallel_agents.lane</c>
/// (from 0), <c>parallel_agents.task.template</c> when set; at its end <c>parallel_agents.attempt.status</c>
/// (<c>succeeded</c>, <c>failed</c>, <c>timed_out</c>, <c>cancelled</c>), and when the agent reported usage
/// <c>gen_ai.usage.input_tokens</c>, <c>gen_ai.usage.output_tokens</c>, <c>parallel_agents.cost</c>,
/// <c>parallel_agents.tool_calls</c>, <c>parallel_agents.turns</c>. A failed or timed-out attempt has an error status
/// with the error as its description and <c>error.type</c> = the status.</description></item>
/// <item><term><c>parallel_agents.workspace</c> (internal)</term><description>Making the attempt's workspace, a child of
/// the attempt. Tag: <c>parallel_agents.workspace.branch</c> when the workspace has a branch.</description></item>
/// <item><term><c>chat</c> (client)</term><description>One model call the agent reported
/// (<see cref="AgentProgressKind.ModelCall"/>), a child of the attempt, ending when it was reported and lasting its
/// <see cref="AgentProgress.Duration"/>. Tags: <c>gen_ai.operation.name</c> = <c>chat</c>,
/// <c>gen_ai.usage.input_tokens</c>, <c>gen_ai.usage.output_tokens</c>, <c>parallel_agents.cost</c>.</description></item>
/// <item><term><c>execute_tool {tool name}</c> (internal)</term><description>One tool call the agent reported
/// (<see cref="AgentProgressKind.ToolCall"/>), a child of the attempt. Tags: <c>gen_ai.operation.name</c> =
/// <c>execute_tool</c>, <c>gen_ai.tool.name</c>; a failed call has an error status and <c>error.type</c> =
/// <c>tool_error</c>.</description></item>
/// <item><term><c>parallel_agents.command</c> (internal)</term><description>One command the agent ran, such as a task's
/// checks (<see cref="AgentProgressKind.CommandRun"/>), a child of the attempt. Tag: <c>process.command_line</c>; a
/// command that failed has an error status and <c>error.type</c> = <c>command_failed</c>.</description></item>
/// <item><term><c>parallel_agents.merge</c> (internal)</term><description>The merge of a task's branch into the main
/// branch, resolution and verification included, a child of the attempt that merged. Tags:
/// <c>parallel_agents.task.id</c>, <c>parallel_agents.merge.branch</c>, <c>parallel_agents.merge.status</c>
/// (<c>merged</c>, <c>resolved</c>, <c>conflict</c>, <c>verify_failed</c>, <c>skipped</c>),
/// <c>parallel_agents.merge.conflicts</c> (conflicted files), <c>parallel_agents.merge.resolver</c> and
/// <c>parallel_agents.merge.commit</c> when set. A merge that did not reach the main branch has an error status and
/// <c>error.type</c> = the status.</description></item>
/// </list>
/// <para><b>Instruments</b> (no run or task ids in their tags, so their cardinality stays small):</para>
/// <list type="table">
/// <listheader><term>Instrument (type, unit)</term><description>What it measures and its tags</description></listheader>
/// <item><term><c>parallel_agents.tasks</c> (counter, <c>{task}</c>)</term><description>Tasks that reached their final
/// state. Tag: <c>parallel_agents.task.state</c> (<c>succeeded</c>, <c>failed</c>, <c>skipped</c>,
/// <c>cancelled</c>).</description></item>
/// <item><term><c>parallel_agents.attempts</c> (counter, <c>{attempt}</c>)</term><description>Attempts that ended. Tag:
/// <c>parallel_agents.attempt.status</c>.</description></item>
/// <item><term><c>parallel_agents.attempt.duration</c> (histogram, <c>s</c>)</term><description>How long attempts took,
/// merge included. Tag: <c>parallel_agents.attempt.status</c>.</description></item>
/// <item><term><c>parallel_agents.tokens</c> (counter, <c>{token}</c>)</term><description>The tokens attempts used, from
/// the usage their agents returned (<see cref="AgentOutcome.Usage"/>). Tag: <c>gen_ai.token.type</c> (<c>input</c>,
/// <c>output</c>).</description></item>
/// <item><term><c>parallel_agents.cost</c> (counter, <c>{cost}</c>)</term><description>What attempts cost, in the currency
/// of the agent's model prices, from the same usage.</description></item>
/// <item><term><c>gen_ai.client.token.usage</c> (histogram, <c>{token}</c>)</term><description>The tokens of each model
/// call the agents reported. Tags: <c>gen_ai.operation.name</c> = <c>chat</c>, <c>gen_ai.token.type</c>.</description></item>
/// <item><term><c>gen_ai.client.operation.duration</c> (histogram, <c>s</c>)</term><description>How long each reported
/// model call took, when the report says. Tag: <c>gen_ai.operation.name</c> = <c>chat</c>.</description></item>
/// <item><term><c>parallel_agents.tool_calls</c> (counter, <c>{call}</c>)</term><description>Tool calls the agents
/// reported. Tags: <c>gen_ai.tool.name</c>, and <c>error.type</c> = <c>tool_error</c> for one that failed.</description></item>
/// <item><term><c>parallel_agents.commands</c> (counter, <c>{command}</c>)</term><description>Commands the agents
/// reported running (checks among them). Tag: <c>error.type</c> = <c>command_failed</c> for one that failed.</description></item>
/// <item><term><c>parallel_agents.command.duration</c> (histogram, <c>s</c>)</term><description>How long those commands
/// took, when the report says. Tag: <c>error.type</c> as above.</description></item>
/// <item><term><c>parallel_agents.conflicts.predicted</c> (counter, <c>{conflict}</c>)</term><description>Conflicts the
/// forecaster predicted while agents worked, one per pair of branches (a prediction that later clears still counts).
/// Tag: <c>parallel_agents.conflict.with</c> (<c>task</c>, <c>main</c>).</description></item>
/// <item><term><c>parallel_agents.conflicts.met</c> (counter, <c>{conflict}</c>)</term><description>Merges that met a
/// conflict. Tag: <c>parallel_agents.merge.status</c> (<c>resolved</c> when a resolver resolved it).</description></item>
/// <item><term><c>parallel_agents.workspace.start.duration</c> (histogram, <c>s</c>)</term><description>How long making
/// an attempt's workspace took.</description></item>
/// <item><term><c>parallel_agents.merge.duration</c> (histogram, <c>s</c>)</term><description>How long merges took,
/// resolution and verification included. Tag: <c>parallel_agents.merge.status</c>.</description></item>
/// <item><term><c>parallel_agents.run.duration</c> (histogram, <c>s</c>)</term><description>How long runs took.</description></item>
/// </list>
/// <para>The engine's logs carry the run's id in their scope (<c>RunId</c>), and every line written during an attempt
/// the task's too (<c>TaskId</c>, <c>Attempt</c>, <c>Lane</c>).</para>
/// </remarks>
public static class ParallelAgentsTelemetry
{
    /// <summary>The name of the engine's <see cref="ActivitySource"/>: <c>ParallelAgents</c>.</summary>
    public const string ActivitySourceName = "ParallelAgents";

    /// <summary>The name of the engine's <see cref="System.Diagnostics.Metrics.Meter"/>: <c>ParallelAgents</c>.</summary>
    public const string MeterName = "ParallelAgents";

    /// <summary>The library's version, given to the activity source and the meter.</summary>
    internal static readonly string? Version = typeof(ParallelAgentsTelemetry).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    /// <summary>The engine's one activity source, shared by every engine in the process.</summary>
    internal static readonly ActivitySource Source = new(ActivitySourceName, Version);
}
