using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace TaskFlow;

/// <summary>
/// The scripted model the offline cassettes were made with (<c>--make-cassettes</c>): not an AI, but a program that
/// plays each agent's part through the real tools, deciding each answer from the conversation so far. It reads before
/// it writes, writes and edits files, runs commands, reads and shares discoveries, and when its first test run fails
/// (a wrong expected status code, written on purpose) it reads the failure and fixes the test with edit_file; the
/// task's check (node --test) then passes.
/// </summary>
/// <remarks>
/// Its answers never depend on what varies with timing (which discoveries exist yet, which task merged first), only on
/// results that are the same in every run, so the cassettes it leaves replay the same way in any order. A result it
/// does not expect (a check that fails, an edit that does not apply) stops it with an exception: cassettes are made
/// from runs that went as written, or not at all.
/// </remarks>
internal sealed class ScriptedTaskFlowModel
{
    public const string ModelId = "scripted-taskflow-model";

    private const string ConfigRow = "| `config/tasks.yaml` | The plan the four agents follow | the TaskFlow sample |\n";
    private const string SchemaRow = "| `prisma/schema.prisma` | The data model: `User`, `Task` and the `Status` enum (TODO, IN_PROGRESS, DONE) | database-schema |\n";
    private const string ComponentsRow = "| `src/components/` | React components in TypeScript: `TaskList` (the Kanban board), `TaskDetail`, `TeamView` | frontend-components |\n";
    private const string WrongStatus = "assert.equal(created.status, 200);\n    assert.equal(created.body.status, 'TODO');";
    private const string RightStatus = "assert.equal(created.status, 201);\n    assert.equal(created.body.status, 'TODO');";

    private readonly Func<ConversationKey, CancellationToken, Task>? _beforeFinish;
    private int _callIds;

    /// <param name="beforeFinish">Awaited before a conversation's finish call: the cassette maker uses it to make one
    /// task wait until another has merged, so that the conflict falls on the task it wants re-run.</param>
    public ScriptedTaskFlowModel(Func<ConversationKey, CancellationToken, Task>? beforeFinish = null) => _beforeFinish = beforeFinish;

    public async Task<ChatResponse> RespondAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        var key = ConversationKey.From(messages);
        var turns = new Turns(messages);
        Answer answer = key switch
        {
            { TaskId: "database-schema", IsRerun: false } => DatabaseSchema(turns, rerun: false),
            { TaskId: "database-schema", IsRerun: true } => DatabaseSchema(turns, rerun: true),
            { TaskId: "frontend-components", IsRerun: false } => FrontendComponents(turns, rerun: false),
            { TaskId: "frontend-components", IsRerun: true } => FrontendComponents(turns, rerun: true),
            { TaskId: "backend-api", IsRerun: false } => BackendApi(turns),
            { TaskId: "test-suite", IsRerun: false } => TestSuite(turns),
            _ => throw new InvalidOperationException($"The scripted model has no part for the conversation {key}."),
        };

        if (answer.Calls.Any(c => c.Name == "finish") && _beforeFinish is not null)
        {
            await _beforeFinish(key, cancellationToken).ConfigureAwait(false);
        }

