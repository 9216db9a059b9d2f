using Microsoft.Extensions.AI;

namespace ParallelAgents.Sdk.Tests.Agents;

public sealed class ChatClientAgentToolTests
{
    [Fact]
    public async Task WriteFile_NewFile_CreatesItInTheWorkspace()
    {
        await using var h = AgentHarness.Create();
        h.Client.Call("write_file", new { path = "src/app.js", content = "console.log(1);\n" }).Text("done");

        AgentOutcome outcome = await h.RunAsync();

        Assert.True(outcome.Succeeded, outcome.ToString());
        Assert.Equal("console.log(1);\n", h.Workspace.ReadFile("src/app.js"));
        Assert.StartsWith("Created src/app.js", h.Client.ToolResult(1));
    }

    [Fact]
    public async Task ReadFile_LineRange_ReturnsOnlyThoseLines()
    {
        await using var h = AgentHarness.Create();
        h.Workspace.WriteFile("notes.txt", "one\ntwo\nthree\nfour\n");
        h.Client.Call("read_file", new { path = "notes.txt", start_line = 2, end_line = 3 }).Call("read_file", new { path = "notes.txt" }).Text("done");

        await h.RunAsync();

        Assert.Equal("[notes.txt: lines 2-3 of 4]\ntwo\nthree", h.Client.ToolResult(1));
        Assert.Equal("one\ntwo\nthree\nfour\n", h.Client.ToolResult(2));
    }

    [Fact]
    public async Task ReadFile_StartPastTheEnd_ErrorNamesTheLineCount()
    {
        await using var h = AgentHarness.Create();
        h.Workspace.WriteFile("notes.txt", "one\ntwo\n");
        h.Client.Call("read_file", new { path = "notes.txt", start_line = 9 }).Text("done");

        await h.RunAsync();

        Assert.Equal("Error: notes.txt has 2 lines; start_line 9 is past its end.", h.Client.ToolResult(1));
    }

    [Fact]
    public async Task ReadFile_MissingFile_ErrorGoesBackToTheModel()
    {
        await using var h = AgentHarness.Create();
        h.Client.Call("read_file", new { path = "nope.txt" }).Text("done");

        AgentOutcome outcome = await h.RunAsync();

        Assert.True(outcome.Succeeded);
        Assert.StartsWith("Error:", h.Client.ToolResult(1));
        Assert.Contains("nope.txt", h.Client.ToolResult(1));
    }

    [Fact]
    public async Task ReadFile_HugeFile_ResultCappedWithANote()
    {
        await using var h = AgentHarness.Create();
        h.Options.MaxToolResultChars = 1_000;
        h.Workspace.WriteFile("big.txt", "HEAD" + new string('x', 50_000) + "TAIL");
        h.Client.Call("read_file", new { path = "big.txt" }).Text("done");

        await h.RunAsync();

        string result = h.Client.ToolResult(1);
        Assert.True(result.Length < 1_200, $"{result.Length} characters");
        Assert.StartsWith("HEAD", result);
        Assert.EndsWith("TAIL", result);
        Assert.Contains("characters cut", result);
    }

    [Fact]
    public async Task EditFile_UniqueText_ReplacesIt()
    {
        await using var h = AgentHarness.Create();
        h.Workspace.WriteFile("app.js", "const a = 1;\nconst b = 2;\n");
        h.Client.Call("edit_file", new { path = "app.js", old_text = "const b = 2;", new_text = "const b = 3;" }).Text("done");

        await h.RunAsync();

        Assert.Equal("const a = 1;\nconst b = 3;\n", h.Workspace.ReadFile("app.js"));
        Assert.Equal("Edited app.js at line 2.", h.Client.ToolResult(1));
    }

    [Fact]
    public async Task EditFile_TextMissing_ErrorAndFileUnchanged()
    {
        await using var h = AgentHarness.Create();
        h.Workspace.WriteFile("app.js", "const a = 1;\n");
        h.Client.Call("edit_file", new { path = "app.js", old_text = "const z = 9;", new_text = "x" }).Text("done");

        await h.RunAsync();

        Assert.StartsWith("Error: old_text was not found in app.js", h.Client.ToolResult(1));
        Assert.Equal("const a = 1;\n", h.Workspace.ReadFile("app.js"));
    }

