namespace ParallelAgents.Sdk.Redis;

/// <summary>
/// The Lua scripts that make each operation atomic on the server. Every script gets the same four keys:
/// <c>KEYS[1]</c> the global sequence (a string counter), <c>KEYS[2]</c> the entries (a hash from key to stored entry),
/// <c>KEYS[3]</c> the key index (a sorted set, all scores 0, so that prefixes are lexicographic ranges) and
/// <c>KEYS[4]</c> the change feed (a stream whose entry ids are <c>&lt;sequence&gt;-0</c>).
/// </summary>
/// <remarks>
/// A stored entry is <c>version \n utcTicks \n authorByteCount \n author json</c>; the client sends everything after the
/// version (see <see cref="RedisEntryCodec"/>) and the script puts the version it drew from the sequence in front.
/// Redis runs a script without interleaving any other command, but does not roll back a script that fails halfway, so
/// each write appends to the stream (the only step that can fail, on an id that is not increasing) right after drawing
/// its number and before it touches the entries.
/// </remarks>
internal static class RedisScripts
{
    /// <summary>Set or compare-and-set. ARGV: key, payload, retained changes, notification channel, expected version
    /// (empty for an unconditional set; <c>0</c> for "only if absent"). Returns <c>{1, sequence}</c> on a write and
    /// <c>{0, current stored entry or nil}</c> on a lost compare-and-set.</summary>
    public const string Write = """
        local current = redis.call('HGET', KEYS[2], ARGV[1])
        if ARGV[5] ~= '' then
          local version = '0'
          if current then version = string.match(current, '^%d+') end
          if version ~= ARGV[5] then return {0, current} end
        end
        local sequence = redis.call('INCR', KEYS[1])
        local id = string.format('%d', sequence)
        local stored = id .. '\n' .. ARGV[2]
        redis.call('XADD', KEYS[4], 'MAXLEN', ARGV[3], id .. '-0', 'o', 's', 'k', ARGV[1], 'e', stored)
        redis.call('HSET', KEYS[2], ARGV[1], stored)
        if not current then redis.call('ZADD', KEYS[3], 0, ARGV[1]) end
        redis.call('PUBLISH', ARGV[4], id)
        return {1, sequence}
        """;

    /// <summary>Delete. ARGV: key, payload without a value, retained changes, notification channel. Returns the
    /// delete's sequence number, or 0 when the key had no value (nothing is recorded then).</summary>
    public const string Delete = """
        if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
        local sequence = redis.call('INCR', KEYS[1])
        local id = string.format('%d', sequence)
        redis.call('XADD', KEYS[4], 'MAXLEN', ARGV[3], id .. '-0', 'o', 'd', 'k', ARGV[1], 'e', id .. '\n' .. ARGV[2])
        redis.call('HDEL', KEYS[2], ARGV[1])
        redis.call('ZREM', KEYS[3], ARGV[1])
        redis.call('PUBLISH', ARGV[4], id)
        return sequence
        """;

    /// <summary>Snapshot: <c>{sequence, {key, stored, key, stored, ...}}</c>, read in one step.</summary>
    public const string Snapshot = """
        return {redis.call('GET', KEYS[1]) or '0', redis.call('HGETALL', KEYS[2])}
        """;

    /// <summary>List by prefix. ARGV: prefix. Returns <c>{key, stored, key, stored, ...}</c> in byte order, read in one
    /// step. UTF-8 never has the byte 0xFF, so <c>prefix .. 0xFF</c> is just past every key that starts with the prefix;
    /// HMGET goes in chunks because Lua's unpack is limited to a few thousand values.</summary>
    public const string List = """
        local names
        if ARGV[1] == '' then
          names = redis.call('ZRANGE', KEYS[3], 0, -1)
        else
          names = redis.call('ZRANGEBYLEX', KEYS[3], '[' .. ARGV[1], '(' .. ARGV[1] .. '\255')
        end
        local result = {}
        local first = 1
        while first <= #names do
          local last = math.min(first + 999, #names)
          local values = redis.call('HMGET', KEYS[2], unpack(names, first, last))
          for i = 1, #values do
            if values[i] then
              result[#result + 1] = names[first + i - 1]
              result[#result + 1] = values[i]
            end
          end
          first = last + 1
        end
        return result
        """;
}
