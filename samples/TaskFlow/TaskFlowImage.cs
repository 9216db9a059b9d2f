using System.Diagnostics;
using System.Formats.Tar;
using ParallelAgents.Sdk.Docker;

namespace TaskFlow;

/// <summary>
/// The container image TaskFlow's agents work in with <c>--isolation container</c>: their commands and checks need
/// <c>/bin/sh</c>, <c>grep</c>, <c>test</c>, <c>node</c> (<c>node --check</c>, <c>node --test</c>) and <c>npm</c>
/// (the templates' <c>npm run --if-present test</c>). With no registry to pull from, it is made here without any
/// network: BusyBox from busybox-static for the shell and tools, and this machine's own <c>node</c> with the shared
/// libraries <c>ldd</c> names and the <c>npm</c> beside it, imported with <c>docker import</c>.
/// </summary>
internal static class TaskFlowImage
{
    /// <summary>The sample's own image, made when the engine lacks it.</summary>
    public const string DefaultTag = "parallel-agents/taskflow-node:1";

    private const string BusyBox = "/bin/busybox";

    /// <summary>Makes sure the engine has <paramref name="tag"/>: the default one is made if missing, any other must be
    /// there already. Returns <see langword="null"/> when it is, else what is wrong and what to do.</summary>
    public static async Task<string?> EnsureAsync(string tag, string? endpoint, TextWriter output, CancellationToken cancellationToken)
    {
        try
        {
            if (await ContainerImages.ExistsAsync(tag, endpoint, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }
        catch (DockerUnavailableException e)
        {
            return e.Message;
        }

        if (tag != DefaultTag)
        {
            return $"The image '{tag}' is not on the Docker engine, and only the sample's own ({DefaultTag}) is made when missing. " +
                "Build or load it (it needs /bin/sh, grep, node and npm), or leave --image out.";
        }

        string? node = FindNode();
        if (!File.Exists(BusyBox) || node is null || !OperatingSystem.IsLinux())
        {
            return $"The image {DefaultTag} is not on the Docker engine, and making it needs {BusyBox} (apt-get install -y busybox-static) " +
                "and node on PATH (Node.js 18 or later), on Linux. " +
                "Or give an image of your own with --image (it needs /bin/sh, grep, node and npm).";
        }

        output.WriteLine($"Making the container image {DefaultTag} (BusyBox and this machine's {node}; no network)...");
        string root = Directory.CreateTempSubdirectory("taskflow-rootfs-").FullName;
        string archive = root + ".tar";
        try
        {
            Build(root, node);
            await TarFile.CreateFromDirectoryAsync(root, archive, includeBaseDirectory: false, cancellationToken).ConfigureAwait(false);
            await ContainerImages.ImportImageAsync(archive, DefaultTag, endpoint, cancellationToken).ConfigureAwait(false);
            return null;
        }
        finally
        {
            File.Delete(archive);
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Build(string root, string node)
    {
        foreach (string folder in new[] { "bin", "tmp", "proc", "sys", "dev", "etc", "workspace", "usr/bin" })
        {
            Directory.CreateDirectory(Path.Combine(root, folder));
        }

        Copy(BusyBox, root, "/bin/busybox");
        foreach (string applet in Run(BusyBox, "--list").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string link = Path.Combine(root, "bin", applet);
            if (applet != "busybox" && !File.Exists(link))
            {
                File.CreateSymbolicLink(link, "busybox");
            }
        }

        // npm's launcher starts with #!/usr/bin/env node.
        File.CreateSymbolicLink(Path.Combine(root, "usr", "bin", "env"), "/bin/busybox");
        File.WriteAllText(Path.Combine(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nagent:x:1000:1000:agent:/tmp:/bin/sh\n");
        File.WriteAllText(Path.Combine(root, "etc", "group"), "root:x:0:\nagent:x:1000:\n");

        Copy(node, root, "/usr/bin/node");
        foreach (string library in Libraries(node))
        {
            Copy(library, root, library);
        }

        // npm as Node.js installs it: <prefix>/lib/node_modules/npm beside <prefix>/bin/node.
        string prefix = Path.GetDirectoryName(Path.GetDirectoryName(node)!)!;
        string npm = Path.Combine(prefix, "lib", "node_modules", "npm");
        if (Directory.Exists(npm))
        {
            CopyFolder(npm, Path.Combine(root, "usr", "lib", "node_modules", "npm"));
            File.CreateSymbolicLink(Path.Combine(root, "usr", "bin", "npm"), "../lib/node_modules/npm/bin/npm-cli.js");
        }
    }

    /// <summary>The real file of <c>node</c> on PATH, or <see langword="null"/>.</summary>
    private static string? FindNode()
    {
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(folder, "node");
            if (File.Exists(candidate))
            {
                return new FileInfo(candidate).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(candidate);
            }
        }

        return null;
    }

    /// <summary>The shared libraries (and the loader) <c>ldd</c> says <paramref name="binary"/> loads.</summary>
    private static List<string> Libraries(string binary)
    {
        var libraries = new List<string>();
        foreach (string line in Run("ldd", binary).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)".
            string path = line.Contains("=>", StringComparison.Ordinal) ? line[(line.IndexOf("=>", StringComparison.Ordinal) + 2)..].Trim() : line;
            int paren = path.IndexOf(" (", StringComparison.Ordinal);
            path = paren >= 0 ? path[..paren] : path;
            if (path.StartsWith('/'))
            {
                libraries.Add(path);
            }
        }

        return libraries;
    }

    /// <summary>Copies the file (following links) to <paramref name="target"/>, an absolute path in the image.</summary>
    private static void Copy(string source, string root, string target)
    {
        string destination = Path.Combine(root, target.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        File.Copy(source, destination, overwrite: true);
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        File.SetUnixFileMode(destination, File.GetUnixFileMode(source) | UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    private static void CopyFolder(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (FileSystemInfo entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            string target = Path.Combine(destination, entry.Name);
            if (entry.LinkTarget is { } link)
            {
                File.CreateSymbolicLink(target, link);
            }
            else if (entry is DirectoryInfo)
            {
                CopyFolder(entry.FullName, target);
            }
            else
            {
                File.Copy(entry.FullName, target);
            }
        }
    }

    private static string Run(string program, string argument)
    {
        var start = new ProcessStartInfo(program, [argument]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(start)!;
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {argument} failed ({process.ExitCode}): {errors.Result}");
        }

        return output;
    }
}
