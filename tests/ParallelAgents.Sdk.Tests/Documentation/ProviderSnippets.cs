using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;

namespace ParallelAgents.Sdk.Tests.Documentation;

/// <summary>The code of docs/providers.md, compiled and run by <see cref="ProvidersDocTests"/>: the page's C# blocks
/// are the regions between the markers below, character for character.</summary>
internal static class ProviderSnippets
{
    public static IChatClient OpenAICompatibleFromEnvironment()
    {
        // <providers-openai>
        string model = Environment.GetEnvironmentVariable("PARALLELAGENTS_MODEL")
            ?? throw new InvalidOperationException("Set PARALLELAGENTS_MODEL to the model's name, such as gpt-4.1 or llama3.1:8b.");
        string? baseUrl = Environment.GetEnvironmentVariable("OPENAI_BASE_URL");

        // Local servers (Ollama, vLLM, llama.cpp, LM Studio) ignore the key, but the client needs one.
        string apiKey = Environment.GetEnvironmentVariable("OPENAI_API_KEY")
            ?? (baseUrl is null ? throw new InvalidOperationException("Set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server.") : "unused");

        var options = new OpenAIClientOptions();
        if (!string.IsNullOrEmpty(baseUrl))
        {
            options.Endpoint = new Uri(baseUrl);
        }

        IChatClient chatClient = new OpenAI.Chat.ChatClient(model, new ApiKeyCredential(apiKey), options).AsIChatClient();
        // </providers-openai>
        return chatClient;
    }

    public static AgentEngine Engine(IChatClient chatClient, string repositoryPath)
    {
        // <providers-resolver>
        AgentEngine engine = new ParallelAgentsBuilder()
            .UseRepository(repositoryPath)
            .UseWorktreeIsolation()
            .UseAgent(new ChatClientAgent(chatClient))
            .UseConflictResolver(new ModelAssistedConflictResolver(chatClient))
            .UseConflictResolver(new RerunAgentResolver())
            .UseConflictResolver(new ReportOnlyResolver())
            .Build();
        // </providers-resolver>
        return engine;
    }
}
