using System.Text.Json;
using Microsoft.Extensions.AI;

namespace ParallelAgents.Sdk;

/// <summary>Turns Microsoft.Extensions.AI messages, options and responses into the cassette model and back.</summary>
internal static class CassetteConverter
{
    public static ChatCassetteRequest ToCassetteRequest(IEnumerable<ChatMessage> messages, ChatOptions? options, SecretRedactor redactor)
    {
        var request = new ChatCassetteRequest { Options = ToCassetteOptions(options, redactor) };
        foreach (ChatMessage message in messages)
        {
            request.Messages.Add(ToCassetteMessage(message, redactor));
        }

        return request;
    }

    public static ChatCassetteResponse ToCassetteResponse(ChatResponse response, SecretRedactor redactor)
    {
        var recorded = new ChatCassetteResponse
        {
            FinishReason = response.FinishReason?.Value,
            ModelId = redactor.RedactOrNull(response.ModelId),
            Usage = ToCassetteUsage(response.Usage),
        };
        foreach (ChatMessage message in response.Messages)
        {
            recorded.Messages.Add(ToCassetteMessage(message, redactor));
        }

        return recorded;
    }

    public static ChatCassetteMessage ToCassetteMessage(ChatMessage message, SecretRedactor redactor)
    {
        var recorded = new ChatCassetteMessage
        {
            Role = message.Role.Value,
            AuthorName = redactor.RedactOrNull(message.AuthorName),
        };
        foreach (AIContent content in message.Contents)
        {
            recorded.Contents.Add(ToCassetteContent(content, redactor));
        }

        return recorded;
    }

    public static ChatCassetteContent ToCassetteContent(AIContent content, SecretRedactor redactor) => content switch
    {
        TextContent text => new() { Type = ChatCassetteContent.TextType, Text = redactor.Redact(text.Text ?? string.Empty) },
        TextReasoningContent reasoning => new() { Type = ChatCassetteContent.ReasoningType, Text = redactor.Redact(reasoning.Text ?? string.Empty) },
        FunctionCallContent call => new()
        {
            Type = ChatCassetteContent.FunctionCallType,
            CallId = redactor.Redact(call.CallId),
            Name = redactor.Redact(call.Name),
            Arguments = redactor.Redact(call.Arguments is null ? null : ToJson(call.Arguments, typeof(IDictionary<string, object?>))),
        },
        FunctionResultContent result => new()
        {
            Type = ChatCassetteContent.FunctionResultType,
            CallId = redactor.Redact(result.CallId),
            Result = redactor.Redact(result.Result is null ? null : ToJson(result.Result, typeof(object))),
        },
        UsageContent usage => new() { Type = ChatCassetteContent.UsageType, Usage = ToCassetteUsage(usage.Details) },
        ErrorContent error => new()
        {
            Type = ChatCassetteContent.ErrorType,
            Text = redactor.Redact(error.Message ?? string.Empty),
            ErrorCode = redactor.RedactOrNull(error.ErrorCode),
        },
        DataContent data => new() { Type = ChatCassetteContent.DataType, MediaType = data.MediaType, Uri = redactor.Redact(data.Uri) },
        UriContent uri => new() { Type = ChatCassetteContent.UriType, MediaType = uri.MediaType, Uri = redactor.Redact(uri.Uri.ToString()) },
        _ => new() { Type = ChatCassetteContent.OtherType, Name = content.GetType().FullName },
    };

    public static ChatResponse ToChatResponse(ChatCassetteResponse recorded)
    {
        var response = new ChatResponse([.. recorded.Messages.Select(ToChatMessage)])
        {
            FinishReason = recorded.FinishReason is null ? null : new ChatFinishReason(recorded.FinishReason),
            ModelId = recorded.ModelId,
            Usage = ToUsageDetails(recorded.Usage),
        };
        return response;
    }

    public static ChatMessage ToChatMessage(ChatCassetteMessage recorded)
    {
        var contents = new List<AIContent>();
        foreach (ChatCassetteContent content in recorded.Contents)
        {
            if (ToAIContent(content) is { } converted)
            {
                contents.Add(converted);
            }
        }

        return new ChatMessage(new ChatRole(recorded.Role), contents) { AuthorName = recorded.AuthorName };
    }

