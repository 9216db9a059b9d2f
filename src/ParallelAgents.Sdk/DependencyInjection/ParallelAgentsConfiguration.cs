using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace ParallelAgents.Sdk;

/// <summary>
/// Reads <see cref="ParallelAgentsOptions"/> from the original demo's environment variables, then from the
/// <c>ParallelAgents</c> configuration section. Bound by hand rather than with the configuration binder so that a bad
/// value or a misspelt key becomes one line of the engine's problem list (naming the key and what is expected),
/// instead of an exception about the first of them.
/// </summary>
internal static class ParallelAgentsConfiguration
{
    /// <summary>The original demo's variables and the options they set.</summary>
    internal static readonly (string Variable, Action<ParallelAgentsOptions, string> Set)[] OriginalVariables =
    [
        ("AGENT_BRANCH_PREFIX", (o, v) => o.BranchPrefix = v),
        ("MAIN_BRANCH", (o, v) => o.MainBranch = v),
        ("WORKSPACE_DIR", (o, v) => o.WorktreesDirectory = v),
        ("REPORTS_DIR", (o, v) => o.ReportsDirectory = v),
        ("SHARED_MEMORY", (o, v) => o.SharedMemoryPath = v),
        ("AGENT_MODEL", (o, v) => o.Model = v),
    ];

    private static readonly string[] Keys =
    [
        nameof(ParallelAgentsOptions.MaxParallelAgents), nameof(ParallelAgentsOptions.RepositoryPath),
        nameof(ParallelAgentsOptions.MainBranch), nameof(ParallelAgentsOptions.BranchPrefix),
        nameof(ParallelAgentsOptions.WorktreesDirectory), nameof(ParallelAgentsOptions.WorktreeIsolation),
        nameof(ParallelAgentsOptions.ReportsDirectory), nameof(ParallelAgentsOptions.SharedMemoryPath),
        nameof(ParallelAgentsOptions.Model), nameof(ParallelAgentsOptions.ChatClientServiceKey),
        nameof(ParallelAgentsOptions.ConflictForecasting), nameof(ParallelAgentsOptions.CancellationGracePeriod),
        nameof(ParallelAgentsOptions.Retry), nameof(ParallelAgentsOptions.StateDirectory), nameof(ParallelAgentsOptions.Redaction),
        nameof(ParallelAgentsOptions.IdleThreshold), nameof(ParallelAgentsOptions.StatusReportInterval),
    ];

    private static readonly string[] RedactionKeys =
    [
        nameof(RedactionOptions.SecretValues), nameof(RedactionOptions.SecretVariables),
        nameof(RedactionOptions.RedactSecretEnvironment), nameof(RedactionOptions.RedactKeyPatterns),
    ];

    private static readonly string[] RetryKeys =
    [
        nameof(RetryOptions.MaxAttempts), nameof(RetryOptions.BaseDelay), nameof(RetryOptions.MaxDelay),
        nameof(RetryOptions.BackoffMultiplier), nameof(RetryOptions.UseJitter),
    ];

