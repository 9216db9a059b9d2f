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

    private static readonly Lazy<Task<string?>> Ready = new(PrepareAsync);

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

    private static string[] Applets()
    {
        var start = new ProcessStartInfo(BusyBox, "--list") { RedirectStandardOutput = true };
        using Process busybox = Process.Start(start)!;
        string output = busybox.StandardOutput.ReadToEnd();
        busybox.WaitForExit();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