    [Fact]
    public async Task EditFile_TextNotUnique_ErrorSaysHowManyAndWhere()
    {
        await using var h = AgentHarness.Create();
        h.Workspace.WriteFile("app.js", "x();\ny();\nx();\nx();\n");
        h.Client.Call("edit_file", new { path = "app.js", old_text = "x();", new_text = "z();" }).Text("done");

        await h.RunAsync();

        Assert.StartsWith("Error: old_text occurs 3 times in app.js (at lines 1, 3, 4)", h.Client.ToolResult(1));
        Assert.Equal("x();\ny();\nx();\nx();\n", h.Workspace.ReadFile("app.js"));
    }

    [Fact]
    public async Task DeleteFile_ExistingAndMissing_DeletesOrSaysNone()
    {
        await using var h = AgentHarness.Create();
        h.Workspace.WriteFile("old.txt", "x");
        h.Client.Call("delete_file", new { path = "old.txt" }).Call("delete_file", new { path = "old.txt" }).Text("done");

        await h.RunAsync();

        Assert.False(File.Exists(Path.Combine(h.Workspace.RootPath, "old.txt")));
        Assert.Equal("Deleted old.txt.", h.Client.ToolResult(1));
        Assert.Equal("Error: there is no file at old.txt.", h.Client.ToolResult(2));
    }

    [Fact]
    public async Task ListFiles_Workspace_ListsFilesButNotGit()
    {
        await using var h = AgentHarness.Create(git: true);
        h.Workspace.WriteFile("src/a.js", "");
        h.Client.Call("list_files").Text("done");

        await h.RunAsync();

        Assert.Equal("README.md\nsrc/a.js\n", h.Client.ToolResult(1));
    }

    [Fact]
    public async Task Search_Regex_ReturnsPathLineAndText()
    {
        await using var h = AgentHarness.Create();
        h.Workspace.WriteFile("src/a.js", "function add(a, b) {}\nconst x = add(1, 2);\n");
        h.Workspace.WriteFile("src/b.js", "// nothing here\n");
        h.Client.Call("search", new { pattern = @"add\([a-z]" }).Text("done");

        await h.RunAsync();

        Assert.Equal("src/a.js:1: function add(a, b) {}\n", h.Client.ToolResult(1));
    }

    [Fact]
    public async Task Search_ManyMatches_CappedWithACount()
    {
        await using var h = AgentHarness.Create();
        h.Options.MaxSearchResults = 5;
        h.Workspace.WriteFile("many.txt", string.Concat(Enumerable.Repeat("hit\n", 12)));
        h.Client.Call("search", new { pattern = "hit" }).Text("done");

        await h.RunAsync();

        string result = h.Client.ToolResult(1);
        Assert.Equal(5, result.Split('\n').Count(l => l.StartsWith("many.txt:", StringComparison.Ordinal)));
        Assert.Contains("[7 more matches not shown", result);
    }

    [Fact]
    public async Task Search_InvalidRegex_ErrorGoesBackToTheModel()
    {
        await using var h = AgentHarness.Create();
        h.Client.Call("search", new { pattern = "(unclosed" }).Text("done");

        AgentOutcome outcome = await h.RunAsync();

        Assert.True(outcome.Succeeded);
        Assert.StartsWith("Error: the pattern is not a valid regular expression", h.Client.ToolResult(1));
    }

    [Fact]
    public async Task RunCommand_Echo_ReturnsExitCodeAndOutput()
    {
        await using var h = AgentHarness.Create();
        h.Client.Call("run_command", new { command = "echo hello; exit 3" }).Text("done");

        await h.RunAsync();

        Assert.Equal("[exit code 3]\nhello\n", h.Client.ToolResult(1));
    }

    [Fact]
    public async Task RunCommand_Denied_RefusedAndNotRun()
    {
        await using var h = AgentHarness.Create();
        h.Client.Call("run_command", new { command = "echo hi && git push origin main" }).Text("done");

        await h.RunAsync();

        Assert.Contains("'git push origin main' is denied", h.Client.ToolResult(1));
        Assert.Empty(h.Workspace.Commands);
    }

