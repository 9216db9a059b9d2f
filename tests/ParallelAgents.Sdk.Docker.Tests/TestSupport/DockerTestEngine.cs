using System.Diagnostics;
using System.Formats.Tar;

namespace ParallelAgents.Sdk.Docker.Tests.TestSupport;

/// <summary>
/// The real Docker engine the tests run against (<c>DOCKER_HOST</c>, else <c>unix:///var/run/docker.sock</c>) and the
/// small BusyBox image they use, made once per test run with <c>docker import</c> through the API. Without an engine a
/// test is skipped with the reason, unless <c>PARALLELAGENTS_REQUIRE_ENGINES=1</c> (as in CI), where it fails.
/// </summary>
internal static class DockerTestEngine
{
    /// <summary>The test image: BusyBox (from busybox-static) and nothing else.</summary>
    public const string Image = "parallelagents-test/busybox:1";

    private const string BusyBox = "/bin/busybox";

    /// <summary>An image whose <c>/bin/sh</c> is dash, with BusyBox only as <c>sleep</c>: no <c>od</c>, <c>setsid</c> or
    /// <c>mkfifo</c>, so the command server cannot start in it.</summary>
    public const string ShellOnlyImage = "parallelagents-test/dash:1";

    /// <summary>An image whose <c>/bin/sh</c> is dash, with BusyBox as <c>sleep</c> and the tools the command server
    /// needs, but no <c>base64</c>: the server sends output as <c>od</c>'s hex.</summary>
    public const string NoBase64Image = "parallelagents-test/dash-od:1";

    private static readonly Lazy<Task<string?>> Ready = new(PrepareAsync);

    private static readonly Lazy<Task<string?>> ShellOnlyReady = new(() => PrepareDashAsync(ShellOnlyImage, ["sleep"]));

    private static readonly Lazy<Task<string?>> NoBase64Ready = new(() => PrepareDashAsync(NoBase64Image, ["sleep", "od", "cat", "setsid", "mkfifo", "env", "rm", "ps", "printf"]));

    public static string Endpoint => ContainerIsolationOptions.DefaultEndpoint;

    private static bool Required => Environment.GetEnvironmentVariable("PARALLELAGENTS_REQUIRE_ENGINES") == "1";

    /// <summary>Returns when an engine answers and has the test image; otherwise skips (fails in CI) the test.</summary>
    public static async Task RequireAsync()
    {
        if (await Ready.Value is { } reason)
        {
            if (Required)
            {
                Assert.Fail("PARALLELAGENTS_REQUIRE_ENGINES=1, so this Docker test cannot be skipped. " + reason);
            }

            Assert.Skip(reason);
        }
    }

    /// <summary>Skips the test with the reason, or fails it when <c>PARALLELAGENTS_REQUIRE_ENGINES=1</c>.</summary>
    public static void SkipOrFail(string reason)
    {
        if (Required)
        {
            Assert.Fail("PARALLELAGENTS_REQUIRE_ENGINES=1, so this Docker test cannot be skipped. " + reason);
        }

        Assert.Skip(reason);
    }

    /// <summary>Returns <see cref="ShellOnlyImage"/>, made on first use from this machine's dash and BusyBox.</summary>
    public static async Task<string> ShellOnlyImageAsync()
    {
        if (await ShellOnlyReady.Value is { } reason)
        {
            SkipOrFail(reason);
        }

        return ShellOnlyImage;
    }

    /// <summary>Returns <see cref="NoBase64Image"/>, made on first use from this machine's dash and BusyBox.</summary>
    public static async Task<string> NoBase64ImageAsync()
    {
        if (await NoBase64Ready.Value is { } reason)
        {
            SkipOrFail(reason);
        }

        return NoBase64Image;
    }

    /// <summary>Runs the docker CLI (the oracle the tests check against) and returns its standard output.</summary>
    public static string Docker(params string[] arguments)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOCKER_HOST"] = Endpoint;
        using Process docker = Process.Start(start)!;
        Task<string> error = docker.StandardError.ReadToEndAsync();
        string output = docker.StandardOutput.ReadToEnd();
        docker.WaitForExit();
        if (docker.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', arguments)} failed ({docker.ExitCode}): {error.Result}");
        }

