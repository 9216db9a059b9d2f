namespace ParallelAgents.Sdk.Tests.Isolation;

public class OutputCaptureTests
{
    [Fact]
    public void Complete_UnderCap_KeepsEverythingInOrder()
    {
        var capture = new OutputCapture(10);
        capture.Append("abc");
        capture.Append("defg");

        Assert.Equal(("abcdefg", 0L), capture.Complete());
    }

    [Fact]
    public void Complete_ExactlyCap_CutsNothing()
    {
        var capture = new OutputCapture(6);
        capture.Append("abc");
        capture.Append("def");

        Assert.Equal(("abcdef", 0L), capture.Complete());
    }

    [Fact]
    public void Complete_OverCapInSmallPieces_KeepsHeadAndTail()
    {
        var capture = new OutputCapture(6);
        foreach (char c in "abcdefghijklmnopqrstuvwxyz")
        {
            capture.Append([c]);
        }

        Assert.Equal(("abc\n[... 20 characters cut ...]\nxyz", 20L), capture.Complete());
    }

    [Fact]
    public void Complete_OverCapInOnePiece_KeepsHeadAndTail()
    {
        var capture = new OutputCapture(7);
        capture.Append("0123456789");

        Assert.Equal(("012\n[... 3 characters cut ...]\n6789", 3L), capture.Complete());
    }

    [Fact]
    public void Complete_CutThroughSurrogatePair_DropsBothHalves()
    {
        // "😀" is one surrogate pair; the head's last character and the tail's first would be halves of one.
        var capture = new OutputCapture(4);
        capture.Append("a😀bcd😀e");

        Assert.Equal(("a\n[... 7 characters cut ...]\ne", 7L), capture.Complete());
    }

    [Fact]
    public void Append_AfterComplete_IsIgnored()
    {
        var capture = new OutputCapture(10);
        capture.Append("abc");
        capture.Complete();
        capture.Append("late");

        Assert.Equal(("abc", 0L), capture.Complete());
    }
}