    [Fact]
    public async Task RunCommand_NotInTheAllowList_Refused()
    {
        await using var h = AgentHarness.Create();
        h.Options.AllowedCommands.Add("echo");
        h.Client.Call("run_command", new { command = "echo ok 2>&1" }).Call("run_command", new { command = "echo ok; rm -rf src" }).Text("done");

        await h.RunAsync();

        Assert.Equal("[exit code 0]\nok\n", h.Client.ToolResult(1));
        Assert.Contains("'rm -rf src' is not allowed; allowed commands start with: echo", h.Client.ToolResult(2));
        Assert.Single(h.Workspace.Commands);
    }

    [Fact]
    public async Task RunCommand_HugeOutput_HeadAndTailKept()
    {
        await using var h = AgentHarness.Create();
        h.Options.MaxCommandOutputChars = 1_000;
        h.Client.Call("run_command", new { command = "echo START; head -c 100000 /dev/zero | tr '\\0' x; echo; echo END" }).Text("done");

        await h.RunAsync();

        string result = h.Client.ToolResult(1);
        Assert.True(result.Length < 1_300, $"{result.Length} characters");
        Assert.Contains("START", result);
        Assert.Contains("END", result);
        Assert.Contains("characters cut", result);
    }

    [Fact]
    public async Task RunCommand_Timeout_ReportedToTheModel()
    {
        await using var h = AgentHarness.Create();
        h.Client.Call("run_command", new { command = "sleep 30", timeout_seconds = 1 }).Text("done");

        await h.RunAsync();

        Assert.StartsWith("[timed out after", h.Client.ToolResult(1));
    }

    [Fact]
    public async Task Arguments_MalformedJson_ErrorNamesTheParameters()
    {
        await using var h = AgentHarness.Create();
        h.Client.CallWithRawArguments("write_file", "{\"path\": \"a.txt\", \"content\": ").Text("done");

        AgentOutcome outcome = await h.RunAsync();

        Assert.True(outcome.Succeeded);
        string result = h.Client.ToolResult(1);
        Assert.StartsWith("Error: the arguments of write_file could not be read", result);
        Assert.Contains("path (string, required), content (string, required)", result);
        Assert.False(File.Exists(Path.Combine(h.Workspace.RootPath, "a.txt")));
    }

    [Fact]
    public async Task Arguments_Missing_ErrorNamesTheMissingParameter()
    {
        await using var h = AgentHarness.Create();
        h.Client.Call("write_file", new { path = "a.txt" }).Text("done");

        await h.RunAsync();

        string result = h.Client.ToolResult(1);
        Assert.StartsWith("Error: the arguments of write_file do not fit its parameters", result);
        Assert.Contains("content", result);
    }

    [Fact]
    public async Task Arguments_WrongType_ErrorGoesBackToTheModel()
    {
        await using var h = AgentHarness.Create();
        h.Workspace.WriteFile("a.txt", "x\n");
        h.Client.Call("read_file", new { path = "a.txt", start_line = "first" }).Call("read_file", new { path = new[] { "a.txt" } }).Text("done");

        AgentOutcome outcome = await h.RunAsync();

        Assert.True(outcome.Succeeded);
        Assert.StartsWith("Error: the arguments of read_file do not fit its parameters", h.Client.ToolResult(1));
        Assert.StartsWith("Error: the arguments of read_file do not fit its parameters", h.Client.ToolResult(2));
    }

    [Theory]
    [InlineData("read_file", "../outside.txt")]
    [InlineData("write_file", "/etc/passwd-agent")]
    [InlineData("write_file", ".git/config")]
    [InlineData("delete_file", "../../x")]
    [InlineData("list_files", "..")]
    public async Task Paths_OutsideTheWorkspace_RefusedWithTheReason(string tool, string path)
    {
        await using var h = AgentHarness.Create(git: true);
        object arguments = tool switch
        {
            "write_file" => new { path, content = "x" },
            "list_files" => new { directory = path },
            _ => new { path },
        };
        h.Client.Call(tool, arguments).Text("done");

        AgentOutcome outcome = await h.RunAsync();

        Assert.True(outcome.Succeeded);
        Assert.StartsWith("Error:", h.Client.ToolResult(1));
        Assert.Contains(path, h.Client.ToolResult(1));
        Assert.False(File.Exists("/etc/passwd-agent"));
    }

