namespace ParallelAgents.Sdk.Tests.Merging;

/// <summary>Reading a resolved file out of a model's answer, and telling conflict markers from content.</summary>
public sealed class ResolvedFileAnswerTests
{
    [Theory]
    [InlineData("Title\n=======\n\ntext\n")]
    [InlineData("a\n<<<<<<<not a marker\n>>>>>>>> eight\n")]
    public void FindMarker_ContentThatOnlyLooksLikeMarkers_IsNotFlagged(string content) =>
        Assert.Null(ResolvedFileAnswer.FindMarker(content, ["Title\n"]));

    [Theory]
    [InlineData("a\n<<<<<<< HEAD\nb\n=======\nc\n>>>>>>> agent/x\n", "<<<<<<< HEAD")]
    [InlineData("a\n>>>>>>> agent/x\n", ">>>>>>> agent/x")]
    [InlineData("a\r\n<<<<<<<\r\nb\r\n", "<<<<<<<")]
    public void FindMarker_LeftOverMarker_IsTheLineReturned(string content, string marker) =>
        Assert.Equal(marker, ResolvedFileAnswer.FindMarker(content, ["a\n"]));

    [Fact]
    public void FindMarker_MarkerLinesThatASideAlreadyHas_AreContent()
    {
        const string fixture = "expected:\n<<<<<<< ours\nx\n=======\ny\n>>>>>>> theirs\n";

        Assert.Null(ResolvedFileAnswer.FindMarker(fixture + "more\n", [fixture]));
        Assert.Equal("<<<<<<< main", ResolvedFileAnswer.FindMarker(fixture + "<<<<<<< main\n", [fixture]));
    }

    [Fact]
    public void TryRead_ResolvedBlockAmongOthers_TakesItWithTheFilesLineEndings()
    {
        string answer = "Reasoning:\n```text\nnot this\n```\n~~~~resolved\r\none\r\n```\r\ntwo\r\n~~~~\r\nDone.";

        Assert.True(ResolvedFileAnswer.TryRead(answer, "\r\n", finalNewline: true, out string content, out _));
        Assert.Equal("one\r\n```\r\ntwo\r\n", content);
        Assert.True(ResolvedFileAnswer.TryRead(answer, "\n", finalNewline: false, out content, out _));
        Assert.Equal("one\n```\ntwo", content);
    }

    [Fact]
    public void TryRead_BareJsonObject_TakesItsContentVerbatim()
    {
        Assert.True(ResolvedFileAnswer.TryRead("{\"resolved\": \"a\\nb\"}", "\n", finalNewline: true, out string content, out _));
        Assert.Equal("a\nb", content);
    }
}