    private static AIContent? ToAIContent(ChatCassetteContent content) => content.Type switch
    {
        ChatCassetteContent.TextType => new TextContent(content.Text ?? string.Empty),
        ChatCassetteContent.ReasoningType => new TextReasoningContent(content.Text ?? string.Empty),
        ChatCassetteContent.FunctionCallType => new FunctionCallContent(content.CallId ?? string.Empty, content.Name ?? string.Empty, ToArguments(content.Arguments)),
        ChatCassetteContent.FunctionResultType => new FunctionResultContent(content.CallId ?? string.Empty, content.Result),
        ChatCassetteContent.UsageType when ToUsageDetails(content.Usage) is { } usage => new UsageContent(usage),
        ChatCassetteContent.ErrorType => new ErrorContent(content.Text) { ErrorCode = content.ErrorCode },
        ChatCassetteContent.DataType when content.Uri is not null => new DataContent(content.Uri, content.MediaType),
        ChatCassetteContent.UriType when content.Uri is not null => new UriContent(content.Uri, content.MediaType ?? "application/octet-stream"),
        _ => null,
    };

    /// <summary>A call's arguments as a JSON provider's client hands them over: one <see cref="JsonElement"/> per argument.</summary>
    private static Dictionary<string, object?>? ToArguments(JsonElement? arguments)
    {
        if (arguments is not { ValueKind: JsonValueKind.Object } json)
        {
            return null;
        }

        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (JsonProperty property in json.EnumerateObject())
        {
            result[property.Name] = property.Value.Clone();
        }

        return result;
    }

    private static ChatCassetteRequestOptions? ToCassetteOptions(ChatOptions? options, SecretRedactor redactor)
    {
        if (options is null)
        {
            return null;
        }

        return new ChatCassetteRequestOptions
        {
            ModelId = redactor.RedactOrNull(options.ModelId),
            Instructions = redactor.RedactOrNull(options.Instructions),
            Temperature = options.Temperature,
            TopP = options.TopP,
            TopK = options.TopK,
            MaxOutputTokens = options.MaxOutputTokens,
            FrequencyPenalty = options.FrequencyPenalty,
            PresencePenalty = options.PresencePenalty,
            Seed = options.Seed,
            StopSequences = options.StopSequences is { Count: > 0 } stops ? [.. stops.Select(redactor.Redact)] : null,
            ToolMode = options.ToolMode switch
            {
                null => null,
                NoneChatToolMode => "none",
                AutoChatToolMode => "auto",
                RequiredChatToolMode { RequiredFunctionName: null } => "required",
                RequiredChatToolMode required => "required:" + required.RequiredFunctionName,
                ChatToolMode other => other.GetType().Name,
            },
            ResponseFormat = options.ResponseFormat switch
            {
                null => null,
                ChatResponseFormatText => "text",
                ChatResponseFormatJson { SchemaName: { } name } => "json:" + name,
                ChatResponseFormatJson { Schema: not null } => "json:schema",
                ChatResponseFormatJson => "json",
                ChatResponseFormat other => other.GetType().Name,
            },
            Tools = options.Tools is { Count: > 0 } tools ? [.. tools.Select(t => ToCassetteTool(t, redactor))] : null,
        };
    }

    private static ChatCassetteTool ToCassetteTool(AITool tool, SecretRedactor redactor) => new()
    {
        Name = redactor.Redact(tool.Name),
        Description = string.IsNullOrEmpty(tool.Description) ? null : redactor.Redact(tool.Description),
        JsonSchema = tool is AIFunctionDeclaration function ? redactor.Redact(function.JsonSchema.Clone()) : null,
    };

    private static ChatCassetteUsage? ToCassetteUsage(UsageDetails? usage) => usage is null ? null : new ChatCassetteUsage
    {
        InputTokenCount = usage.InputTokenCount,
        OutputTokenCount = usage.OutputTokenCount,
        TotalTokenCount = usage.TotalTokenCount,
        CachedInputTokenCount = usage.CachedInputTokenCount,
        ReasoningTokenCount = usage.ReasoningTokenCount,
    };

    private static UsageDetails? ToUsageDetails(ChatCassetteUsage? usage) => usage is null ? null : new UsageDetails
    {
        InputTokenCount = usage.InputTokenCount,
        OutputTokenCount = usage.OutputTokenCount,
        TotalTokenCount = usage.TotalTokenCount,
        CachedInputTokenCount = usage.CachedInputTokenCount,
        ReasoningTokenCount = usage.ReasoningTokenCount,
    };

    /// <summary>
    /// Serializes a value the way Microsoft.Extensions.AI does for the wire; a value it cannot serialize is kept as
    /// its text, because a cassette must not fail a test over an exotic function result.
    /// </summary>
    private static JsonElement ToJson(object value, Type declaredType)
    {
        if (value is JsonElement element)
        {
            return element.Clone();
        }

        try
        {
            return JsonSerializer.SerializeToElement(value, AIJsonUtilities.DefaultOptions.GetTypeInfo(declaredType));
        }
        catch (Exception e) when (e is NotSupportedException or JsonException or InvalidOperationException)
        {
            return JsonSerializer.SerializeToElement(value.ToString() ?? string.Empty, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(string)));
        }
    }
}
