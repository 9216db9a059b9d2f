namespace ParallelAgents.Sdk;

/// <summary>The environment variables that point package managers' caches into one shared folder.</summary>
/// <remarks>Each of these caches is safe to share between processes that run at once: npm's and pnpm's are
/// content-addressed, pip and NuGet lock their entries, and Go's module cache is written atomically. Yarn 1's cache is
/// shared too, but parallel installs with Yarn 1 are only safe with its <c>--mutex</c> option.</remarks>
internal static class DependencyCacheVariables
{
    public static IReadOnlyDictionary<string, string> For(string cacheDirectory) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["npm_config_cache"] = Path.Combine(cacheDirectory, "npm"),
        ["npm_config_store_dir"] = Path.Combine(cacheDirectory, "pnpm-store"),
        ["YARN_CACHE_FOLDER"] = Path.Combine(cacheDirectory, "yarn"),
        ["PIP_CACHE_DIR"] = Path.Combine(cacheDirectory, "pip"),
        ["NUGET_PACKAGES"] = Path.Combine(cacheDirectory, "nuget", "packages"),
        ["GOMODCACHE"] = Path.Combine(cacheDirectory, "go", "mod"),
        ["GOCACHE"] = Path.Combine(cacheDirectory, "go", "build"),
    };
}
