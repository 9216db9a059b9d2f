using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ParallelAgents.Sdk.Cli;

/// <summary><c>memory show|reset</c>: the file-backed shared memory the agents share (FileSharedMemory).</summary>
internal static class MemoryCommand
{
    /// <summary>The author the reset's deletions are recorded under.</summary>
    public const string Author = "parallel-agents-cli";

    public static Command Create(CliOutput output)
    {
        var memory = new Command("memory", "Shows or resets the agents' shared memory (the file-backed store, shared-memory/agent_memory.json by default).");
        memory.Subcommands.Add(Show(output));
        memory.Subcommands.Add(Reset(output));
        return memory;
    }

    private static Command Show(CliOutput output)
    {
        var repo = CommonOptions.Repository();
        var path = CommonOptions.Memory();
        var prefix = new Option<string>("--prefix") { Description = "Only the keys that start with this, such as discoveries/.", DefaultValueFactory = _ => "" };
        var json = CommonOptions.Json();
        var show = new Command("show", "Lists every key of the shared memory with its version, author, time and value.") { repo, path, prefix, json };
        show.SetAction(CliApp.Guarded(output, async (parse, cancellationToken) =>
        {
            string file = Paths.InRepository(Paths.Repository(parse.GetValue(repo)), parse.GetValue(path), Paths.DefaultMemory);
            bool asJson = parse.GetValue(json);
            IReadOnlyList<MemoryEntry> entries = [];
            long sequence = 0;
            if (Exists(file))
            {
                await using FileSharedMemory store = await FileSharedMemory.OpenAsync(new FileSharedMemoryOptions { Path = file }, cancellationToken).ConfigureAwait(false);
                MemorySnapshot snapshot = await store.SnapshotAsync(cancellationToken).ConfigureAwait(false);
                sequence = snapshot.Sequence;
                entries = [.. snapshot.Entries.Values
                    .Where(e => e.Key.StartsWith(parse.GetValue(prefix)!, StringComparison.Ordinal))
                    .OrderBy(e => e.Key, StringComparer.Ordinal)];
            }

            if (asJson)
            {
                await output.Out.WriteLineAsync(Json.Write(new JsonObject
                {
                    ["path"] = file,
                    ["exists"] = Exists(file),
                    ["sequence"] = sequence,
                    ["entries"] = new JsonArray([.. entries.Select(e => (JsonNode)new JsonObject
                    {
                        ["key"] = e.Key,
                        ["version"] = e.Version,
                        ["author"] = e.Author,
                        ["timestamp"] = e.Timestamp.ToString("O", CultureInfo.InvariantCulture),
                        ["value"] = JsonNode.Parse(e.Value.GetRawText()),
                    })]),
                })).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            if (!Exists(file))
            {
                await output.Out.WriteLineAsync($"No shared memory at {file} yet: no run has written to it.").ConfigureAwait(false);
                return ExitCodes.Success;
            }

            await output.Out.WriteLineAsync($"{file}: {entries.Count} key(s){(parse.GetValue(prefix) is { Length: > 0 } p ? $" under {p}" : "")}, sequence {sequence}").ConfigureAwait(false);
            foreach (MemoryEntry entry in entries)
            {
                await output.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{entry.Key}  (v{entry.Version}, {entry.Author}, {entry.Timestamp:u})")).ConfigureAwait(false);
                string value = JsonSerializer.Serialize(entry.Value, Indented);
                await output.Out.WriteLineAsync("  " + value.ReplaceLineEndings("\n  ")).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));
        return show;
    }

    private static Command Reset(CliOutput output)
    {
        var repo = CommonOptions.Repository();
        var path = CommonOptions.Memory();
        var yes = new Option<bool>("--yes", "-y") { Description = "Do it: without it, reset only says what it would delete." };
        var json = CommonOptions.Json();
        var reset = new Command("reset", "Deletes every key of the shared memory (recorded as deletions, so watchers see them). Needs --yes.") { repo, path, yes, json };
        reset.SetAction(CliApp.Guarded(output, async (parse, cancellationToken) =>
        {
            string file = Paths.InRepository(Paths.Repository(parse.GetValue(repo)), parse.GetValue(path), Paths.DefaultMemory);
            bool asJson = parse.GetValue(json);
            var deleted = new List<string>();
            if (Exists(file))
            {
                await using FileSharedMemory store = await FileSharedMemory.OpenAsync(new FileSharedMemoryOptions { Path = file, FlushPolicy = FlushPolicy.Always }, cancellationToken).ConfigureAwait(false);
                MemorySnapshot snapshot = await store.SnapshotAsync(cancellationToken).ConfigureAwait(false);
                List<string> keys = [.. snapshot.Entries.Keys.Order(StringComparer.Ordinal)];
                if (!parse.GetValue(yes))
                {
                    await output.Error.WriteLineAsync(
                        $"memory reset would delete {keys.Count} key(s) from {file}: {string.Join(", ", keys.Take(10))}{(keys.Count > 10 ? ", ..." : "")}. Run it again with --yes to delete them.").ConfigureAwait(false);
                    return ExitCodes.InvalidInput;
                }

                foreach (string key in keys)
                {
                    if (await store.DeleteAsync(key, Author, cancellationToken).ConfigureAwait(false))
                    {
                        deleted.Add(key);
                    }
                }

                await store.CheckpointAsync(cancellationToken).ConfigureAwait(false);
            }

            if (asJson)
            {
                await output.Out.WriteLineAsync(Json.Write(new JsonObject
                {
                    ["path"] = file,
                    ["deleted"] = new JsonArray([.. deleted.Select(k => (JsonNode)JsonValue.Create(k)!)]),
                })).ConfigureAwait(false);
            }
            else
            {
                await output.Out.WriteLineAsync($"Deleted {deleted.Count} key(s) from {file}.").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));
        return reset;
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Whether a store was ever written at <paramref name="snapshot"/>: its snapshot or its journal is there.</summary>
    private static bool Exists(string snapshot) =>
        File.Exists(snapshot) || File.Exists(Path.ChangeExtension(snapshot, ".journal"));
}
