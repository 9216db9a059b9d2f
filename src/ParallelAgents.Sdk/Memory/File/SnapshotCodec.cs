using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ParallelAgents.Sdk;

/// <summary>The snapshot's format: one indented JSON object that <c>jq</c> reads as it is.</summary>
/// <remarks>
/// <code>
/// {
///   "format": "parallel-agents-shared-memory/1",
///   "sequence": 42,
///   "savedAt": "2025-06-01T12:00:00.0000000+00:00",
///   "checksum": "crc32c:5c1d9e0a",
///   "entries": {
///     "discoveries/api-routes": {
///       "value": {"routes":["/tasks"]},
///       "version": 41,
///       "author": "backend-api",
///       "timestamp": "2025-06-01T11:59:58.1234567+00:00"
///     }
///   }
/// }
/// </code>
/// <para>Entries are ordered by key (ordinal), so two snapshots diff cleanly. Values are written exactly as they were
/// stored (usually compact, on one line), so they read back unchanged. The checksum is the CRC-32C of the file's
/// bytes with its own eight hex digits read as <c>00000000</c>: any changed byte, a hand edit included, is detected.</para>
/// </remarks>
internal static class SnapshotCodec
{
    public const string Format = "parallel-agents-shared-memory/1";

    private const string ChecksumPrefix = "crc32c:";

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        // The file is read by people and jq, never embedded in HTML: keep non-ASCII text and quotes as they are.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Serializes a snapshot.</summary>
    /// <param name="sequence">The sequence of the last write it includes.</param>
    /// <param name="savedAt">When it is written.</param>
    /// <param name="entries">The entries; they are written ordered by key.</param>
    public static byte[] Serialize(long sequence, DateTimeOffset savedAt, IEnumerable<MemoryEntry> entries)
    {
        var buffer = new ByteBuffer(64 * 1024);
        using var json = new Utf8JsonWriter(buffer, WriterOptions);
        json.WriteStartObject();
        json.WriteString("format", Format);
        json.WriteNumber("sequence", sequence);
        json.WriteString("savedAt", savedAt);
        json.WriteString("checksum", ChecksumPrefix + "00000000");
        json.Flush();
        int digits = buffer.Length - 1 - 8;

        json.WriteStartObject("entries");
        foreach (MemoryEntry entry in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            json.WriteStartObject(entry.Key);
            json.WritePropertyName("value");
            JournalCodec.WriteRawValue(json, entry.Value);
            json.WriteNumber("version", entry.Version);
            json.WriteString("author", entry.Author);
            json.WriteString("timestamp", entry.Timestamp);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
        json.Flush();
        buffer.GetSpan(1)[0] = (byte)'\n';
        buffer.Advance(1);

        Span<byte> bytes = buffer.Written;
        uint checksum = Crc32C.Compute(bytes);
        checksum.TryFormat(bytes.Slice(digits, 8), out _, "x8", CultureInfo.InvariantCulture);
        return bytes.ToArray();
    }

    /// <summary>Reads and checks a snapshot file.</summary>
    /// <returns><see langword="null"/> when there is no such file.</returns>
    public static SnapshotFile? Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }

        string? problem = Verify(bytes);
        if (problem is not null)
        {
            return SnapshotFile.Damaged(path, problem);
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(bytes);
            JsonElement root = document.RootElement;
            string? format = root.TryGetProperty("format", out JsonElement f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
            if (format != Format)
            {
                return SnapshotFile.Damaged(path, $"its format is '{format}', not '{Format}' (written by a later version of ParallelAgents.Sdk?)");
            }

            long sequence = root.GetProperty("sequence").GetInt64();
            var entries = new Dictionary<string, MemoryEntry>(StringComparer.Ordinal);
            foreach (JsonProperty property in root.GetProperty("entries").EnumerateObject())
            {
                JsonElement e = property.Value;
                var entry = new MemoryEntry(
                    property.Name,
                    e.GetProperty("value").Clone(),
                    e.GetProperty("version").GetInt64(),
                    e.GetProperty("author").GetString() ?? throw new JsonException("an entry's author is null"),
                    e.GetProperty("timestamp").GetDateTimeOffset());
                if (entry.Version < 1 || entry.Version > sequence)
                {
                    return SnapshotFile.Damaged(path, $"the entry '{entry.Key}' has version {entry.Version}, outside 1 to the snapshot's sequence {sequence}");
                }

                entries[property.Name] = entry;
            }

            return new SnapshotFile(path, sequence, entries, null);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return SnapshotFile.Damaged(path, $"its checksum matches but its content is not a snapshot ({e.Message})");
        }
    }

    /// <summary>Checks the checksum; <see langword="null"/> when it matches, else what is wrong.</summary>
    private static string? Verify(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return "the file is empty";
        }

        int digits = -1;
        bool hasFormat = false;
        try
        {
            var reader = new Utf8JsonReader(bytes);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return "it is not a JSON object";
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isChecksum = reader.ValueTextEquals("checksum"u8);
                hasFormat |= reader.ValueTextEquals("format"u8);
                reader.Read();
                if (isChecksum && reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped
                    && reader.ValueSpan.Length == ChecksumPrefix.Length + 8 && reader.ValueSpan.StartsWith("crc32c:"u8))
                {
                    digits = (int)reader.TokenStartIndex + 1 + ChecksumPrefix.Length;
                }

                reader.Skip();
            }

            if (reader.TokenType != JsonTokenType.EndObject)
            {
                return $"it is not valid JSON (unexpected {reader.TokenType} at byte {reader.TokenStartIndex})";
            }
        }
        catch (JsonException e)
        {
            return $"it is not valid JSON ({e.Message})";
        }

        if (digits < 0)
        {
            return hasFormat
                ? "it has no \"checksum\": \"crc32c:…\" field"
                : "it is JSON but not a ParallelAgents.Sdk snapshot (it has no \"format\" and \"checksum\" fields), such as the original demo's agent_memory.json; it is kept, not imported";
        }

        string stated = System.Text.Encoding.ASCII.GetString(bytes, digits, 8);
        if (!uint.TryParse(stated, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint expected))
        {
            return $"its checksum '{stated}' is not hexadecimal";
        }

        byte[] copy = (byte[])bytes.Clone();
        copy.AsSpan(digits, 8).Fill((byte)'0');
        uint actual = Crc32C.Compute(copy);
        return actual == expected
            ? null
            : $"its checksum does not match its content (the file says crc32c:{expected:x8}, the bytes give crc32c:{actual:x8}): it was damaged or edited by hand";
    }
}

/// <summary>A snapshot file as read: its state when it checks, or what is wrong with it.</summary>
internal sealed record SnapshotFile(string Path, long Sequence, IReadOnlyDictionary<string, MemoryEntry> Entries, string? Problem)
{
    public bool IsValid => Problem is null;

    public static SnapshotFile Damaged(string path, string problem) =>
        new(path, -1, new Dictionary<string, MemoryEntry>(), problem);
}
