using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ParallelAgents.Sdk;

/// <summary>File operations that are on disk when they return, for the file-backed store.</summary>
internal static partial class DurableFile
{
    /// <summary>Writes <paramref name="bytes"/> to a new file at <paramref name="path"/> (replacing any) and flushes it to disk.</summary>
    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        // Read sharing: a backup tool copying the folder must not make a snapshot fail.
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        RandomAccess.Write(handle, bytes, 0);
        RandomAccess.FlushToDisk(handle);
    }

    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/> and flushes the copy to disk.</summary>
    public static void Copy(string source, string destination)
    {
        File.Copy(source, destination, overwrite: false);
        using SafeFileHandle handle = File.OpenHandle(destination, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        RandomAccess.FlushToDisk(handle);
    }

    /// <summary>Makes renames, creations and deletions in <paramref name="directory"/> durable.</summary>
    /// <remarks>On Linux and macOS a file's fsync does not cover its directory entry, so a renamed snapshot or a new journal
    /// could vanish on power loss without this. .NET cannot open a directory as a file, hence libc. On Windows, NTFS
    /// journals the rename itself; there is nothing to do.</remarks>
    /// <returns>Whether the directory was flushed (false on Windows, where there is no need, or when libc refused).</returns>
    public static bool SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        try
        {
            byte[] path = System.Text.Encoding.UTF8.GetBytes(directory + "\0");
            int fd = NativeMethods.Open(path, 0 /* O_RDONLY */);
            if (fd < 0)
            {
                return false;
            }

            try
            {
                return NativeMethods.FSync(fd) == 0;
            }
            finally
            {
                _ = NativeMethods.Close(fd);
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // A libc without these entry points (none known): the file's own fsync is all there is.
            return false;
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Open(byte[] path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int FSync(int fd);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Close(int fd);
    }
}
