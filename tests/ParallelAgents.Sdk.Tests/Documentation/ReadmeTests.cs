using System.Text;
using System.Text.RegularExpressions;
using ParallelAgents.Sdk.Tests.TestSupport;

namespace ParallelAgents.Sdk.Tests.Documentation;

/// <summary>
/// Keeps README.md and docs/ telling the truth: the README's C# example is the QuickStart sample (which the build
/// compiles), the commands it gives are the ones CI and the sample use, its task files are what the parser says
/// they are, and its links lead somewhere.
/// </summary>
public sealed partial class ReadmeTests
{
    private const string RegionStart = "// <readme-example>";
    private const string RegionEnd = "// </readme-example>";

    private static readonly string RepositoryRoot = SourceTree.Root;

    [Fact]
    public void ReadmeExample_ComparedWithQuickStartRegion_IsIdentical()
    {
        List<CodeBlock> csharpBlocks = [.. ReadCodeBlocks("README.md").Where(b => b.Language == "csharp")];
        string program = File.ReadAllText(Path.Combine(RepositoryRoot, "samples", "QuickStart", "Program.cs"));

        CodeBlock example = Assert.Single(csharpBlocks);
        Assert.Equal(Normalize(ExtractRegion(program)), Normalize(example.Text));
    }

    [Fact]
    public void ReadmeSetUpCommands_OnFreshMachine_AreTheSampleAndTheCiTestCommand()
    {
        string[] commands = [.. ReadCodeBlocks("README.md")
            .Where(b => b.Language == "shell")
            .SelectMany(b => b.Text.Split('\n'))
            .Select(line => line.Trim())];

        // CI runs exactly the README's test command (.ci/run); changing one means changing the other.
        Assert.Contains("dotnet test", commands);
        Assert.Contains("dotnet test", File.ReadAllText(Path.Combine(RepositoryRoot, ".ci", "run")), StringComparison.Ordinal);
        Assert.Contains("dotnet run --project samples/TaskFlow", commands);
        Assert.True(File.Exists(Path.Combine(RepositoryRoot, "samples", "TaskFlow", "TaskFlow.csproj")));
    }

