using System.Collections.Immutable;
using System.Globalization;

namespace ParallelAgents.Sdk;

/// <summary>Rebuilds a file store's state from whatever its files hold after a clean close or any crash.</summary>
/// <remarks>
/// <para>Nothing here trusts a file's name to say what it holds. Every snapshot that checks (the current one, the previous
/// one, a finished temporary one) is a possible base; every record that checks, from both journals, is a possible step.
/// The store recovers from the base that reaches furthest through consecutive records: the last state that existed and
/// can be proven from the files. So a crash at any point of a checkpoint (temporary file written, renamed, journal
/// rotated) recovers every durable write, and a damaged current snapshot falls back to the previous one and the journal
/// between them, losing nothing.</para>
/// <para>What cannot be proven (records after a damaged one, bytes after a torn write, a damaged snapshot) is reported in
/// <see cref="StoreRecoveryResult.Warnings"/> and its files are listed for moving aside; it is never replayed.</para>
/// </remarks>
internal static class StoreRecovery
{
    public static StoreRecoveryResult Recover(StorePaths paths, int retainedChanges)
    {
        SnapshotFile? current = SnapshotCodec.Read(paths.Snapshot);
        SnapshotFile? previous = SnapshotCodec.Read(paths.PreviousSnapshot);
        SnapshotFile? temporary = SnapshotCodec.Read(paths.SnapshotTemp);
        JournalScan? previousJournal = JournalScanner.Scan(paths.PreviousJournal);
        JournalScan? journal = JournalScanner.Scan(paths.Journal);

        var result = new StoreRecoveryResult { IsNew = current is null && previous is null && temporary is null && journal is null && previousJournal is null };

        // The current journal wins a sequence both hold: the previous one may be a stale rotation.
        var records = new Dictionary<long, MemoryChange>();
        long maxKnown = 0;
        foreach (JournalScan? scan in (ReadOnlySpan<JournalScan?>)[previousJournal, journal])
        {
            foreach (MemoryChange change in scan?.Records ?? [])
            {
                records[change.Sequence] = change;
                maxKnown = Math.Max(maxKnown, change.Sequence);
            }

            // Intact records past damage cannot be replayed, but they prove those writes happened: they count as lost.
            maxKnown = Math.Max(maxKnown, scan?.Damage?.LastSequenceAfter ?? 0);
        }

        var empty = new SnapshotFile("(an empty store)", 0, new Dictionary<string, MemoryEntry>(), null);
        SnapshotFile best = empty;
        long bestReach = Reach(empty.Sequence, records);
        foreach (SnapshotFile? candidate in (ReadOnlySpan<SnapshotFile?>)[current, previous, temporary])
        {
            if (candidate is not { IsValid: true })
            {
                continue;
            }

            maxKnown = Math.Max(maxKnown, candidate.Sequence);
            long reach = Reach(candidate.Sequence, records);
            // Ties go to the later snapshot (fewer records to replay), and to any file over the empty store.
            if (reach > bestReach || (reach == bestReach && (candidate.Sequence > best.Sequence || best == empty)))
            {
                (best, bestReach) = (candidate, reach);
            }
        }

        ImmutableDictionary<string, MemoryEntry>.Builder entries = ImmutableDictionary.CreateBuilder<string, MemoryEntry>(StringComparer.Ordinal);
        entries.AddRange(best.Entries);
        for (long s = best.Sequence + 1; s <= bestReach; s++)
        {
            MemoryChange change = records[s];
            if (change.Entry is { } entry)
            {
                entries[change.Key] = entry;
            }
            else
            {
                entries.Remove(change.Key);
            }
        }

        result.Entries = entries.ToImmutable();
        result.Sequence = bestReach;
        result.Replayed = (int)(bestReach - best.Sequence);
        result.BaseDescription = best == empty ? "an empty store" : best.Path;

        // The consecutive records that end at the recovered sequence are the change feed a watcher may resume from.
        long firstRetained = bestReach;
        while (firstRetained > bestReach - retainedChanges && records.ContainsKey(firstRetained))
        {
            firstRetained--;
        }

        for (long s = firstRetained + 1; s <= bestReach; s++)
        {
            result.Retained.Add(records[s]);
        }

        // Damage, and anything that holds writes the recovered state does not, is reported and moved aside.
        foreach (SnapshotFile? snapshot in (ReadOnlySpan<SnapshotFile?>)[current, previous])
        {
            if (snapshot is { IsValid: false })
            {
                result.Damaged.Add(snapshot.Path);
                result.Warnings.Add($"The snapshot {snapshot.Path} is damaged: {snapshot.Problem}.");
            }
        }

        foreach (JournalScan? scan in (ReadOnlySpan<JournalScan?>)[previousJournal, journal])
        {
            if (scan is null)
            {
                continue;
            }

            if (scan.Damage is { } damage)
            {
                result.Damaged.Add(scan.Path);
                result.Warnings.Add(Describe(scan, damage));
            }
            else if (scan.LastSequence > bestReach)
            {
                result.Damaged.Add(scan.Path);
                result.Warnings.Add(
                    $"The journal {scan.Path} holds sequences {scan.Records[0].Sequence} to {scan.LastSequence}, but no snapshot or journal connects them to sequence {bestReach}: they cannot be replayed.");
            }
        }

        if (maxKnown > bestReach)
        {
            result.Warnings.Add(
                $"Writes {bestReach + 1} to {maxKnown} ({maxKnown - bestReach:N0} known) were lost: the state after write {bestReach} is the last one the files prove. The damaged files are kept beside the store.");
        }

        bool currentIsBase = best == current;
        // A new store is "rewritten" too: it starts with an empty snapshot that people and jq can read at once.
        result.NeedsRewrite = result.IsNew || result.Damaged.Count > 0 || !currentIsBase;
        if (!result.IsNew && !currentIsBase && result.Damaged.Count == 0)
        {
            result.Notes.Add($"The last checkpoint was interrupted; the state was rebuilt from {result.BaseDescription} and the journal.");
        }

        result.JournalLength = journal?.Length ?? 0;
        result.HasTemporary = temporary is not null;
        return result;
    }