        return Respond(messages, answer);
    }

    private static Answer DatabaseSchema(Turns t, bool rerun)
    {
        if (!rerun && t.Next())
        {
            return new("Let me see what the repository holds first.", Call("list_files"));
        }

        if (t.Next())
        {
            return new(rerun ? "My earlier work conflicted in README.md; reading main's version first." : "Reading the README, where the schema gets a row.",
                Call("read_file", new { path = "README.md" }));
        }

        if (t.Next())
        {
            return new("Writing the Prisma schema: User owns Task, and Task.status is the Status enum.",
                Call("write_file", new { path = "prisma/schema.prisma", content = Scripted("database-schema/prisma/schema.prisma") }));
        }

        if (t.Next())
        {
            // On a re-run main already has the components' row; the schema's goes under it, keeping it.
            string anchor = rerun ? Expect(t, "README.md", ComponentsRow) : ConfigRow;
            return new(rerun ? "Adding the schema's row under the components' row that main now has." : null,
                Call("edit_file", new { path = "README.md", old_text = anchor, new_text = anchor + SchemaRow }));
        }

        if (!rerun && t.Next())
        {
            t.ExpectResult("Edited README.md");
            return new("Checking the models and the enum.",
                Call("run_command", new { command = "grep -n -E '^(model|enum) ' prisma/schema.prisma && grep -A4 '^enum Status' prisma/schema.prisma" }));
        }

        if (t.Next())
        {
            return new("Sharing the schema with the backend and test agents.", Call("report_discovery", new
            {
                name = "database-schema",
                discovery = new
                {
                    file = "prisma/schema.prisma",
                    tables = new[] { "User", "Task" },
                    User = new { id = "String @id (cuid)", email = "String @unique", name = "String?", tasks = "Task[]", createdAt = "DateTime", updatedAt = "DateTime" },
                    Task = new { id = "String @id (cuid)", title = "String", description = "String?", status = "Status @default(TODO)", userId = "String -> User.id (onDelete: Restrict)", createdAt = "DateTime", updatedAt = "DateTime" },
                    enums = new { Status = new[] { "TODO", "IN_PROGRESS", "DONE" } },
                },
            }));
        }

        return Finish(t, rerun
            ? "Redid the schema on the new main: prisma/schema.prisma (User, Task, enum Status TODO/IN_PROGRESS/DONE), and its README row under the components' row."
            : "Wrote prisma/schema.prisma: User (unique email) owns Task; Task.status is the enum Status (TODO, IN_PROGRESS, DONE), TODO by default; both have timestamps. Shared as discoveries/database-schema.");
    }

    private static Answer FrontendComponents(Turns t, bool rerun)
    {
        if (!rerun && t.Next())
        {
            return new("Checking what the other agents have shared so far.", Call("memory_list", new { prefix = "discoveries/" }));
        }

        if (t.Next())
        {
            return new(rerun ? "My earlier work conflicted in README.md; reading main's version first." : null,
                Call("read_file", new { path = "README.md" }));
        }

        if (t.Next())
        {
            return new("Writing the shared types (the schema's shapes as the API returns them) and the three components.",
                Write("src/components/types.ts", "frontend-components/src/components/types.ts"),
                Write("src/components/TaskList.tsx", "frontend-components/src/components/TaskList.tsx"),
                Write("src/components/TaskDetail.tsx", "frontend-components/src/components/TaskDetail.tsx"),
                Write("src/components/TeamView.tsx", "frontend-components/src/components/TeamView.tsx"));
        }

        if (t.Next())
        {
            string anchor = rerun ? Expect(t, "README.md", SchemaRow) : ConfigRow;
            return new(rerun ? "Main now has the schema's row; the components' row goes under it." : null,
                Call("edit_file", new { path = "README.md", old_text = anchor, new_text = anchor + ComponentsRow }));
        }

        if (!rerun && t.Next())
        {
            t.ExpectResult("Edited README.md");
            return new("Sharing the components and the routes they call.", Call("report_discovery", new
            {
                name = "frontend-components",
                discovery = new
                {
                    components = new
                    {
                        TaskList = "src/components/TaskList.tsx: the Kanban board, a column per Status; moves a card with PATCH /api/tasks/:id",
                        TaskDetail = "src/components/TaskDetail.tsx: one task, editable; GET/PATCH/DELETE /api/tasks/:id, GET /api/users/:id",
                        TeamView = "src/components/TeamView.tsx: users and their task counts; GET/POST /api/users, GET /api/tasks",
                    },
                    types = "src/components/types.ts (Status, User, Task, api())",
                },
            }));
        }

        return Finish(t, rerun
            ? "Redid the components on the new main (TaskList, TaskDetail, TeamView and types.ts under src/components/) and put their README row under the schema's."
            : "Wrote the React TypeScript components under src/components/: TaskList (Kanban board by status), TaskDetail (edit one task), TeamView (users and their task counts), with the shared types and an api() helper in types.ts.");
    }

    private static Answer BackendApi(Turns t)
    {
        if (t.Next())
        {
            return new("Reading the schema the database agent shared.", Call("memory_get", new { key = "discoveries/database-schema" }));
        }

        if (t.Next())
        {
            t.ExpectResult("tables");
            return new(null, Call("read_file", new { path = "prisma/schema.prisma" }), Call("read_file", new { path = "package.json" }));
        }

        if (t.Next())
        {
            return new("Writing an in-memory store shaped like the schema, the server on node:http, and an entry point for npm start.",
                Write("src/store.js", "backend-api/src/store.js"),
                Write("src/server.js", "backend-api/src/server.js"),
                Write("src/main.js", "backend-api/src/main.js"));
        }

        if (t.Next())
        {
            return new(null, Call("edit_file", new
            {
                path = "package.json",
                old_text = "\"test\": \"node --test\"",
                new_text = "\"start\": \"node src/main.js\",\n    \"test\": \"node --test\"",
            }));
        }

        if (t.Next())
        {
            return new("Smoke test: start the server on a free port and ask for /api/health.", Call("run_command", new
            {
                command = "node -e \"import('./src/server.js').then(async ({ createServer }) => { const server = createServer().listen(0); " +
                          "await new Promise((r) => server.once('listening', r)); const res = await fetch('http://127.0.0.1:' + server.address().port + '/api/health'); " +
                          "console.log(res.status, await res.text()); server.close(); })\"",
            }));
        }

        if (t.Next())
        {
            t.ExpectResult("200 {\"status\":\"ok\"}");
            return new("The server answers. Documenting how to start it and the routes in the README.", Call("edit_file", new
            {
                path = "README.md",
                old_text = "node --test     # the test suite\n```\n",
                new_text =
                    "node --test     # the test suite\nnpm start       # the API on http://localhost:3000/api (set PORT to change it)\n```\n\n" +
                    "## API\n\n" +
                    "JSON in and out; errors are `{\"error\": \"...\"}` with 400, 404, 405, 409 or 413.\n\n" +
                    "| Method | Path | Answers |\n| --- | --- | --- |\n" +
                    "| GET | `/api/health` | 200 |\n" +
                    "| GET, POST | `/api/users` | 200, 201 |\n" +
                    "| GET, PATCH, DELETE | `/api/users/:id` | 200, 204 |\n" +
                    "| GET (`?status=`, `?userId=`), POST | `/api/tasks` | 200, 201 |\n" +
                    "| GET, PATCH, DELETE | `/api/tasks/:id` | 200, 204 |\n",
            }));
        }

        if (t.Next())
        {
            t.ExpectResult("Edited README.md");
            return new("Sharing the routes with the test and frontend agents.", Call("report_discovery", new
            {
                name = "api-routes",
                discovery = new
                {
                    module = "src/server.js exports createServer(): an http.Server with its own in-memory store",
                    start = "npm start (PORT, default 3000)",
                    routes = new[]
                    {
                        "GET /api/health -> 200 {status: 'ok'}",
                        "GET /api/users -> 200 [User]",
                        "POST /api/users {email, name?} -> 201 User | 400 bad email | 409 email taken",
                        "GET /api/users/:id -> 200 User | 404",
                        "PATCH /api/users/:id {email?, name?} -> 200 User | 400 | 404 | 409",
                        "DELETE /api/users/:id -> 204 | 404 | 409 the user still owns tasks",
                        "GET /api/tasks?status=&userId= -> 200 [Task] | 400 unknown status",
                        "POST /api/tasks {title, userId, description?, status?} -> 201 Task (status TODO by default) | 400",
                        "GET /api/tasks/:id -> 200 Task | 404",
                        "PATCH /api/tasks/:id {title?, description?, status?, userId?} -> 200 Task | 400 | 404",
                        "DELETE /api/tasks/:id -> 204 | 404",
                    },
                    errors = "{error: string}; 404 unknown route, 405 wrong method (with Allow), 400 body not JSON, 413 body over 1 MiB",
                },
            }));
        }

        return Finish(t,
            "Implemented the REST API: src/server.js exports createServer() (node:http, no packages) over an in-memory store (src/store.js) shaped like the schema. " +
            "Routes under /api for users and tasks (GET/POST, GET/PATCH/DELETE by id, task filters by status and user); POST 201, DELETE 204, errors {error} with 400/404/405/409/413. " +
            "npm start runs it (src/main.js). Routes shared as discoveries/api-routes.");
    }

    private static Answer TestSuite(Turns t)
    {
        if (t.Next())
        {
            return new("Reading what the other agents shared.", Call("memory_list", new { prefix = "discoveries/" }));
        }

        if (t.Next())
        {
            return new(null, Call("memory_get", new { key = "discoveries/api-routes" }));
        }

        if (t.Next())
        {
            t.ExpectResult("POST /api/tasks");
            return new("Reading the server to see how it starts.", Call("read_file", new { path = "src/server.js" }));
        }

        if (t.Next())
        {
            // The first version expects 200 from POST /api/tasks: the mistake the test run below catches.
            string tasks = Scripted("test-suite/test/tasks.test.js");
            if (!tasks.Contains(RightStatus, StringComparison.Ordinal))
            {
                throw new InvalidOperationException("Scripted/test-suite/test/tasks.test.js no longer has the assertion the scripted model gets wrong first.");
            }

            return new("Writing one suite for users (and the errors every route shares) and one for tasks.",
                Write("test/users.test.js", "test-suite/test/users.test.js"),
                Call("write_file", new { path = "test/tasks.test.js", content = tasks.Replace(RightStatus, WrongStatus, StringComparison.Ordinal) }));
        }

        if (t.Next())
        {
            return new(null, Call("run_command", new { command = "node --test" }));
        }

        string firstRun = t.LastResult;
        if (!firstRun.StartsWith("[exit code 0]", StringComparison.Ordinal))
        {
            if (!firstRun.Contains("201 !== 200", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The scripted test agent's first run failed in a way it has no fix for:\n{firstRun}");
            }

            if (t.Next())
            {
                return new("One test fails: POST /api/tasks answers 201 Created, as the api-routes discovery says, and the test expected 200. The test is wrong, not the server; fixing it.",
                    Call("edit_file", new { path = "test/tasks.test.js", old_text = WrongStatus, new_text = RightStatus }));
            }

            if (t.Next())
            {
                t.ExpectResult("Edited test/tasks.test.js");
                return new("Fixed. Sharing the suites; the task's check runs node --test again when I finish.", ReportTests());
            }
        }
        else if (t.Next())
        {
            return new("All tests pass.", ReportTests());
        }

        return Finish(t,
            "Wrote node:test suites in test/users.test.js and test/tasks.test.js: each starts the API with createServer().listen(0) and covers every route, " +
            "success and errors (400, 404, 405, 409). Fixed one wrong expectation (POST /api/tasks answers 201, not 200).");
    }

    private static FunctionCallContent ReportTests() =>
        Call("report_discovery", new
        {
            name = "test-suite",
            discovery = new
            {
                files = new[] { "test/users.test.js", "test/tasks.test.js" },
                run = "node --test",
                covers = "every route of discoveries/api-routes, success and error status codes (400, 404, 405, 409)",
            },
        });

    private static Answer Finish(Turns t, string summary)
    {
        if (t.Next())
        {
            return new(null, Call("finish", new { summary }));
        }

        // Asked again after finish: a check failed, and the script has no fix for it.
        throw new InvalidOperationException($"The scripted model finished, but the checks failed:\n{t.LastUserText}");
    }

    private static string Expect(Turns t, string file, string text)
    {
        string? read = t.ResultOf("read_file", file);
        if (read is null || !read.Contains(text.TrimEnd('\n'), StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The scripted model expected {file} to hold '{text.TrimEnd()}' on this re-run, but it reads:\n{read}");
        }

        return text;
    }

    private static string Scripted(string name) => SampleResources.Read("Scripted/" + name).ReplaceLineEndings("\n");

    private static FunctionCallContent Write(string path, string scripted) =>
        Call("write_file", new { path, content = Scripted(scripted) });

    private static FunctionCallContent Call(string name, object? arguments = null)
    {
        Dictionary<string, object?>? args = arguments is null
            ? null
            : JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(arguments));
        return new FunctionCallContent("pending", name, args);
    }

    private ChatResponse Respond(IReadOnlyList<ChatMessage> messages, Answer answer)
    {
        var contents = new List<AIContent>();
        if (answer.Text is not null)
        {
            contents.Add(new TextContent(answer.Text));
        }

        foreach (FunctionCallContent call in answer.Calls)
        {
            string id = "call_" + Interlocked.Increment(ref _callIds).ToString(CultureInfo.InvariantCulture);
            contents.Add(new FunctionCallContent(id, call.Name, call.Arguments));
        }

        // No tokenizer runs here: usage is estimated at four characters a token, so that the run's token counts mean something.
        long input = messages.Sum(m => (long)Length(m)) / 4;
        long output = contents.Sum(c => (long)Length(c)) / 4;
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, contents))
        {
            ModelId = ModelId,
            FinishReason = ChatFinishReason.ToolCalls,
            Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output },
        };
    }

    private static int Length(ChatMessage message) => message.Contents.Sum(Length);

    private static int Length(AIContent content) => content switch
    {
        TextContent text => text.Text.Length,
        FunctionCallContent call => call.Name.Length + JsonSerializer.Serialize(call.Arguments).Length,
        FunctionResultContent result => result.Result?.ToString()?.Length ?? 0,
        _ => 0,
    };

    private sealed record Answer(string? Text, params FunctionCallContent[] Calls);

    /// <summary>The model's earlier turns in a conversation, walked in order: each <see cref="Next"/> steps over one
    /// turn already taken, and is true once the turns run out (the step to take now).</summary>
    private sealed class Turns
    {
        private readonly List<(List<FunctionCallContent> Calls, List<string> Results)> _turns = [];
        private int _position;

        public Turns(IReadOnlyList<ChatMessage> messages)
        {
            var results = messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>()
                .ToDictionary(r => r.CallId, r => r.Result?.ToString() ?? "");
            foreach (ChatMessage message in messages.Where(m => m.Role == ChatRole.Assistant))
            {
                var calls = message.Contents.OfType<FunctionCallContent>().ToList();
                if (calls.Count > 0)
                {
                    _turns.Add((calls, [.. calls.Select(c => results.GetValueOrDefault(c.CallId, ""))]));
                }
            }

            LastUserText = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        }

        /// <summary>The result of the last tool call of the turn stepped over last.</summary>
        public string LastResult => _position == 0 ? "" : _turns[_position - 1].Results[^1];

        public string LastUserText { get; }

        public bool Next()
        {
            if (_position < _turns.Count)
            {
                _position++;
                return false;
            }

            return true;
        }

        public string? ResultOf(string tool, string path)
        {
            for (int i = 0; i < _position; i++)
            {
                for (int j = 0; j < _turns[i].Calls.Count; j++)
                {
                    FunctionCallContent call = _turns[i].Calls[j];
                    if (call.Name == tool && call.Arguments?.TryGetValue("path", out object? p) == true && p?.ToString() == path)
                    {
                        return _turns[i].Results[j];
                    }
                }
            }

            return null;
        }

        public void ExpectResult(string text)
        {
            if (!LastResult.Contains(text, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The scripted model expected the last tool result to contain '{text}', but it was:\n{LastResult}");
            }
        }
    }
}