    [Fact]
    public void RelativeLinks_InReadmeAndDocs_PointToExistingFiles()
    {
        var broken = new List<string>();
        foreach (string document in DocumentationFiles())
        {
            string documentPath = Path.Combine(RepositoryRoot, document);
            foreach ((int line, string target) in ReadLinks(document))
            {
                string[] parts = target.Split('#', 2);
                string resolved = parts[0].Length == 0
                    ? documentPath
                    : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(documentPath)!, Uri.UnescapeDataString(parts[0])));
                if (!resolved.StartsWith(RepositoryRoot, StringComparison.Ordinal))
                {
                    broken.Add($"{document}({line}): '{target}' leaves the repository");
                }
                else if (!File.Exists(resolved) && !Directory.Exists(resolved))
                {
                    broken.Add($"{document}({line}): '{target}' points to {resolved}, which does not exist");
                }
                else if (parts.Length == 2 && resolved.EndsWith(".md", StringComparison.OrdinalIgnoreCase)
                    && !HeadingAnchors(resolved).Contains(parts[1]))
                {
                    broken.Add($"{document}({line}): '{target}': {Path.GetFileName(resolved)} has no heading whose anchor is '#{parts[1]}'");
                }
            }
        }

        Assert.True(broken.Count == 0, string.Join(Environment.NewLine, broken));
    }

    [Fact]
    public void YamlBlocks_InReadmeAndDocs_AreValidPlans()
    {
        var problems = new List<string>();
        foreach (CodeBlock block in DocumentationFiles().SelectMany(ReadCodeBlocks).Where(b => b.Info == "yaml"))
        {
            try
            {
                TaskPlan.Parse(block.Text, "config/tasks.yaml");
            }
            catch (TaskPlanException ex)
            {
                problems.Add($"{block.Document}({block.Line}): the plan is invalid:{Environment.NewLine}{ex.Message}");
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void InvalidYamlBlocks_InReadmeAndDocs_FailWithTheMessageShownAfterThem()
    {
        // A block fenced as ```yaml invalid is a bad task file; the ```text block after it shows the message it gets.
        int checkedBlocks = 0;
        foreach (string document in DocumentationFiles())
        {
            List<CodeBlock> blocks = ReadCodeBlocks(document);
            for (int i = 0; i < blocks.Count; i++)
            {
                if (blocks[i].Info != "yaml invalid")
                {
                    continue;
                }

                Assert.True(i + 1 < blocks.Count && blocks[i + 1].Language == "text",
                    $"{document}({blocks[i].Line}): an invalid plan must be followed by a ```text block with its message.");
                CodeBlock shown = blocks[i + 1];
                TaskPlanException exception = Assert.Throws<TaskPlanException>(() => TaskPlan.Parse(blocks[i].Text, "config/tasks.yaml"));
                Assert.Equal(Normalize(shown.Text), Normalize(exception.Message));
                checkedBlocks++;
            }
        }

        Assert.True(checkedBlocks > 0, "No ```yaml invalid block was found; the README and troubleshooting.md each show one.");
    }

    /// <summary>README.md and every page of docs/, relative to the repository root with '/' separators.</summary>
    private static IEnumerable<string> DocumentationFiles()
    {
        yield return "README.md";
        string docs = Path.Combine(RepositoryRoot, "docs");
        Assert.True(Directory.Exists(docs), $"{docs} does not exist.");
        foreach (string page in Directory.EnumerateFiles(docs, "*.md").Order(StringComparer.Ordinal))
        {
            yield return Path.GetRelativePath(RepositoryRoot, page).Replace('\\', '/');
        }
    }

    /// <summary>The region of Program.cs between the readme-example markers, without the marker lines.</summary>
    private static string ExtractRegion(string source)
    {
        string[] lines = source.ReplaceLineEndings("\n").Split('\n');
        int start = Array.FindIndex(lines, l => l.Trim() == RegionStart);
        int end = Array.FindIndex(lines, l => l.Trim() == RegionEnd);
        Assert.True(start >= 0 && end > start, $"Program.cs must hold one region between '{RegionStart}' and '{RegionEnd}'.");
        return string.Join('\n', lines[(start + 1)..end]);
    }

    /// <summary>Normalizes only line endings, trailing whitespace and the indentation common to every line.</summary>
    private static string Normalize(string text)
    {
        string[] lines = [.. text.ReplaceLineEndings("\n").Split('\n').Select(l => l.TrimEnd())];
        int indent = lines.Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l)).Trim('\n');
    }

    private static List<CodeBlock> ReadCodeBlocks(string document)
    {
        string[] lines = File.ReadAllText(Path.Combine(RepositoryRoot, document)).ReplaceLineEndings("\n").Split('\n');
        var blocks = new List<CodeBlock>();
        for (int i = 0; i < lines.Length; i++)
        {
            Match open = FenceOpen().Match(lines[i]);
            if (!open.Success)
            {
                continue;
            }

            string fence = open.Groups["fence"].Value;
            var text = new StringBuilder();
            int start = i + 1;
            for (i++; i < lines.Length && lines[i].Trim() != fence; i++)
            {
                text.Append(lines[i]).Append('\n');
            }

            blocks.Add(new CodeBlock(document, start, open.Groups["info"].Value.Trim(), text.ToString()));
        }

        return blocks;
    }

    /// <summary>The anchors GitHub gives the headings of a Markdown file: lower case, punctuation dropped, spaces
    /// as hyphens, and -1, -2... after repeats.</summary>
    private static HashSet<string> HeadingAnchors(string path)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        string? fence = null;
        foreach (string line in File.ReadAllText(path).ReplaceLineEndings("\n").Split('\n'))
        {
            if (FenceOpen().Match(line) is { Success: true } open)
            {
                fence = fence is null ? open.Groups["fence"].Value : line.Trim() == fence ? null : fence;
                continue;
            }

            Match heading = Heading().Match(line);
            if (fence is not null || !heading.Success)
            {
                continue;
            }

            string slug = new([.. heading.Groups["text"].Value.Trim().ToLowerInvariant()
                .Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_')
                .Select(c => c == ' ' ? '-' : c)]);
            string anchor = slug;
            for (int n = 1; !anchors.Add(anchor); n++)
            {
                anchor = $"{slug}-{n}";
            }
        }

        return anchors;
    }

    /// <summary>The targets of the relative Markdown links and images outside code, with their line numbers.</summary>
    private static IEnumerable<(int Line, string Target)> ReadLinks(string document)
    {
        string[] lines = File.ReadAllText(Path.Combine(RepositoryRoot, document)).ReplaceLineEndings("\n").Split('\n');
        string? fence = null;
        for (int i = 0; i < lines.Length; i++)
        {
            if (fence is null && FenceOpen().Match(lines[i]) is { Success: true } open)
            {
                fence = open.Groups["fence"].Value;
                continue;
            }

            if (fence is not null)
            {
                fence = lines[i].Trim() == fence ? null : fence;
                continue;
            }

            string prose = InlineCode().Replace(lines[i], string.Empty);
            foreach (Match link in MarkdownLink().Matches(prose))
            {
                string target = link.Groups["target"].Value;
                if (!AbsoluteTarget().IsMatch(target))
                {
                    yield return (i + 1, target);
                }
            }
        }
    }

    [GeneratedRegex(@"^ {0,3}(?<fence>`{3,})(?<info>[^`]*)$")]
    private static partial Regex FenceOpen();

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.+?)\s*#*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"`[^`]*`")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"!?\[[^\]]*\]\((?<target>[^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"^([a-zA-Z][a-zA-Z0-9+.-]*:|#)")]
    private static partial Regex AbsoluteTarget();

    private sealed record CodeBlock(string Document, int Line, string Info, string Text)
    {
        /// <summary>The first word of the fence's info string, which is what GitHub highlights by.</summary>
        public string Language => Info.Split(' ', 2)[0];
    }
}