        return output;
    }

    /// <summary>The ids of every container, running or not, that carries the label (<c>key=value</c>).</summary>
    public static IReadOnlyList<string> ContainersLabelled(string label) =>
        Docker("ps", "-a", "-q", "--no-trunc", "--filter", "label=" + label).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The names of every network that carries the label (<c>key=value</c>).</summary>
    public static IReadOnlyList<string> NetworksLabelled(string label) =>
        Docker("network", "ls", "-q", "--filter", "label=" + label).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The host's own address on Docker's default bridge network (<c>docker0</c>).</summary>
    public static System.Net.IPAddress DefaultBridgeAddress()
    {
        string name = Docker("network", "inspect", "bridge", "--format", "{{index .Options \"com.docker.network.bridge.name\"}}").Trim();
        System.Net.NetworkInformation.NetworkInterface bridge = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Single(i => i.Name == (name.Length > 0 ? name : "docker0"));
        return bridge.GetIPProperties().UnicastAddresses
            .Select(a => a.Address)
            .First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
    }

    /// <summary>A run id no other test uses.</summary>
    public static string NewRunId() => "test-" + Guid.NewGuid().ToString("N")[..12];

    private static async Task<string?> PrepareAsync()
    {
        try
        {
            if (await ContainerImages.ExistsAsync(Image, Endpoint))
            {
                return null;
            }
        }
        catch (DockerUnavailableException ex)
        {
            return ex.Message + " (on Debian: apt-get install -y docker.io busybox-static; dockerd &)";
        }

        if (!File.Exists(BusyBox))
        {
            return $"The Docker engine answers, but the test image {Image} is missing and {BusyBox} (busybox-static) is not there to make it: apt-get install -y busybox-static.";
        }

        string root = Directory.CreateTempSubdirectory("pa-busybox-rootfs-").FullName;
        try
        {
            // /tmp is left root's 755, as in many images: the provider must still give the container's user a writable /tmp.
            foreach (string folder in new[] { "bin", "tmp", "proc", "sys", "dev", "etc", "workspace" })
            {
                Directory.CreateDirectory(Path.Combine(root, folder));
            }

            File.Copy(BusyBox, Path.Combine(root, "bin", "busybox"));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(Path.Combine(root, "bin", "busybox"), (UnixFileMode)0b111_101_101);
            }
            foreach (string applet in Applets())
            {
                string link = Path.Combine(root, "bin", applet);
                if (applet != "busybox" && !File.Exists(link))
                {
                    File.CreateSymbolicLink(link, "busybox");
                }
            }

            File.WriteAllText(Path.Combine(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nagent:x:1000:1000:agent:/tmp:/bin/sh\n");
            File.WriteAllText(Path.Combine(root, "etc", "group"), "root:x:0:\nagent:x:1000:\n");
            string archive = root + ".tar";
            await TarFile.CreateFromDirectoryAsync(root, archive, includeBaseDirectory: false);
            try
            {
                await ContainerImages.ImportImageAsync(archive, Image, Endpoint);
            }
            finally
            {
                File.Delete(archive);
            }

            return null;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<string?> PrepareDashAsync(string image, string[] applets)
    {
        if (await ContainerImages.ExistsAsync(image, Endpoint))
        {
            return null;
        }

        const string Dash = "/bin/dash";
        if (!File.Exists(Dash) || !File.Exists(BusyBox))
        {
            return $"The image {image} is missing and {Dash} or {BusyBox} is not there to make it: apt-get install -y dash busybox-static.";
        }

        string root = Directory.CreateTempSubdirectory("pa-dash-rootfs-").FullName;
        try
        {
            foreach (string folder in new[] { "bin", "tmp", "proc", "sys", "dev", "etc", "workspace" })
            {
                Directory.CreateDirectory(Path.Combine(root, folder));
            }

            CopyInto(root, Dash, "/bin/sh");
            CopyInto(root, BusyBox, "/bin/busybox");
            foreach (string applet in applets)
            {
                File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
            }

            foreach (string library in Libraries(Dash))
            {
                CopyInto(root, library, library);
            }

            string archive = root + ".tar";
            await TarFile.CreateFromDirectoryAsync(root, archive, includeBaseDirectory: false);
            try
            {
                await ContainerImages.ImportImageAsync(archive, image, Endpoint);
            }
            finally
            {
                File.Delete(archive);
            }

            return null;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Copies a host file (following links) to an absolute path in the image's root, keeping it executable.</summary>
    private static void CopyInto(string root, string source, string target)
    {
        string destination = Path.Combine(root, target.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        File.Copy(source, destination, overwrite: true);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(destination, (UnixFileMode)0b111_101_101);
        }
    }

    /// <summary>The shared libraries and loader that <c>ldd</c> names for a binary.</summary>
    private static List<string> Libraries(string binary)
    {
        var start = new ProcessStartInfo("ldd", [binary]) { RedirectStandardOutput = true };
        using Process ldd = Process.Start(start)!;
        string output = ldd.StandardOutput.ReadToEnd();
        ldd.WaitForExit();
        var libraries = new List<string>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
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

    private static string[] Applets()
    {
        var start = new ProcessStartInfo(BusyBox, "--list") { RedirectStandardOutput = true };
        using Process busybox = Process.Start(start)!;
        string output = busybox.StandardOutput.ReadToEnd();
        busybox.WaitForExit();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
