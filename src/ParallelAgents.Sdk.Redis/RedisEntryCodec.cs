using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ParallelAgents.Sdk.Redis;

/// <summary>
/// Turns entries into the bytes the scripts store and back. A stored entry is
/// <c>version \n utcTicks \n authorByteCount \n author json</c>, with the value's JSON as the caller gave it: the
/// scripts only ever read the leading version, and the text stays readable with <c>redis-cli</c>.
/// </summary>
internal static class RedisEntryCodec
{
    private const byte Separator = (byte)'\n';

    /// <summary>Encodes everything the script stores after the version: time, author and (for a set) the value.</summary>
    public static byte[] EncodePayload(DateTimeOffset timestamp, string author, string? json)
    {
        Span<byte> ticks = stackalloc byte[20];
        Utf8Formatter.TryFormat(timestamp.UtcTicks, ticks, out int ticksLength);
        int authorBytes = Encoding.UTF8.GetByteCount(author);
        Span<byte> authorLength = stackalloc byte[11];
        Utf8Formatter.TryFormat(authorBytes, authorLength, out int authorLengthLength);
        int jsonBytes = json is null ? 0 : Encoding.UTF8.GetByteCount(json);

        byte[] payload = new byte[ticksLength + 1 + authorLengthLength + 1 + authorBytes + jsonBytes];
        Span<byte> rest = payload;
        ticks[..ticksLength].CopyTo(rest);
        rest[ticksLength] = Separator;
        rest = rest[(ticksLength + 1)..];
        authorLength[..authorLengthLength].CopyTo(rest);
        rest[authorLengthLength] = Separator;
        rest = rest[(authorLengthLength + 1)..];
        rest = rest[Encoding.UTF8.GetBytes(author, rest)..];
        if (json is not null)
        {
            Encoding.UTF8.GetBytes(json, rest);
        }

        return payload;
    }

    /// <summary>Decodes a stored entry.</summary>
    /// <exception cref="InvalidDataException">The bytes are not an entry this store wrote.</exception>
    public static MemoryEntry DecodeEntry(string key, ReadOnlySpan<byte> stored)
    {
        Header header = ReadHeader(key, stored);
        ReadOnlySpan<byte> json = stored[header.JsonStart..];
        if (json.IsEmpty)
        {
            throw Corrupt(key, "it has no value");
        }

        JsonElement value;
        try
        {
            var reader = new Utf8JsonReader(json);
            value = JsonElement.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The Redis entry for shared memory key '{key}' does not hold valid JSON ({ex.Message}); was it written by something other than RedisSharedMemory?", ex);
        }

        return new MemoryEntry(key, value, header.Version, header.Author, header.Timestamp);
    }

    /// <summary>Decodes one entry of the change feed.</summary>
    /// <param name="sequence">The change's sequence, from its stream id.</param>
    /// <param name="kind">The stream entry's <c>o</c> field: <c>s</c> for a set, <c>d</c> for a delete.</param>
    /// <param name="key">The key written.</param>
    /// <param name="stored">The stream entry's <c>e</c> field.</param>
    public static MemoryChange DecodeChange(long sequence, string kind, string key, ReadOnlySpan<byte> stored)
    {
        if (kind == "d")
        {
            Header header = ReadHeader(key, stored);
            return new MemoryChange(sequence, MemoryChangeKind.Delete, key, null, header.Author, header.Timestamp);
        }

        MemoryEntry entry = DecodeEntry(key, stored);
        return new MemoryChange(sequence, MemoryChangeKind.Set, key, entry, entry.Author, entry.Timestamp);
    }

    /// <summary>Reads the number of a stream id <c>&lt;sequence&gt;-0</c>.</summary>
    public static long SequenceOfStreamId(string id)
    {
        int dash = id.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || !long.TryParse(id.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out long sequence))
        {
            throw new InvalidDataException($"The shared memory's change feed has an entry with the id '{id}', which RedisSharedMemory did not write (it writes '<sequence>-0').");
        }

        return sequence;
    }

    /// <summary>The stream id of a sequence number.</summary>
    public static string StreamIdOf(long sequence) => sequence.ToString(CultureInfo.InvariantCulture) + "-0";

    private static Header ReadHeader(string key, ReadOnlySpan<byte> stored)
    {
        int position = 0;
        long version = ReadNumber(key, stored, ref position);
        long ticks = ReadNumber(key, stored, ref position);
        long authorBytes = ReadNumber(key, stored, ref position);
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            throw Corrupt(key, "its timestamp is out of range");
        }

        if (authorBytes > stored.Length - position)
        {
            throw Corrupt(key, "it is shorter than its author");
        }

        string author = Encoding.UTF8.GetString(stored.Slice(position, (int)authorBytes));
        return new Header(version, new DateTimeOffset(ticks, TimeSpan.Zero), author, position + (int)authorBytes);
    }

    private static long ReadNumber(string key, ReadOnlySpan<byte> stored, ref int position)
    {
        ReadOnlySpan<byte> rest = stored[position..];
        int end = rest.IndexOf(Separator);
        if (end <= 0 || !Utf8Parser.TryParse(rest[..end], out long number, out int consumed) || consumed != end || number < 0)
        {
            throw Corrupt(key, "its header is not 'version, ticks, author length'");
        }

        position += end + 1;
        return number;
    }

    private static InvalidDataException Corrupt(string key, string why) =>
        new($"The Redis entry for shared memory key '{key}' cannot be read: {why}. Was it written by something other than RedisSharedMemory, or by a different version?");

    private readonly record struct Header(long Version, DateTimeOffset Timestamp, string Author, int JsonStart);
}