    private static long Reach(long from, Dictionary<long, MemoryChange> records)
    {
        long reach = from;
        while (records.ContainsKey(reach + 1))
        {
            reach++;
        }

        return reach;
    }

    private static string Describe(JournalScan scan, JournalDamage damage)
    {
        string after = scan.Records.Count == 0 ? "at its start" : $"after sequence {scan.LastSequence}";
        string kind = damage.IsTornTail ? "ends in a write cut short" : "is corrupted";
        string intact = damage.IntactRecordsAfter switch
        {
            < 0 => " The rest is too large to search for intact records.",
            0 => string.Empty,
            _ => string.Create(CultureInfo.InvariantCulture, $" {damage.IntactRecordsAfter:N0} intact records follow the damage (sequences {damage.FirstSequenceAfter} to {damage.LastSequenceAfter}); they cannot be replayed without the damaged one."),
        };
        return string.Create(
            CultureInfo.InvariantCulture,
            $"The journal {scan.Path} {kind} {after}, at byte {damage.Offset:N0}: {damage.Reason}. {damage.UnreadableBytes:N0} bytes from there to its end cannot be replayed.{intact}");
    }
}

/// <summary>The state a file store recovered, and what it could not.</summary>
internal sealed class StoreRecoveryResult
{
    public ImmutableDictionary<string, MemoryEntry> Entries { get; set; } = ImmutableDictionary<string, MemoryEntry>.Empty;

    /// <summary>The sequence of the last write in <see cref="Entries"/>.</summary>
    public long Sequence { get; set; }

    /// <summary>How many journal records were replayed onto the base snapshot.</summary>
    public int Replayed { get; set; }

    public string BaseDescription { get; set; } = string.Empty;

    /// <summary>Consecutive changes ending at <see cref="Sequence"/>, for watchers to resume from.</summary>
    public List<MemoryChange> Retained { get; } = [];

    /// <summary>Files that are damaged or hold writes that cannot be replayed: copied aside before the rewrite.</summary>
    public List<string> Damaged { get; } = [];

    /// <summary>What was damaged or lost, one sentence each, for warnings.</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>What was repaired without loss, for information.</summary>
    public List<string> Notes { get; } = [];

    /// <summary>Whether the files must be rewritten from the recovered state before the store accepts writes.</summary>
    public bool NeedsRewrite { get; set; }

    public bool IsNew { get; set; }

    public bool HasTemporary { get; set; }

    /// <summary>The current journal's length, where appending resumes when no rewrite is needed.</summary>
    public long JournalLength { get; set; }
}
