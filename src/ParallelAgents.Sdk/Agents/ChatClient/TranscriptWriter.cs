using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace ParallelAgents.Sdk;

/// <summary>
/// Writes one attempt's transcript as JSON lines: every record an object with <c>type</c> and <c>time</c>. Every string
/// is redacted before it is written, so no secret value reaches the file; each line is flushed as it is written, so a
/// crash keeps what came before it.
/// </summary>
internal sealed class TranscriptWriter : IAsyncDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly object _gate = new();
    private readonly FileStream? _file;
    private readonly SecretRedactor _redactor;
    private readonly TimeProvider _time;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);

    private TranscriptWriter(FileStream? file, SecretRedactor redactor, TimeProvider time, string? path)
    {
        _file = file;
        _redactor = redactor;
        _time = time;
        Path = path;
    }

    /// <summary>Where the transcript is written, or <see langword="null"/> when none is.</summary>
    public string? Path { get; }

    public static TranscriptWriter None(SecretRedactor redactor, TimeProvider time) => new(null, redactor, time, null);

    public static TranscriptWriter Open(string directory, AgentContext context, SecretRedactor redactor, TimeProvider time)
    {
        string folder = System.IO.Path.GetFullPath(System.IO.Path.Combine(directory, context.Task.Id));
        Directory.CreateDirectory(folder);
        string name = context.Lane == 0 ? $"attempt-{context.Attempt}.jsonl" : $"attempt-{context.Attempt}-lane-{context.Lane}.jsonl";
        string path = System.IO.Path.Combine(folder, name);
        var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
        return new TranscriptWriter(file, redactor, time, path);
    }

    public void Write(string type, Action<Utf8JsonWriter, SecretRedactor> body)
    {
        if (_file is null)
        {
            return;
        }

        lock (_gate)
        {
            _buffer.Clear();
            using (var writer = new Utf8JsonWriter(_buffer, WriterOptions))
            {
                writer.WriteStartObject();
                writer.WriteString("type", type);
                writer.WriteString("time", _time.GetUtcNow());
                body(writer, _redactor);
                writer.WriteEndObject();
            }

            _file.Write(_buffer.WrittenSpan);
            _file.WriteByte((byte)'\n');
            _file.Flush();
        }
    }

    public void Message(ChatMessage message) => Write("message", (w, r) =>
    {
        w.WriteString("role", message.Role.Value);
        string text = message.Text;
        if (text.Length > 0)
        {
            w.WriteString("text", r.Redact(text));
        }

        bool any = false;
        foreach (AIContent content in message.Contents)
        {
            switch (content)
            {
                case FunctionCallContent call:
                    if (!any)
                    {
                        w.WriteStartArray("tool_calls");
                        any = true;
                    }

                    w.WriteStartObject();
                    w.WriteString("id", call.CallId);
                    w.WriteString("name", call.Name);
                    w.WritePropertyName("arguments");
                    WriteRedacted(w, r, ToElement(call.Arguments));
                    if (call.Exception is not null)
                    {
                        w.WriteString("arguments_error", r.Redact(call.Exception.Message));
                    }

                    w.WriteEndObject();
                    break;
            }
        }

        if (any)
        {
            w.WriteEndArray();
        }

        foreach (AIContent content in message.Contents)
        {
            if (content is FunctionResultContent result)
            {
                w.WriteString("tool_result_for", result.CallId);
                w.WriteString("result", r.Redact(result.Result?.ToString() ?? ""));
            }
        }
    });

    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            return _file?.DisposeAsync() ?? ValueTask.CompletedTask;
        }
    }

    /// <summary>Writes a JSON value with every string in it (keys kept) redacted.</summary>
    public static void WriteRedacted(Utf8JsonWriter writer, SecretRedactor redactor, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    writer.WritePropertyName(property.Name);
                    WriteRedacted(writer, redactor, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (JsonElement item in element.EnumerateArray())
                {
                    WriteRedacted(writer, redactor, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(redactor.Redact(element.GetString()!));
                break;
            case JsonValueKind.Undefined:
                writer.WriteNullValue();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }

    private static JsonElement ToElement(IDictionary<string, object?>? arguments)
    {
        if (arguments is null)
        {
            return default;
        }

        try
        {
            return JsonSerializer.SerializeToElement(arguments, AIJsonUtilities.DefaultOptions);
        }
        catch (Exception e) when (e is NotSupportedException or JsonException or InvalidOperationException)
        {
            // An argument the serializer cannot write is recorded by its text, so the line is still written.
            return JsonSerializer.SerializeToElement(arguments.ToDictionary(a => a.Key, a => a.Value?.ToString()), AIJsonUtilities.DefaultOptions);
        }
    }
}
