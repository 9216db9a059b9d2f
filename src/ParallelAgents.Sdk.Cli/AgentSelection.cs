using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;

namespace ParallelAgents.Sdk.Cli;

/// <summary>Which agent <c>run</c> gives its tasks: a command line (<c>--agent command</c>), a replayed recording
/// (<c>--replay</c>), or a model on an OpenAI-compatible endpoint named by the environment.</summary>
internal static class AgentSelection
{
    public const string ApiKeyVariable = "OPENAI_API_KEY";
    public const string BaseUrlVariable = "OPENAI_BASE_URL";

    /// <summary>The variables that name the model, the first set wins: the SDK's options' and the TaskFlow sample's.</summary>
    public static readonly string[] ModelVariables = ["AGENT_MODEL", "PARALLELAGENTS_MODEL"];

    public const string DefaultModel = "gpt-4.1-mini";

    /// <summary>What <c>--agent command</c> runs when <c>--command</c> is not given: the task's instructions as a shell script.</summary>
    public const string DefaultCommand = "sh -c {instructions}";

    /// <summary>Adds the agent to <paramref name="builder"/>.</summary>
    /// <returns>A line that says which agent works, for the run's header; and the chat client to dispose, if any.</returns>
    /// <exception cref="CliUsageException">The options contradict each other or name an unknown agent.</exception>
    /// <exception cref="CliEnvironmentException">A model is needed and the environment names none.</exception>
    public static (string Description, IDisposable? Owned) Apply(ParallelAgentsBuilder builder, string agent, string? command, string? replay, string? model)
    {
        switch (agent)
        {
            case "command":
                if (replay is not null)
                {
                    throw new CliUsageException("--replay plays a model's recorded answers; it cannot go with --agent command.");
                }

                builder.UseAgent(new CommandAgent(command ?? DefaultCommand));
                return ($"Agent: the command {command ?? DefaultCommand} in each task's workspace, then the task's checks.", null);
            case "chat" or "auto":
                if (command is not null)
                {
                    throw new CliUsageException("--command is the command line of --agent command; add --agent command or leave --command out.");
                }

                if (replay is not null)
                {
                    string folder = Path.GetFullPath(replay);
                    if (!Directory.Exists(folder))
                    {
                        throw new CliUsageException($"--replay {replay}: the folder {folder} does not exist; give the folder that holds the cassettes (<task-id>.json).");
                    }

                    var router = new CassetteRouter(folder);
                    builder.UseChatClient(router).WithRetry(r => r.MaxAttempts = 1);
                    return ($"Model: none, replaying the recorded conversations in {folder} (<task-id>.json).", router);
                }

                string? key = Environment.GetEnvironmentVariable(ApiKeyVariable);
                if (string.IsNullOrWhiteSpace(key))
                {
                    throw new CliEnvironmentException(
                        $"No model to run the agents: set {ApiKeyVariable} (and {BaseUrlVariable} for another OpenAI-compatible endpoint, " +
                        $"{ModelVariables[0]} or --model for the model, default {DefaultModel}); or replay recorded conversations with --replay <folder>; " +
                        $"or run the tasks' instructions as shell commands with --agent command.");
                }

                string? url = Environment.GetEnvironmentVariable(BaseUrlVariable);
                var options = new OpenAIClientOptions();
                if (!string.IsNullOrWhiteSpace(url))
                {
                    if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out Uri? endpoint) || endpoint.Scheme is not ("http" or "https"))
                    {
                        throw new CliUsageException($"{BaseUrlVariable} is '{url}', which is not an http(s) URL; set it to the API's base, such as https://api.openai.com/v1, or unset it.");
                    }

                    options.Endpoint = endpoint;
                }

                string name = model ?? ModelVariables.Select(Environment.GetEnvironmentVariable).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim() ?? DefaultModel;
                IChatClient client = new OpenAI.Chat.ChatClient(name, new ApiKeyCredential(key.Trim()), options).AsIChatClient();
                builder.UseChatClient(client);
                return ($"Model: {name} at {options.Endpoint?.ToString() ?? "https://api.openai.com/v1"}.", client);
            default:
                throw new CliUsageException($"--agent {agent} is unknown; use chat (a model), command (a command line) or auto.");
        }
    }
}
