namespace ParallelAgents.Sdk.Tests.TestSupport;

/// <summary>A fresh temporary folder, deleted (links and read-only files too) on disposal.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pa-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            // Directory.Delete removes links themselves, never what they point at.
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is not worth failing a test for.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}