    public static void ApplyEnvironment(ParallelAgentsOptions options)
    {
        foreach ((string variable, Action<ParallelAgentsOptions, string> set) in OriginalVariables)
        {
            string? value = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrWhiteSpace(value))
            {
                set(options, value.Trim());
            }
        }
    }

    public static void ApplySection(ParallelAgentsOptions options, IConfiguration? configuration)
    {
        if (configuration is null)
        {
            return;
        }

        IConfigurationSection section = configuration.GetSection(ParallelAgentsOptions.SectionName);
        var reader = new Reader(section, options.ConfigurationProblems);
        reader.CheckKeys(section, Keys);
        reader.Int(nameof(ParallelAgentsOptions.MaxParallelAgents), v => options.MaxParallelAgents = v);
        reader.String(nameof(ParallelAgentsOptions.RepositoryPath), v => options.RepositoryPath = v);
        reader.RequiredString(nameof(ParallelAgentsOptions.MainBranch), v => options.MainBranch = v);
        reader.String(nameof(ParallelAgentsOptions.BranchPrefix), v => options.BranchPrefix = v ?? "");
        reader.String(nameof(ParallelAgentsOptions.WorktreesDirectory), v => options.WorktreesDirectory = v);
        reader.Bool(nameof(ParallelAgentsOptions.WorktreeIsolation), v => options.WorktreeIsolation = v);
        reader.String(nameof(ParallelAgentsOptions.ReportsDirectory), v => options.ReportsDirectory = v);
        reader.String(nameof(ParallelAgentsOptions.SharedMemoryPath), v => options.SharedMemoryPath = v);
        reader.String(nameof(ParallelAgentsOptions.StateDirectory), v => options.StateDirectory = v);
        reader.String(nameof(ParallelAgentsOptions.Model), v => options.Model = v);
        reader.String(nameof(ParallelAgentsOptions.ChatClientServiceKey), v => options.ChatClientServiceKey = v);
        reader.Bool(nameof(ParallelAgentsOptions.ConflictForecasting), v => options.ConflictForecasting = v);
        reader.Duration(nameof(ParallelAgentsOptions.CancellationGracePeriod), v => options.CancellationGracePeriod = v);
        reader.Duration(nameof(ParallelAgentsOptions.IdleThreshold), v => options.IdleThreshold = v);
        reader.OptionalDuration(nameof(ParallelAgentsOptions.StatusReportInterval), v => options.StatusReportInterval = v);

        IConfigurationSection retrySection = section.GetSection(nameof(ParallelAgentsOptions.Retry));
        var retry = new Reader(retrySection, options.ConfigurationProblems);
        retry.CheckKeys(retrySection, RetryKeys);
        retry.Int(nameof(RetryOptions.MaxAttempts), v => options.Retry.MaxAttempts = v);
        retry.Duration(nameof(RetryOptions.BaseDelay), v => options.Retry.BaseDelay = v);
        retry.Duration(nameof(RetryOptions.MaxDelay), v => options.Retry.MaxDelay = v);
        retry.Double(nameof(RetryOptions.BackoffMultiplier), v => options.Retry.BackoffMultiplier = v);
        retry.Bool(nameof(RetryOptions.UseJitter), v => options.Retry.UseJitter = v);

        IConfigurationSection redactionSection = section.GetSection(nameof(ParallelAgentsOptions.Redaction));
        var redaction = new Reader(redactionSection, options.ConfigurationProblems);
        redaction.CheckKeys(redactionSection, RedactionKeys);
        redaction.List(nameof(RedactionOptions.SecretValues), v => options.Redaction.SecretValues.Add(v));
        redaction.List(nameof(RedactionOptions.SecretVariables), v => options.Redaction.SecretVariables.Add(v));
        redaction.Bool(nameof(RedactionOptions.RedactSecretEnvironment), v => options.Redaction.RedactSecretEnvironment = v);
        redaction.Bool(nameof(RedactionOptions.RedactKeyPatterns), v => options.Redaction.RedactKeyPatterns = v);
    }

    private sealed class Reader(IConfigurationSection section, List<string> problems)
    {
        public void CheckKeys(IConfigurationSection parent, string[] known)
        {
            foreach (IConfigurationSection child in parent.GetChildren())
            {
                if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                {
                    string? nearest = Levenshtein.Nearest(child.Key, known);
                    string hint = nearest is null ? $"the known keys are {string.Join(", ", known)}" : $"did you mean '{nearest}'?";
                    problems.Add($"The configuration key '{child.Path}' is not a ParallelAgents setting; {hint}.");
                }
            }
        }

        public void String(string key, Action<string?> set)
        {
            IConfigurationSection value = section.GetSection(key);
            if (value.Value is not null)
            {
                // An empty value clears the setting (no reports folder, no shared memory file...).
                set(string.IsNullOrWhiteSpace(value.Value) ? null : value.Value.Trim());
            }
        }

        /// <summary>Reads a list (<c>Key:0</c>, <c>Key:1</c>... or, for one item, <c>Key</c> itself), adding each item.</summary>
        public void List(string key, Action<string> add)
        {
            IConfigurationSection list = section.GetSection(key);
            if (!string.IsNullOrWhiteSpace(list.Value))
            {
                add(list.Value.Trim());
            }

            foreach (IConfigurationSection item in list.GetChildren())
            {
                if (!string.IsNullOrWhiteSpace(item.Value))
                {
                    add(item.Value.Trim());
                }
            }
        }

        public void RequiredString(string key, Action<string> set)
        {
            IConfigurationSection value = section.GetSection(key);
            if (value.Value is null)
            {
                return;
            }

            if (string.IsNullOrWhiteSpace(value.Value))
            {
                problems.Add($"The configuration value '{value.Path}' is empty; give it a value or remove the key to keep the default.");
            }
            else
            {
                set(value.Value.Trim());
            }
        }

        public void Int(string key, Action<int> set) => Parse(key, "a whole number such as 4", (string text, out int v) =>
            int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out v), set);

        public void Double(string key, Action<double> set) => Parse(key, "a number such as 2.0", (string text, out double v) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out v), set);

        public void Bool(string key, Action<bool> set) => Parse(key, "true or false", bool.TryParse, set);

        public void Duration(string key, Action<TimeSpan> set) =>
            Parse(key, "a duration such as 10s, 1m30s, 500ms or 00:00:10", DurationParser.TryParse, set);

        /// <summary>A duration that may be turned off: an empty value or <c>off</c> sets <see langword="null"/>.</summary>
        public void OptionalDuration(string key, Action<TimeSpan?> set)
        {
            string? text = section.GetSection(key).Value;
            if (text is not null && (string.IsNullOrWhiteSpace(text) || text.Trim().Equals("off", StringComparison.OrdinalIgnoreCase)))
            {
                set(null);
                return;
            }

            Parse<TimeSpan>(key, "a duration such as 30s or 00:00:30, or off", DurationParser.TryParse, v => set(v));
        }

        private void Parse<T>(string key, string expected, TryParser<T> parse, Action<T> set)
        {
            IConfigurationSection value = section.GetSection(key);
            if (value.Value is null)
            {
                return;
            }

            if (parse(value.Value.Trim(), out T parsed))
            {
                set(parsed);
            }
            else
            {
                problems.Add($"The configuration value '{value.Path}' is '{value.Value}', which is not {expected}.");
            }
        }
    }

    private delegate bool TryParser<T>(string text, out T value);
}
