using System.Reflection;

namespace TaskFlow;

/// <summary>The files built into the sample: the cassettes it replays and the files its scripted model writes.</summary>
internal static class SampleResources
{
    private static readonly Assembly Assembly = typeof(SampleResources).Assembly;

    /// <summary>The text of a built-in file, such as <c>Scripted/backend-api/src/server.js</c>.</summary>
    /// <exception cref="FileNotFoundException">The sample has no such file built in.</exception>
    public static string Read(string name)
    {
        using Stream stream = Assembly.GetManifestResourceStream(name)
            ?? throw new FileNotFoundException($"The TaskFlow sample has no built-in file '{name}'; rebuild the sample (it embeds cassettes/ and Scripted/).", name);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Whether the sample has a built-in file of that name.</summary>
    public static bool Exists(string name) => Assembly.GetManifestResourceInfo(name) is not null;
}
