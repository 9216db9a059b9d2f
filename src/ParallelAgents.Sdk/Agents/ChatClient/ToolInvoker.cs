using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace ParallelAgents.Sdk;

/// <summary>
/// Invokes every tool call for the function-invoking client (<see cref="FunctionInvokingChatClient.FunctionInvoker"/>):
/// counts it against the tool-call limit, turns arguments that are not valid JSON and anything a tool throws into an
/// error text the model reads, caps and redacts the result, and writes it to the transcript. Only the attempt's own
/// cancellation gets through as an exception, so no model output can crash the agent.
/// </summary>
internal sealed class ToolInvoker(AttemptState state, SecretRedactor redactor, ChatClientAgentOptions options, ILogger logger)
{
    public async ValueTask<object?> InvokeAsync(FunctionInvocationContext context, CancellationToken cancellationToken)
    {
        FunctionCallContent call = context.CallContent;
        string result;
        bool failed = true;
        long started = state.Time.GetTimestamp();
        bool counted = state.TryStartToolCall();
        if (!counted)
        {
            context.Terminate = true;
            result = $"Error: {state.StopReason}; the attempt stops here.";
        }
        else if (call.Exception is not null)
        {
            result = $"Error: the arguments of {call.Name} could not be read ({call.Exception.Message}). Send one JSON object with the parameters {Parameters(context.Function)}.";
        }
        else
        {
            try
            {
                object? value = await context.Function.InvokeAsync(context.Arguments, cancellationToken).ConfigureAwait(false);
                result = value switch
                {
                    null => "Done.",
                    string text => text,
                    JsonElement { ValueKind: JsonValueKind.String } element => element.GetString()!,
                    JsonElement element => element.GetRawText(),
                    _ => value.ToString() ?? "Done.",
                };
                failed = result.StartsWith("Error:", StringComparison.Ordinal);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // Whatever a tool throws on bad model input is reported to the model, never to the run.
            catch (Exception e)
#pragma warning restore CA1031
            {
                result = Describe(call.Name, context.Function, e);
                AgentLog.ToolFailed(logger, call.Name, e);
            }
        }

        if (counted)
        {
            // A call refused by the tool-call limit never ran: it is not reported as one.
            state.Progress.Report(AgentProgress.ToolCall(call.Name, !failed, state.Time.GetElapsedTime(started)));
        }

        result = redactor.Redact(TextCap.HeadAndTail(result, Math.Max(options.MaxToolResultChars, options.MaxCommandOutputChars + 200)));
        state.Transcript.Write("tool_result", (w, r) =>
        {
            w.WriteString("id", call.CallId);
            w.WriteString("name", call.Name);
            w.WriteBoolean("error", failed);
            w.WriteString("result", r.Redact(result));
        });

        if (state.Finished)
        {
            // finish ends the loop: the agent runs the checks before the model says anything more.
            context.Terminate = true;
        }

        return result;
    }

    private static string Describe(string name, AIFunction function, Exception e) => e switch
    {
        WorkspacePathException => $"Error: {e.Message}",
        FileNotFoundException or DirectoryNotFoundException => $"Error: {e.Message} Use list_files to see what exists.",
        ArgumentException or JsonException or FormatException or InvalidCastException or NotSupportedException =>
            $"Error: the arguments of {name} do not fit its parameters ({e.Message}). Its parameters: {Parameters(function)}.",
        IOException or UnauthorizedAccessException => $"Error: {e.Message}",
        _ => $"Error: {name} failed: {e.GetType().Name}: {e.Message}",
    };

    /// <summary>The parameters of a tool as the model sees them in its schema, such as <c>path (string, required)</c>.</summary>
    private static string Parameters(AIFunction function)
    {
        JsonElement schema = function.JsonSchema;
        if (schema.ValueKind != JsonValueKind.Object || !schema.TryGetProperty("properties", out JsonElement properties) || properties.ValueKind != JsonValueKind.Object)
        {
            return "(none)";
        }

        var required = new HashSet<string>(StringComparer.Ordinal);
        if (schema.TryGetProperty("required", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in list.EnumerateArray())
            {
                if (item.GetString() is { } r)
                {
                    required.Add(r);
                }
            }
        }

        var parts = new List<string>();
        foreach (JsonProperty property in properties.EnumerateObject())
        {
            string type = property.Value.TryGetProperty("type", out JsonElement t) ? t.ToString() : "any";
            parts.Add($"{property.Name} ({type}{(required.Contains(property.Name) ? ", required" : "")})");
        }

        return parts.Count == 0 ? "(none)" : string.Join(", ", parts);
    }
}
