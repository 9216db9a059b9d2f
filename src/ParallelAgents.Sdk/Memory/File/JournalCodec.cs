using System.Buffers.Binary;
using System.Text.Json;

namespace ParallelAgents.Sdk;

/// <summary>The journal's record format.</summary>
/// <remarks>
/// <para>A record is a 20-byte header and a UTF-8 JSON payload:</para>
/// <code>
/// offset  size  field
///      0     4  magic "PAJ1" (0x50 0x41 0x4A 0x31): finds records again after damage and tells zeros from a record
///      4     4  payload length in bytes, little-endian
///      8     8  sequence number, little-endian
///     16     4  CRC-32C of bytes 4..15 and of the payload, little-endian
///     20     n  {"op":"set","key":"…","author":"…","timestamp":"…","value":…}   (or "op":"delete", without value)
/// </code>
/// <para>The checksum covers the length and the sequence as well as the payload, so a torn or bit-flipped record is
/// never replayed; the payload is JSON so that <c>strings agent_memory.journal</c> shows what was written.</para>
/// </remarks>
internal static class JournalCodec
{
    public const int HeaderSize = 20;

    /// <summary>No valid record is larger: a length beyond it is damage, not a record to read.</summary>
    public const int MaxPayloadLength = 1 << 30;

    public static ReadOnlySpan<byte> Magic => "PAJ1"u8;

    private static readonly JsonEncodedText OpProperty = JsonEncodedText.Encode("op");
    private static readonly JsonEncodedText KeyProperty = JsonEncodedText.Encode("key");
    private static readonly JsonEncodedText AuthorProperty = JsonEncodedText.Encode("author");
    private static readonly JsonEncodedText TimestampProperty = JsonEncodedText.Encode("timestamp");
    private static readonly JsonEncodedText ValueProperty = JsonEncodedText.Encode("value");
    private static readonly JsonEncodedText SetOp = JsonEncodedText.Encode("set");
    private static readonly JsonEncodedText DeleteOp = JsonEncodedText.Encode("delete");

    /// <summary>Appends the record of <paramref name="change"/> to <paramref name="buffer"/>.</summary>
    /// <param name="buffer">The batch being written.</param>
    /// <param name="change">The change.</param>
    /// <param name="json">A writer reused from record to record; it is reset onto the buffer here.</param>
    public static void Append(ByteBuffer buffer, MemoryChange change, Utf8JsonWriter json)
    {
        int start = buffer.Length;
        buffer.GetSpan(HeaderSize);
        buffer.Advance(HeaderSize);

        json.Reset(buffer);
        json.WriteStartObject();
        json.WriteString(OpProperty, change.Kind == MemoryChangeKind.Set ? SetOp : DeleteOp);
        json.WriteString(KeyProperty, change.Key);
        json.WriteString(AuthorProperty, change.Author);
        json.WriteString(TimestampProperty, change.Timestamp);
        if (change.Entry is { } entry)
        {
            json.WritePropertyName(ValueProperty);
            WriteRawValue(json, entry.Value);
        }

        json.WriteEndObject();
        json.Flush();

        Span<byte> record = buffer.Written[start..];
        int payloadLength = record.Length - HeaderSize;
        Magic.CopyTo(record);
        BinaryPrimitives.WriteInt32LittleEndian(record[4..], payloadLength);
        BinaryPrimitives.WriteInt64LittleEndian(record[8..], change.Sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(record[16..], Checksum(record[4..16], record[HeaderSize..]));
    }

    /// <summary>Writes the value's JSON exactly as it came in (spacing, escapes, number spelling), so a value reads back
    /// with the same <see cref="JsonElement.GetRawText"/> after the store is reopened.</summary>
    public static void WriteRawValue(Utf8JsonWriter json, JsonElement value)
    {
#if NET9_0_OR_GREATER
        json.WriteRawValue(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value), skipInputValidation: true);
#else
        json.WriteRawValue(value.GetRawText(), skipInputValidation: true);
#endif
    }

    public static uint Checksum(ReadOnlySpan<byte> lengthAndSequence, ReadOnlySpan<byte> payload) =>
        Crc32C.Compute(lengthAndSequence, payload);

    /// <summary>Reads a header; <see langword="null"/> with a reason when it is not one.</summary>
    public static string? ReadHeader(ReadOnlySpan<byte> header, out int payloadLength, out long sequence, out uint checksum)
    {
        payloadLength = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        sequence = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        checksum = BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
        if (!header[..4].SequenceEqual(Magic))
        {
            return "no record starts there (the record marker is missing)";
        }

        if (payloadLength is < 2 or > MaxPayloadLength)
        {
            return $"the record's length ({payloadLength:N0} bytes) is impossible";
        }

        return sequence < 1 ? $"the record's sequence number ({sequence}) is impossible" : null;
    }

    /// <summary>Decodes a payload whose checksum matched.</summary>
    /// <exception cref="JsonException">The payload is not a journal record.</exception>
    public static MemoryChange Decode(long sequence, ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("a journal record is a JSON object");
        }

        string? op = null, key = null, author = null;
        DateTimeOffset? timestamp = null;
        JsonElement? value = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(OpProperty.EncodedUtf8Bytes))
            {
                reader.Read();
                op = reader.GetString();
            }
            else if (reader.ValueTextEquals(KeyProperty.EncodedUtf8Bytes))
            {
                reader.Read();
                key = reader.GetString();
            }
            else if (reader.ValueTextEquals(AuthorProperty.EncodedUtf8Bytes))
            {
                reader.Read();
                author = reader.GetString();
            }
            else if (reader.ValueTextEquals(TimestampProperty.EncodedUtf8Bytes))
            {
                reader.Read();
                timestamp = reader.GetDateTimeOffset();
            }
            else if (reader.ValueTextEquals(ValueProperty.EncodedUtf8Bytes))
            {
                reader.Read();
                value = JsonElement.ParseValue(ref reader);
            }
            else
            {
                // A field from a later version: skipped, so an older reader still replays the record.
                reader.Read();
                reader.Skip();
            }
        }

        if (string.IsNullOrEmpty(key) || string.IsNullOrEmpty(author) || timestamp is null)
        {
            throw new JsonException("a journal record names its key, author and timestamp");
        }

        return op switch
        {
            "set" when value is { } v => new MemoryChange(sequence, MemoryChangeKind.Set, key, new MemoryEntry(key, v, sequence, author, timestamp.Value), author, timestamp.Value),
            "delete" => new MemoryChange(sequence, MemoryChangeKind.Delete, key, null, author, timestamp.Value),
            _ => throw new JsonException($"a journal record's op is 'set' (with a value) or 'delete', not '{op}'"),
        };
    }
}
