using System.Collections;

namespace ParallelAgents.Sdk;

/// <summary>A log entry's state seen through a <see cref="SecretRedactor"/>: its message and its structured values
/// (strings, and the text of anything that is not a number, a date, a duration or an enum) redacted when read; the
/// message template (<c>{OriginalFormat}</c>) is kept as written.</summary>
internal sealed class RedactedLogState<TState>(TState state, Exception? exception, Func<TState, Exception?, string> formatter, SecretRedactor redactor)
    : IReadOnlyList<KeyValuePair<string, object?>>
{
    private const string OriginalFormat = "{OriginalFormat}";

    private string? _message;

    /// <summary>The formatter handed to the wrapped logger.</summary>
    public static readonly Func<RedactedLogState<TState>, Exception?, string> Format = static (s, _) => s.ToString();

    private IReadOnlyList<KeyValuePair<string, object?>> Values =>
        state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];

    public int Count => Values.Count;

    public KeyValuePair<string, object?> this[int index]
    {
        get
        {
            KeyValuePair<string, object?> pair = Values[index];
            return pair.Key == OriginalFormat ? pair : new(pair.Key, Redact(pair.Value));
        }
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (int i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => _message ??= redactor.Redact(formatter(state, exception) ?? string.Empty);

    private object? Redact(object? value) => value switch
    {
        null => null,
        string text => redactor.Redact(text),
        Enum or bool or char or sbyte or byte or short or ushort or int or uint or long or ulong or float or double or decimal
            or DateTime or DateTimeOffset or TimeSpan or Guid => value,
        _ => redactor.Redact(value.ToString() ?? string.Empty),
    };
}
