using System.IO.Compression;
using System.Reflection.Metadata;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;

namespace ParallelAgents.Sdk.Packaging.Tests;

/// <summary>What every package carries: icon, README, licence, repository and commit, and symbols with Source Link.</summary>
[Collection(PackagesGroup.Name)]
public sealed class PackageMetadataTests(PackedPackages packages)
{
    // The Source Link custom debug information's kind (Portable PDB specification).
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    [Fact]
    public void Pack_EveryShippingProject_MakesAPackageAndASymbolPackage()
    {
        Assert.NotEmpty(packages.Projects);
        foreach (string project in packages.Projects)
        {
            string id = Path.GetFileNameWithoutExtension(project);
            Assert.True(File.Exists(packages.Package(id)), $"{id}.nupkg");
            Assert.True(File.Exists(packages.SymbolPackage(id)), $"{id}.snupkg");
        }
    }

    [Fact]
    public async Task Package_Metadata_HasIconReadmeLicenseAndTheCommitItWasBuiltFrom()
    {
        string head = (await ProcessRun.RequireSuccessAsync("git", ["rev-parse", "HEAD"], packages.RepositoryRoot, TimeSpan.FromMinutes(1))).Trim();
        foreach (string project in packages.Projects)
        {
            string id = Path.GetFileNameWithoutExtension(project);
            using ZipArchive zip = ZipFile.OpenRead(packages.Package(id));
            XDocument nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            XNamespace ns = nuspec.Root!.GetDefaultNamespace();
            XElement metadata = nuspec.Root.Element(ns + "metadata")!;

            Assert.Equal(id, metadata.Element(ns + "id")!.Value);
            Assert.Equal("MIT", metadata.Element(ns + "license")!.Value);
            Assert.Equal("expression", metadata.Element(ns + "license")!.Attribute("type")!.Value);
            Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")?.Value), $"{id} has a description");
            Assert.Equal("icon.png", metadata.Element(ns + "icon")!.Value);
            Assert.Equal("README.md", metadata.Element(ns + "readme")!.Value);
            XElement repository = metadata.Element(ns + "repository")!;
            Assert.Equal("https://github.com/parallelagents/ParallelAgents.Sdk", repository.Attribute("url")!.Value);
            Assert.Equal(head, repository.Attribute("commit")!.Value);

            using (Stream icon = zip.GetEntry("icon.png")!.Open())
            {
                (int width, int height) = PngSize(icon);
                Assert.True(width == height && width >= 128, $"{id}'s icon is {width}x{height}; a package icon is square, at least 128x128");
            }

            using var readme = new StreamReader(zip.GetEntry("README.md")!.Open());
            Assert.Contains("ParallelAgents.Sdk", await readme.ReadToEndAsync(TestContext.Current.CancellationToken));
        }
    }

    [Fact]
    public async Task SymbolPackage_Pdbs_MapSourcesToGitHubAtTheCommit()
    {
        string head = (await ProcessRun.RequireSuccessAsync("git", ["rev-parse", "HEAD"], packages.RepositoryRoot, TimeSpan.FromMinutes(1))).Trim();
        foreach (string project in packages.Projects)
        {
            string id = Path.GetFileNameWithoutExtension(project);
            using ZipArchive zip = ZipFile.OpenRead(packages.SymbolPackage(id));
            ZipArchiveEntry[] pdbs = [.. zip.Entries.Where(e => e.FullName.EndsWith(".pdb", StringComparison.Ordinal))];
            Assert.NotEmpty(pdbs);
            foreach (ZipArchiveEntry pdb in pdbs)
            {
                using var copy = new MemoryStream();
                using (Stream stream = pdb.Open())
                {
                    await stream.CopyToAsync(copy, TestContext.Current.CancellationToken);
                }

                copy.Position = 0;
                using MetadataReaderProvider provider = MetadataReaderProvider.FromPortablePdbStream(copy);
                MetadataReader reader = provider.GetMetadataReader();
                string? sourceLink = reader.CustomDebugInformation
                    .Select(reader.GetCustomDebugInformation)
                    .Where(c => reader.GetGuid(c.Kind) == SourceLinkKind)
                    .Select(c => Encoding.UTF8.GetString(reader.GetBlobBytes(c.Value)))
                    .SingleOrDefault();
                Assert.True(sourceLink is not null, $"{pdb.FullName} of {id} has no Source Link");
                using JsonDocument json = JsonDocument.Parse(sourceLink);
                string url = json.RootElement.GetProperty("documents").EnumerateObject().Single().Value.GetString()!;
                Assert.Equal($"https://raw.githubusercontent.com/parallelagents/ParallelAgents.Sdk/{head}/*", url);
            }
        }
    }

    private static (int Width, int Height) PngSize(Stream png)
    {
        // Signature (8 bytes), then the IHDR chunk: length (4), type (4), width (4), height (4), big-endian.
        Span<byte> header = stackalloc byte[24];
        png.ReadExactly(header);
        Assert.True(header[..8].SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), "icon.png is a PNG");
        return (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header[16..20]), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header[20..24]));
    }
}
