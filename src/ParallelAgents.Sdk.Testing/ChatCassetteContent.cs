using System.Text.Json;

namespace ParallelAgents.Sdk;

/// <summary>
/// One recorded part of a message. <see cref="Type"/> says which fields it uses:
/// <list type="table">
/// <item><term><c>text</c></term><description><see cref="Text"/>.</description></item>
/// <item><term><c>reasoning</c></term><description><see cref="Text"/>: the model's visible reasoning.</description></item>
/// <item><term><c>functionCall</c></term><description><see cref="CallId"/>, <see cref="Name"/> and <see cref="Arguments"/> (a JSON object).</description></item>
/// <item><term><c>functionResult</c></term><description><see cref="CallId"/> and <see cref="Result"/> (any JSON value).</description></item>
/// <item><term><c>usage</c></term><description><see cref="Usage"/>.</description></item>
/// <item><term><c>error</c></term><description><see cref="Text"/> (the message) and <see cref="ErrorCode"/>.</description></item>
/// <item><term><c>data</c></term><description><see cref="MediaType"/> and <see cref="Uri"/> (a <c>data:</c> URI holding the bytes).</description></item>
/// <item><term><c>uri</c></term><description><see cref="MediaType"/> and <see cref="Uri"/>.</description></item>
/// <item><term><c>other</c></term><description><see cref="Name"/>: the .NET type of a content this format does not keep; it is not played back.</description></item>
/// </list>
/// </summary>
public sealed class ChatCassetteContent
{
    /// <summary>The <see cref="Type"/> of plain text.</summary>
    public const string TextType = "text";

    /// <summary>The <see cref="Type"/> of the model's reasoning text.</summary>
    public const string ReasoningType = "reasoning";

    /// <summary>The <see cref="Type"/> of a call the model asks for.</summary>
    public const string FunctionCallType = "functionCall";

    /// <summary>The <see cref="Type"/> of the result of a call, sent back to the model.</summary>
    public const string FunctionResultType = "functionResult";

    /// <summary>The <see cref="Type"/> of token counts carried inside a message.</summary>
    public const string UsageType = "usage";

    /// <summary>The <see cref="Type"/> of an error the provider reported inside a message.</summary>
    public const string ErrorType = "error";

    /// <summary>The <see cref="Type"/> of inline binary data.</summary>
    public const string DataType = "data";

    /// <summary>The <see cref="Type"/> of a reference to content by URI.</summary>
    public const string UriType = "uri";

    /// <summary>The <see cref="Type"/> of a content this format does not keep.</summary>
    public const string OtherType = "other";

    /// <summary>Gets or sets the kind of content; one of the <c>...Type</c> constants of this class.</summary>
    /// <value><c>text</c>.</value>
    public string Type { get; set; } = TextType;

    /// <summary>Gets or sets the text of a <c>text</c>, <c>reasoning</c> or <c>error</c> content.</summary>
    /// <value><see langword="null"/>.</value>
    public string? Text { get; set; }

    /// <summary>Gets or sets the call id that ties a <c>functionResult</c> to its <c>functionCall</c>.</summary>
    /// <value><see langword="null"/>.</value>
    public string? CallId { get; set; }

    /// <summary>Gets or sets the function's name of a <c>functionCall</c>, or the .NET type name of an <c>other</c> content.</summary>
    /// <value><see langword="null"/>.</value>
    public string? Name { get; set; }

    /// <summary>Gets or sets the arguments of a <c>functionCall</c>, a JSON object.</summary>
    /// <value><see langword="null"/>: no arguments.</value>
    public JsonElement? Arguments { get; set; }

    /// <summary>Gets or sets the result of a <c>functionResult</c>, any JSON value.</summary>
    /// <value><see langword="null"/>: the function returned nothing.</value>
    public JsonElement? Result { get; set; }

    /// <summary>Gets or sets the error code of an <c>error</c> content.</summary>
    /// <value><see langword="null"/>.</value>
    public string? ErrorCode { get; set; }

    /// <summary>Gets or sets the media type of a <c>data</c> or <c>uri</c> content.</summary>
    /// <value><see langword="null"/>.</value>
    public string? MediaType { get; set; }

    /// <summary>Gets or sets the URI of a <c>data</c> or <c>uri</c> content.</summary>
    /// <value><see langword="null"/>.</value>
#pragma warning disable CA1056 // A data: URI can be megabytes long; System.Uri caps its length, a string does not.
    public string? Uri { get; set; }
#pragma warning restore CA1056

    /// <summary>Gets or sets the token counts of a <c>usage</c> content.</summary>
    /// <value><see langword="null"/>.</value>
    public ChatCassetteUsage? Usage { get; set; }
}
