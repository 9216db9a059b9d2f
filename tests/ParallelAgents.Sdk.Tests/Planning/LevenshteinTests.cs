namespace ParallelAgents.Sdk.Tests.Planning;

/// <summary>The edit distance behind "did you mean" in task file errors.</summary>
public class LevenshteinTests
{
    [Theory]
    [InlineData("", "", 0)]
    [InlineData("", "abc", 3)]
    [InlineData("abc", "", 3)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("dependancies", "dependencies", 1)]
    [InlineData("contianer", "container", 2)]
    [InlineData("ID", "id", 0)]
    [InlineData("flaw", "lawn", 2)]
    public void Distance_TwoWords_CountsEditsIgnoringCase(string a, string b, int expected)
    {
        Assert.Equal(expected, Levenshtein.Distance(a, b));
        Assert.Equal(expected, Levenshtein.Distance(b, a));
    }

    [Theory]
    [InlineData("dependancies", "dependencies")]
    [InlineData("prority", "priority")]
    [InlineData("Id", "id")]
    [InlineData("INSTRUCTIONS", "instructions")]
    [InlineData("check", "checks")]
    [InlineData("timout", "timeout")]
    public void Nearest_LikelyTypo_SuggestsTheField(string value, string expected)
    {
        Assert.Equal(expected, Levenshtein.Nearest(value, TaskPlanParser.TaskFields));
    }

    [Theory]
    [InlineData("owner")]
    [InlineData("x")]
    [InlineData("ab")]
    [InlineData("description")]
    [InlineData("")]
    public void Nearest_UnrelatedWord_SuggestsNothing(string value)
    {
        Assert.Null(Levenshtein.Nearest(value, TaskPlanParser.TaskFields));
    }

    [Fact]
    public void Nearest_ExactCandidate_SuggestsNothing()
    {
        Assert.Null(Levenshtein.Nearest("checks", TaskPlanParser.TaskFields));
    }

    [Fact]
    public void Nearest_NoCandidates_SuggestsNothing()
    {
        Assert.Null(Levenshtein.Nearest("anything", []));
    }

    [Fact]
    public void Nearest_Tie_PrefersTheFirstCandidate()
    {
        Assert.Equal("cat", Levenshtein.Nearest("bat", ["cat", "hat"]));
    }

    [Theory]
    [InlineData("hgih", "high")]
    [InlineData("lwo", "low")]
    [InlineData("meduim", "medium")]
    public void Nearest_ShortWordWithSwappedLetters_SuggestsIt(string value, string expected)
    {
        Assert.Equal(expected, Levenshtein.Nearest(value, ["high", "medium", "low"]));
    }
}
