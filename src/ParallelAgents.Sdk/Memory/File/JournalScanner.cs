using System.Text.Json;

namespace ParallelAgents.Sdk;

/// <summary>Reads a journal file record by record, checking each, and stops at the first record that does not check.</summary>
internal static class JournalScanner
{
    /// <summary>The largest damaged rest searched for intact records, so a report never reads gigabytes into memory.</summary>
    private const long MaxSearchedBytes = 256L * 1024 * 1024;

    /// <summary>Scans <paramref name="path"/>; <see langword="null"/> when there is no such file.</summary>
    public static JournalScan? Scan(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1 << 16);
        var scan = new JournalScan(path, stream.Length);
        byte[] header = new byte[JournalCodec.HeaderSize];
        byte[] payload = new byte[4096];
        long offset = 0;
        while (offset < scan.Length)
        {
            long remaining = scan.Length - offset;
            if (remaining < JournalCodec.HeaderSize)
            {
                scan.Damage = Damaged(scan, offset, $"the file ends {remaining} bytes into a record's {JournalCodec.HeaderSize}-byte header", torn: true);
                break;
            }

            stream.ReadExactly(header);
            string? problem = JournalCodec.ReadHeader(header, out int length, out long sequence, out uint checksum);
            if (problem is not null)
            {
                scan.Damage = Damaged(scan, offset, problem, torn: header.AsSpan().IndexOfAnyExcept((byte)0) < 0);
                break;
            }

            if (remaining - JournalCodec.HeaderSize < length)
            {
                scan.Damage = Damaged(scan, offset, $"the record of sequence {sequence} is cut short: it declares {length:N0} bytes and {remaining - JournalCodec.HeaderSize:N0} follow", torn: true);
                break;
            }

            if (payload.Length < length)
            {
                payload = new byte[Math.Max(length, payload.Length * 2)];
            }

            stream.ReadExactly(payload, 0, length);
            if (JournalCodec.Checksum(header.AsSpan(4, 12), payload.AsSpan(0, length)) != checksum)
            {
                scan.Damage = Damaged(scan, offset, $"the record that claims sequence {sequence} fails its checksum", torn: false);
                break;
            }

            if (scan.Records.Count > 0 && sequence != scan.LastSequence + 1)
            {
                scan.Damage = Damaged(scan, offset, $"the sequence jumps from {scan.LastSequence} to {sequence}", torn: false);
                break;
            }

            try
            {
                scan.Records.Add(JournalCodec.Decode(sequence, payload.AsSpan(0, length)));
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
            {
                scan.Damage = Damaged(scan, offset, $"the record of sequence {sequence} is not a journal record ({e.Message})", torn: false);
                break;
            }

            offset += JournalCodec.HeaderSize + length;
            scan.GoodLength = offset;
        }

        return scan;
    }

    private static JournalDamage Damaged(JournalScan scan, long offset, string reason, bool torn)
    {
        long unreadable = scan.Length - offset;
        if (unreadable > MaxSearchedBytes)
        {
            return new JournalDamage(offset, reason, unreadable, -1, 0, 0);
        }

        byte[] rest = new byte[unreadable];
        using (var stream = new FileStream(scan.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            stream.Position = offset;
            stream.ReadExactly(rest);
        }

        int intact = 0;
        long first = 0, last = 0;
        int at = 0;
        while (at < rest.Length)
        {
            int found = rest.AsSpan(at).IndexOf(JournalCodec.Magic);
            if (found < 0)
            {
                break;
            }

            at += found;
            ReadOnlySpan<byte> candidate = rest.AsSpan(at);
            if (candidate.Length >= JournalCodec.HeaderSize
                && JournalCodec.ReadHeader(candidate[..JournalCodec.HeaderSize], out int length, out long sequence, out uint checksum) is null
                && candidate.Length - JournalCodec.HeaderSize >= length
                && JournalCodec.Checksum(candidate.Slice(4, 12), candidate.Slice(JournalCodec.HeaderSize, length)) == checksum)
            {
                intact++;
                first = first == 0 ? sequence : first;
                last = sequence;
                at += JournalCodec.HeaderSize + length;
            }
            else
            {
                at++;
            }
        }

        // Damage with intact records after it is corruption in the middle, whatever the first bad bytes look like.
        return new JournalDamage(offset, reason, unreadable, intact, first, last) { IsTornTail = torn && intact == 0 };
    }
}