    [Fact]
    public async Task UnknownTool_ModelToldAndGoesOn()
    {
        await using var h = AgentHarness.Create();
        h.Client.Call("format_disk", new { drive = "c" }).Text("done");

        AgentOutcome outcome = await h.RunAsync();

        Assert.True(outcome.Succeeded);
        Assert.Contains("format_disk", h.Client.ToolResult(1));
    }

    [Fact]
    public async Task MemoryTools_SetGetListAndReports_WriteTheSharedMemory()
    {
        await using var h = AgentHarness.Create(taskId: "backend");
        h.Client
            .Call("memory_set", new { key = "decisions/auth", value = new { scheme = "jwt" } })
            .Call("memory_get", new { key = "decisions/auth" })
            .Call("report_discovery", new { name = "api-routes", discovery = new[] { "GET /tasks", "POST /tasks" } })
            .Call("report_conflict", new { name = "tasks-model", description = "both change models/task.js", files = new[] { "models/task.js" }, tasks = new[] { "database" } })
            .Call("memory_list", new { prefix = "discoveries/" })
            .Call("memory_get", new { key = "" })
            .Text("done");

        AgentOutcome outcome = await h.RunAsync();

        Assert.True(outcome.Succeeded);
        Assert.Equal("decisions/auth (version 1, by backend): {\"scheme\":\"jwt\"}", h.Client.ToolResult(2));
        Assert.Equal("discoveries/api-routes (version 2, by backend): [\"GET /tasks\",\"POST /tasks\"]\n", h.Client.ToolResult(5));
        Assert.StartsWith("Error: the arguments of memory_get do not fit its parameters", h.Client.ToolResult(6));
        ConflictReport? conflict = await h.Memory.GetValueAsync<ConflictReport>("conflicts/tasks-model", TestContext.Current.CancellationToken);
        Assert.NotNull(conflict);
        Assert.Equal(["backend", "database"], conflict.Tasks);
        Assert.Equal(["models/task.js"], conflict.Files);
    }

    [Fact]
    public async Task MemoryTools_NoSharedMemory_NotOffered()
    {
        await using var h = AgentHarness.Create();
        h.Client.Text("done");

        await h.RunAsync(memory: false);

        var names = h.Client.Requests[0].Options!.Tools!.Select(t => t.Name).ToList();
        Assert.Equal(["list_files", "read_file", "write_file", "edit_file", "delete_file", "search", "run_command", "finish"], names);
    }

    [Fact]
    public async Task Finish_Summary_BecomesTheOutcomeSummary()
    {
        await using var h = AgentHarness.Create();
        h.Client.Call("finish", new { summary = "  Added the API.  " });

        AgentOutcome outcome = await h.RunAsync();

        Assert.True(outcome.Succeeded);
        Assert.Equal("Added the API.", outcome.Summary);
        Assert.Equal(1, outcome.Usage!.Turns);
        Assert.Equal(1, outcome.Usage.ToolCalls);
        Assert.Equal(0, h.Client.Remaining);
    }

    [Fact]
    public async Task FinalText_NoToolCalls_MeansDone()
    {
        await using var h = AgentHarness.Create();
        h.Client.Text("\n  All done: wrote the schema.\n");

        AgentOutcome outcome = await h.RunAsync();

        Assert.Equal("All done: wrote the schema.", outcome.Summary);
    }

    [Fact]
    public async Task Agent_NoWorkspace_FailsClearly()
    {
        var agent = new ChatClientAgent(new TestSupport.FakeChatClient());

        AgentOutcome outcome = await agent.RunAsync(
            new AgentContext { RunId = "r", Task = new AgentTask { Id = "t", Instructions = "x" } }, TestContext.Current.CancellationToken);

        Assert.Equal(AgentOutcomeStatus.Failed, outcome.Status);
        Assert.Contains("no workspace", outcome.Error);
    }

    [Fact]
    public async Task Agent_ChatClient_NeverDisposed()
    {
        await using var h = AgentHarness.Create();
        h.Client.Text("done");

        await h.RunAsync();

        Assert.False(h.Client.Disposed);
        Assert.IsType<FunctionCallContent>(h.Client.Function("x", null));
    }
}
