using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;

namespace TaskFlow;

/// <summary>The real model of a live run: any OpenAI-compatible endpoint, through Microsoft.Extensions.AI.OpenAI.</summary>
internal sealed record LiveModel(string ApiKey, Uri? BaseUrl, string Model)
{
    public const string ApiKeyVariable = "OPENAI_API_KEY";
    public const string BaseUrlVariable = "OPENAI_BASE_URL";
    public const string ModelVariable = "PARALLELAGENTS_MODEL";
    public const string DefaultModel = "gpt-4.1-mini";

    /// <summary>The live model the environment names, or <see langword="null"/> without an API key.</summary>
    /// <exception cref="ArgumentException">OPENAI_BASE_URL is not an absolute http(s) URL.</exception>
    public static LiveModel? FromEnvironment()
    {
        string? key = Environment.GetEnvironmentVariable(ApiKeyVariable);
        if (string.IsNullOrWhiteSpace(key))
        {
            return null;
        }

        string? url = Environment.GetEnvironmentVariable(BaseUrlVariable);
        Uri? baseUrl = null;
        if (!string.IsNullOrWhiteSpace(url)
            && (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out baseUrl) || baseUrl.Scheme is not ("http" or "https")))
        {
            throw new ArgumentException($"{BaseUrlVariable} is '{url}', which is not an http(s) URL; set it to the API's base, such as https://api.openai.com/v1, or unset it.");
        }

        string? model = Environment.GetEnvironmentVariable(ModelVariable);
        return new LiveModel(key.Trim(), baseUrl, string.IsNullOrWhiteSpace(model) ? DefaultModel : model.Trim());
    }

    public IChatClient CreateClient()
    {
        var options = new OpenAIClientOptions();
        if (BaseUrl is not null)
        {
            options.Endpoint = BaseUrl;
        }

        return new OpenAI.Chat.ChatClient(Model, new ApiKeyCredential(ApiKey), options).AsIChatClient();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Model} at {BaseUrl?.ToString() ?? "https://api.openai.com/v1"}";
}
