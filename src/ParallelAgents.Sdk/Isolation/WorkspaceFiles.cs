namespace ParallelAgents.Sdk;

/// <summary>
/// The files of a workspace, sandboxed: every path is relative to <see cref="RootPath"/> and must stay inside it.
/// <c>..</c> that leads out, absolute paths, symbolic links that lead out and anything under <c>.git</c> are refused
/// with a <see cref="WorkspacePathException"/> that says which path and why.
/// </summary>
public sealed class WorkspaceFiles
{
    /// <summary>Makes the sandboxed file API of the folder <paramref name="rootPath"/>.</summary>
    /// <param name="rootPath">The workspace's root folder; it must exist.</param>
    public WorkspaceFiles(string rootPath) => throw new NotImplementedException("CONTRACT: implemented by the isolation work");

    /// <summary>The workspace's root folder, a full path.</summary>
    public string RootPath { get; } = "";

    /// <summary>Resolves a workspace path to a full host path, checking that it stays inside the workspace.</summary>
    /// <param name="path">A path relative to the workspace root, with <c>/</c> or the platform's separators.</param>
    /// <returns>The full path.</returns>
    /// <exception cref="WorkspacePathException">The path leads outside the workspace or into <c>.git</c>.</exception>
    public string GetFullPath(string path) => throw new NotImplementedException();

    /// <summary>Whether a file exists at <paramref name="path"/>.</summary>
    /// <param name="path">A path relative to the workspace root.</param>
    /// <returns><see langword="true"/> when a file (not a folder) is there.</returns>
    /// <exception cref="WorkspacePathException">The path leads outside the workspace or into <c>.git</c>.</exception>
    public bool FileExists(string path) => throw new NotImplementedException();

    /// <summary>Reads a whole text file (UTF-8).</summary>
    /// <param name="path">A path relative to the workspace root.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The file's text.</returns>
    /// <exception cref="WorkspacePathException">The path leads outside the workspace or into <c>.git</c>.</exception>
    /// <exception cref="FileNotFoundException">No file is there.</exception>
    public ValueTask<string> ReadAllTextAsync(string path, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Writes a whole text file (UTF-8, no byte order mark), making its folders as needed.</summary>
    /// <param name="path">A path relative to the workspace root.</param>
    /// <param name="content">The text.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the file is written.</returns>
    /// <exception cref="WorkspacePathException">The path leads outside the workspace or into <c>.git</c>.</exception>
    public ValueTask WriteAllTextAsync(string path, string content, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Deletes a file.</summary>
    /// <param name="path">A path relative to the workspace root.</param>
    /// <param name="cancellationToken">Cancels the deletion.</param>
    /// <returns><see langword="true"/> when a file was deleted, <see langword="false"/> when none was there.</returns>
    /// <exception cref="WorkspacePathException">The path leads outside the workspace or into <c>.git</c>.</exception>
    public ValueTask<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Lists the files under a folder of the workspace, skipping <c>.git</c>.</summary>
    /// <param name="directory">A folder relative to the workspace root; <see langword="null"/> or empty for the root.</param>
    /// <param name="recursive">Whether to list the files of sub-folders too.</param>
    /// <param name="maxEntries">The most paths returned.</param>
    /// <returns>Paths relative to the workspace root with <c>/</c> separators, in ordinal order.</returns>
    /// <exception cref="WorkspacePathException">The folder leads outside the workspace or into <c>.git</c>.</exception>
    public IReadOnlyList<string> ListFiles(string? directory = null, bool recursive = true, int maxEntries = 10_000) => throw new NotImplementedException();
}
