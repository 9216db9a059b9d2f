namespace ParallelAgents.Sdk.Tests.Planning;

/// <summary>Bad task files: each problem must carry its exact line and column, say what is wrong and what to do.</summary>
public class TaskPlanErrorTests
{
    [Fact]
    public void Parse_UnterminatedQuote_ReportsSyntaxErrorAtTheQuote()
    {
        const string yaml = """
            tasks:
              - id: a
                instructions: "never closed
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 3, 19, null, "YAML syntax error", "quoted scalar", "Fix the YAML at this position");
        Assert.DoesNotContain("..", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadIndentation_ReportsSyntaxErrorAtTheLine()
    {
        const string yaml = """
            tasks:
              - id: a
               instructions: x
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 3, 4, null, "YAML syntax error", "check indentation");
    }

    [Fact]
    public void Parse_UnclosedFlowList_ReportsSyntaxError()
    {
        const string yaml = """
            tasks:
              - id: a
                instructions: x
                dependencies: [b
              - id: b
                instructions: y
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 4, 19, null, "YAML syntax error: the '[' here is never closed");
    }

    [Fact]
    public void Parse_UnclosedFlowListAtEnd_ReportsSyntaxError()
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem("tasks:\n  - id: a\n    instructions: x\n    dependencies: [b\n");

        PlanAssert.Problem(problem, 5, 1, null, "YAML syntax error", "did not find expected ',' or ']'");
    }

    [Fact]
    public void Parse_UnclosedFlowMapping_ReportsSyntaxError()
    {
        TaskPlanException exception = PlanAssert.ParseFails("tasks:\n  - {id: a, instructions: x\n  - id: b\n    instructions: y\n");

        TaskPlanProblem problem = Assert.Single(exception.Problems);
        PlanAssert.Problem(problem, 2, 3, null, "YAML syntax error", "unclosed '[' or '{'");
    }

    [Fact]
    public void Parse_ColonInPlainValue_ReportsSyntaxErrorAtTheColon()
    {
        const string yaml = """
            tasks:
              - id: a
                instructions: Step 1: build
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 3, 25, null, "YAML syntax error", "quotes");
    }

    [Fact]
    public void Parse_TabIndentation_ReportsTheTab()
    {
        const string yaml = "tasks:\n  - id: a\n\tinstructions: x\n";

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 3, 1, null, "YAML syntax error", "tab", "Indent with spaces");
    }

    [Fact]
    public void Parse_UndefinedAlias_ReportsSyntaxErrorAtTheAlias()
    {
        const string yaml = """
            tasks:
              - id: a
                instructions: *missing
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 3, 19, null, "YAML syntax error", "'*missing'", "'&missing'");
    }

    [Fact]
    public void Parse_MisspelledField_SuggestsTheNearestField()
    {
        const string yaml = """
            tasks:
              - id: backend-api
                instructions: x
                dependancies: [db]
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 4, 5, "backend-api",
            "unknown field 'dependancies' in task 'backend-api'", "did you mean 'dependencies'?");
    }

    [Theory]
    [InlineData("prority", "priority")]
    [InlineData("agents_count", "agent_count")]
    [InlineData("isolaton", "isolation")]
    [InlineData("estimate_hours", "estimated_hours")]
    [InlineData("instruction", "instructions")]
    [InlineData("succes_criteria", "success_criteria")]
    [InlineData("check", "checks")]
    [InlineData("time_out", "timeout")]
    [InlineData("max_attempt", "max_attempts")]
    [InlineData("Id", "id")]
    [InlineData("Priority", "priority")]
    public void Parse_MisspelledField_SuggestsItsCorrectSpelling(string misspelled, string expected)
    {
        string yaml = $"tasks:\n  - id: t\n    instructions: x\n    {misspelled}: 1\n";

        TaskPlanException exception = PlanAssert.ParseFails(yaml);

        TaskPlanProblem problem = exception.Problems.First(p => p.Message.StartsWith("unknown field", StringComparison.Ordinal));
        PlanAssert.Problem(problem, 4, 5, "t", $"unknown field '{misspelled}'", $"did you mean '{expected}'?");
    }

    [Fact]
    public void Parse_UnrelatedField_ListsTheKnownFields()
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem("tasks:\n  - id: t\n    instructions: x\n    owner: me\n");

        PlanAssert.Problem(problem, 4, 5, "t", "unknown field 'owner' in task 't'", "known fields are 'id', 'agent_count'", "'max_attempts'");
        Assert.DoesNotContain("did you mean", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("ab")]
    public void Parse_VeryShortUnknownField_DoesNotSuggestAnUnrelatedField(string field)
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem($"tasks:\n  - id: t\n    instructions: x\n    {field}: 1\n");

        PlanAssert.Problem(problem, 4, 5, "t", $"unknown field '{field}'", "known fields are");
        Assert.DoesNotContain("did you mean", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownFieldBeforeId_StillNamesTheTask()
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem("tasks:\n  - instuctions: x\n    id: t\n    instructions: y\n");

        PlanAssert.Problem(problem, 2, 5, "t", "unknown field 'instuctions' in task 't'", "did you mean 'instructions'?");
    }

    [Fact]
    public void Parse_UnknownTopLevelField_SuggestsTasks()
    {
        TaskPlanException exception = PlanAssert.ParseFails("version: 2\ntasks:\n  - id: a\n    instructions: x\n");

        TaskPlanProblem problem = Assert.Single(exception.Problems);
        PlanAssert.Problem(problem, 1, 1, null, "unknown field 'version' in the plan", "known fields are 'tasks'");
    }

    [Fact]
    public void Parse_MisspelledTasksKey_SuggestsTasksAndReportsNoTasks()
    {
        TaskPlanException exception = PlanAssert.ParseFails("task:\n  - id: a\n    instructions: x\n");

        Assert.Collection(
            exception.Problems,
            p => PlanAssert.Problem(p, 1, 1, null, "unknown field 'task' in the plan", "did you mean 'tasks'?"),
            p => PlanAssert.Problem(p, 1, 1, null, "the plan has no 'tasks:' list", "add one"));
    }

    [Fact]
    public void Parse_MissingId_ReportsAtTheTask()
    {
        const string yaml = """
            tasks:
              - id: first
                instructions: x
              - instructions: no id here
                priority: high
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 4, 5, null, "a task has no 'id'", "give every task a unique id");
    }

    [Theory]
    [InlineData("id:")]
    [InlineData("id: ~")]
    [InlineData("id: \"\"")]
    public void Parse_EmptyId_ReportsMissingIdAtTheField(string field)
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem($"tasks:\n  - instructions: x\n    {field}\n");

        Assert.NotNull(problem.Location);
        Assert.Equal(3, problem.Location.Line);
        Assert.Contains("a task has no 'id'", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_IdIsAList_ReportsOnceAtTheValue()
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem("tasks:\n  - id: [a, b]\n    instructions: x\n");

        PlanAssert.Problem(problem, 2, 9, null, "'id' must be text such as 'backend-api', not a list");
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("-leading-dash")]
    [InlineData("a/b")]
    [InlineData("ünïcode")]
    public void Parse_InvalidIdCharacters_ReportsAtTheId(string id)
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem($"tasks:\n  - id: \"{id}\"\n    instructions: x\n");

        PlanAssert.Problem(problem, 2, 9, id, $"invalid task id '{id}'", "letters, digits");
    }

    [Fact]
    public void Parse_IdTooLong_ReportsAtTheId()
    {
        string id = new('a', 101);

        TaskPlanProblem problem = PlanAssert.SingleProblem($"tasks:\n  - id: {id}\n    instructions: x\n");

        PlanAssert.Problem(problem, 2, 9, id, "at most 100");
    }

    [Fact]
    public void Parse_TaskWithoutIdHasUnknownDependency_ReportsBoth()
    {
        TaskPlanException exception = PlanAssert.ParseFails("tasks:\n  - instructions: x\n    dependencies: [ghost]\n");

        Assert.Collection(
            exception.Problems,
            p => PlanAssert.Problem(p, 2, 5, null, "a task has no 'id'"),
            p => PlanAssert.Problem(p, 3, 20, null, "a task depends on 'ghost', which is not a task in this plan"));
    }

    [Fact]
    public void Parse_MissingInstructions_ReportsAtTheTask()
    {
        const string yaml = """
            tasks:
              - id: a
                instructions: x
              - id: b
                priority: low
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 4, 5, "b", "task 'b' has no 'instructions'", "say what the agent should do");
    }

    [Theory]
    [InlineData("instructions:", 3, 5)]
    [InlineData("instructions: \"  \"", 3, 19)]
    [InlineData("instructions: |\n", 3, 19)]
    public void Parse_BlankInstructions_ReportsMissingInstructions(string field, int line, int column)
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem($"tasks:\n  - id: a\n    {field}\n");

        PlanAssert.Problem(problem, line, column, "a", "task 'a' has no 'instructions'");
    }

    [Fact]
    public void Parse_InstructionsIsAList_ReportsOnce()
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem("tasks:\n  - id: a\n    instructions:\n      - step one\n");

        PlanAssert.Problem(problem, 4, 7, "a", "'instructions' must be text, not a list");
    }

    [Fact]
    public void Parse_DuplicateId_ReportsTheSecondAndNamesTheFirst()
    {
        const string yaml = """
            tasks:
              - id: api
                instructions: x
              - id: db
                instructions: y
              - id: api
                instructions: z
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 6, 9, "api", "duplicate task id 'api'", "first defined at line 2", "give each task its own id");
    }

    [Fact]
    public void Parse_UnknownDependency_ReportsTheItem()
    {
        const string yaml = """
            tasks:
              - id: api
                instructions: x
                dependencies:
                  - schema
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 5, 9, "api",
            "task 'api' depends on 'schema', which is not a task in this plan", "add that task or remove the dependency");
    }

    [Fact]
    public void Parse_MisspelledDependency_SuggestsTheNearestTask()
    {
        const string yaml = """
            tasks:
              - id: database-schema
                instructions: x
              - id: api
                instructions: y
                dependencies: [frontend, databse-schema]
              - id: frontend
                instructions: z
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 6, 30, "api", "depends on 'databse-schema'", "did you mean 'database-schema'?");
    }

    [Fact]
    public void Parse_DependencyDiffersOnlyInCase_SuggestsTheTask()
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem("tasks:\n  - id: Api\n    instructions: x\n  - id: b\n    instructions: y\n    dependencies: [api]\n");

        PlanAssert.Problem(problem, 6, 20, "b", "depends on 'api'", "did you mean 'Api'?");
    }

    [Fact]
    public void Parse_SelfDependency_ReportsTheItem()
    {
        const string yaml = """
            tasks:
              - id: a
                instructions: x
                dependencies: [b, a]
              - id: b
                instructions: y
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 4, 23, "a", "task 'a' depends on itself", "remove 'a' from its dependencies");
    }

    [Fact]
    public void Parse_TwoTaskCycle_NamesTheCycle()
    {
        const string yaml = """
            tasks:
              - id: a
                instructions: x
                dependencies: [b]
              - id: b
                instructions: y
                dependencies: [a]
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 4, 20, "a", "dependency cycle: a -> b -> a", "remove one of these dependencies");
    }

    [Fact]
    public void Parse_ThreeTaskCycle_NamesTheCycleInDependencyOrder()
    {
        const string yaml = """
            tasks:
              - id: a
                instructions: x
                dependencies: [b]
              - id: b
                instructions: y
                dependencies: [c]
              - id: c
                instructions: z
                dependencies: [a]
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 4, 20, "a", "dependency cycle: a -> b -> c -> a");
    }

    [Fact]
    public void Parse_CycleBehindAnAcyclicPrefix_NamesOnlyTheCycle()
    {
        const string yaml = """
            tasks:
              - id: entry
                instructions: x
                dependencies: [a]
              - id: a
                instructions: x
                dependencies: [root, b]
              - id: b
                instructions: x
                dependencies: [a]
              - id: root
                instructions: x
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 7, 26, "a", "dependency cycle: a -> b -> a");
    }

    [Fact]
    public void Parse_TwoSeparateCycles_ReportsEach()
    {
        const string yaml = """
            tasks:
              - id: a
                instructions: x
                dependencies: [b]
              - id: b
                instructions: x
                dependencies: [a]
              - id: c
                instructions: x
                dependencies: [d]
              - id: d
                instructions: x
                dependencies: [c]
            """;

        TaskPlanException exception = PlanAssert.ParseFails(yaml);

        Assert.Collection(
            exception.Problems,
            p => PlanAssert.Problem(p, 4, 20, "a", "dependency cycle: a -> b -> a"),
            p => PlanAssert.Problem(p, 10, 20, "c", "dependency cycle: c -> d -> c"));
    }

    [Theory]
    [InlineData("urgent", "use high, medium or low")]
    [InlineData("hihg", "did you mean 'high'?")]
    [InlineData("1", "use high, medium or low")]
    public void Parse_InvalidPriority_ReportsAtTheValue(string value, string hint)
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem($"tasks:\n  - id: a\n    instructions: x\n    priority: {value}\n");

        PlanAssert.Problem(problem, 4, 15, "a", $"invalid priority '{value}'", hint);
    }

    [Fact]
    public void Parse_MisspelledIsolation_SuggestsContainer()
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem("tasks:\n  - id: a\n    instructions: x\n    isolation: contianer\n");

        PlanAssert.Problem(problem, 4, 16, "a", "invalid isolation 'contianer' in task 'a'", "did you mean 'container'?",
            "'worktree', 'container' or the name of a registered isolation provider");
    }

    [Fact]
    public void Parse_MisspelledIsolation_SuggestsWorktree()
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem("tasks:\n  - id: a\n    instructions: x\n    isolation: work-tree\n");

        PlanAssert.Problem(problem, 4, 16, "a", "invalid isolation 'work-tree'", "did you mean 'worktree'?");
    }

    [Theory]
    [InlineData("Bad Name!")]
    [InlineData("\"-dash\"")]
    [InlineData("\"\"")]
    public void Parse_IsolationNotAName_ReportsAtTheValue(string value)
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem($"tasks:\n  - id: a\n    instructions: x\n    isolation: {value}\n");

        PlanAssert.Problem(problem, 4, 16, "a", "invalid isolation", "use 'worktree', 'container' or the name of a registered isolation provider");
    }

    [Fact]
    public void Parse_IsolationIsAList_ReportsAtTheValue()
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem("tasks:\n  - id: a\n    instructions: x\n    isolation: [worktree]\n");

        PlanAssert.Problem(problem, 4, 16, "a", "'isolation' must be text, not a list");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    public void Parse_AgentCountBelowOne_ReportsAtTheValue(string value)
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem($"tasks:\n  - id: a\n    instructions: x\n    agent_count: {value}\n");

        PlanAssert.Problem(problem, 4, 18, "a", "agent_count of task 'a' must be at least 1", $"not {value}");
    }

    [Theory]
    [InlineData("two")]
    [InlineData("1.5")]
    [InlineData("99999999999")]
    public void Parse_AgentCountNotAWholeNumber_ReportsAtTheValue(string value)
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem($"tasks:\n  - id: a\n    instructions: x\n    agent_count: {value}\n");

        PlanAssert.Problem(problem, 4, 18, "a", "'agent_count' must be a whole number", $"not '{value}'");
    }

    [Theory]
    [InlineData("-1", "not -1")]
    [InlineData("-0.5", "not -0.5")]
    public void Parse_NegativeEstimatedHours_ReportsAtTheValue(string value, string fragment)
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem($"tasks:\n  - id: a\n    instructions: x\n    estimated_hours: {value}\n");

        PlanAssert.Problem(problem, 4, 22, "a", "estimated_hours of task 'a' must be zero or more", fragment);
    }

    [Theory]
    [InlineData("four")]
    [InlineData(".inf")]
    [InlineData("1,5")]
    public void Parse_EstimatedHoursNotANumber_ReportsAtTheValue(string value)
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem($"tasks:\n  - id: a\n    instructions: x\n    estimated_hours: {value}\n");

        PlanAssert.Problem(problem, 4, 22, "a", "'estimated_hours' must be a number such as 4 or 1.5");
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("30")]
    [InlineData("5 minutes")]
    [InlineData("1d")]
    public void Parse_InvalidTimeout_ReportsAtTheValue(string value)
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem($"tasks:\n  - id: a\n    instructions: x\n    timeout: {value}\n");

        PlanAssert.Problem(problem, 4, 14, "a", $"invalid timeout '{value}'", "90s, 30m, 1h30m or 01:30:00");
    }

    [Theory]
    [InlineData("0s")]
    [InlineData("00:00:00")]
    [InlineData("\"-00:05:00\"")]
    public void Parse_TimeoutNotPositive_ReportsAtTheValue(string value)
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem($"tasks:\n  - id: a\n    instructions: x\n    timeout: {value}\n");

        PlanAssert.Problem(problem, 4, 14, "a", "timeout of task 'a' must be positive");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    public void Parse_MaxAttemptsBelowOne_ReportsAtTheValue(string value)
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem($"tasks:\n  - id: a\n    instructions: x\n    max_attempts: {value}\n");

        PlanAssert.Problem(problem, 4, 19, "a", "max_attempts of task 'a' must be at least 1", $"not {value}");
    }

    [Theory]
    [InlineData("dependencies")]
    [InlineData("success_criteria")]
    [InlineData("checks")]
    public void Parse_ListFieldIsText_ReportsAtTheValue(string field)
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem($"tasks:\n  - id: a\n    instructions: x\n    {field}: npm test\n");

        PlanAssert.Problem(problem, 4, field.Length + 7, "a", $"'{field}' must be a list", "[a, b]", "not a value");
    }

    [Fact]
    public void Parse_ListItemIsAMapping_ReportsTheItem()
    {
        const string yaml = """
            tasks:
              - id: a
                instructions: x
                checks:
                  - run: npm test
            """;

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 5, 9, "a", "each item of 'checks' must be text, not a mapping");
    }

    [Fact]
    public void Parse_EmptyListItem_ReportsTheItem()
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem("tasks:\n  - id: a\n    instructions: x\n    success_criteria:\n      - works\n      -\n");

        PlanAssert.Problem(problem, 6, 8, "a", "an item of 'success_criteria' is empty");
    }

    [Fact]
    public void Parse_RepeatedField_ReportsTheRepeatAndOtherProblems()
    {
        const string yaml = """
            tasks:
              - id: a
                instructions: x
                priority: high
                priority: low
                agent_count: 0
            """;

        TaskPlanException exception = PlanAssert.ParseFails(yaml);

        Assert.Collection(
            exception.Problems,
            p => PlanAssert.Problem(p, 5, 5, "a", "field 'priority' appears twice in task 'a'", "keep one"),
            p => PlanAssert.Problem(p, 6, 18, "a", "agent_count of task 'a' must be at least 1"));
        Assert.Equal(TaskPriority.High, TaskPlan.Parse(yaml.Replace("    priority: low\n", "", StringComparison.Ordinal).Replace("agent_count: 0", "agent_count: 1", StringComparison.Ordinal))["a"].Priority);
    }

    [Fact]
    public void Parse_RepeatedTasksKey_ReportsTheRepeat()
    {
        TaskPlanException exception = PlanAssert.ParseFails("tasks:\n  - id: a\n    instructions: x\ntasks:\n  - id: b\n    instructions: y\n");

        TaskPlanProblem problem = Assert.Single(exception.Problems);
        PlanAssert.Problem(problem, 4, 1, null, "'tasks' appears twice", "one 'tasks:' list");
    }

    [Theory]
    [InlineData("tasks: []\n")]
    [InlineData("tasks:\n")]
    [InlineData("tasks: ~\n")]
    [InlineData("")]
    [InlineData("   \n\n")]
    [InlineData("# nothing yet\n")]
    [InlineData("---\n")]
    public void Parse_EmptyPlan_ReportsNoTasksOnce(string yaml)
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 1, 1, null, "the plan has no tasks", "add at least one task under 'tasks:'");
    }

    [Fact]
    public void Parse_NoTasksKey_ReportsNoTasksList()
    {
        TaskPlanException exception = PlanAssert.ParseFails("name: my plan\n");

        Assert.Collection(
            exception.Problems,
            p => PlanAssert.Problem(p, 1, 1, null, "unknown field 'name' in the plan"),
            p => PlanAssert.Problem(p, 1, 1, null, "the plan has no 'tasks:' list", "add one with at least one task"));
    }

    [Fact]
    public void Parse_TasksIsAMapping_ReportsAtTheValue()
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem("tasks:\n  id: a\n  instructions: x\n");

        PlanAssert.Problem(problem, 2, 3, null, "'tasks' must be a list of tasks", "'- id: ...'");
    }

    [Fact]
    public void Parse_TaskIsNotAMapping_ReportsTheEntry()
    {
        TaskPlanException exception = PlanAssert.ParseFails("tasks:\n  - id: a\n    instructions: x\n  - just-a-name\n");

        TaskPlanProblem problem = Assert.Single(exception.Problems);
        PlanAssert.Problem(problem, 4, 5, null, "each entry under 'tasks' must be a mapping");
    }

    [Fact]
    public void Parse_RootIsAList_ReportsTheRoot()
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem("- id: a\n  instructions: x\n");

        PlanAssert.Problem(problem, 1, 1, null, "the plan must be a mapping with a 'tasks:' list at the top level");
    }

    [Fact]
    public void Parse_SecondDocument_ReportsIt()
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem("tasks:\n  - id: a\n    instructions: x\n---\ntasks:\n  - id: b\n    instructions: y\n");

        PlanAssert.Problem(problem, 5, 1, null, "more than one YAML document", "one 'tasks:' list");
    }

    [Fact]
    public void Parse_FieldNameIsAList_ReportsTheKey()
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem("tasks:\n  - id: a\n    instructions: x\n    ? [k]\n    : v\n");

        PlanAssert.Problem(problem, 4, 7, "a", "field names in task 'a' must be plain text, not a list");
    }

    [Fact]
    public void Parse_ManyProblems_ReportsEveryOneSortedByLine()
    {
        const string yaml = """
            tasks:
              - id: api
                instructions: Build the API.
                dependencies: [schema, api]
                priority: urgent
                isolation: contianer
              - id: api
                agent_count: 0
                estimated_hours: -3
                dependancies: []
              - instructions: no id
                timeout: soon
                max_attempts: 0
            """;

        TaskPlanException exception = PlanAssert.ParseFails(yaml, "tasks.yaml");

        Assert.Collection(
            exception.Problems,
            p => PlanAssert.Problem(p, 4, 20, "api", "depends on 'schema'"),
            p => PlanAssert.Problem(p, 4, 28, "api", "depends on itself"),
            p => PlanAssert.Problem(p, 5, 15, "api", "invalid priority 'urgent'"),
            p => PlanAssert.Problem(p, 6, 16, "api", "invalid isolation 'contianer'"),
            p => PlanAssert.Problem(p, 7, 5, "api", "task 'api' has no 'instructions'"),
            p => PlanAssert.Problem(p, 7, 9, "api", "duplicate task id 'api'"),
            p => PlanAssert.Problem(p, 8, 18, "api", "agent_count"),
            p => PlanAssert.Problem(p, 9, 22, "api", "estimated_hours"),
            p => PlanAssert.Problem(p, 10, 5, "api", "did you mean 'dependencies'?"),
            p => PlanAssert.Problem(p, 11, 5, null, "a task has no 'id'"),
            p => PlanAssert.Problem(p, 12, 14, null, "invalid timeout 'soon'"),
            p => PlanAssert.Problem(p, 13, 19, null, "max_attempts of a task must be at least 1"));
        Assert.All(exception.Problems, p => Assert.Equal("tasks.yaml", p.Location?.Path));
    }

    [Fact]
    public void Parse_Problems_FormatAsPathLineColumnInTheMessage()
    {
        TaskPlanException exception = PlanAssert.ParseFails("tasks:\n  - id: a\n    instructions: x\n    priority: urgent\n    agent_count: 0\n", "config/tasks.yaml");

        Assert.Equal("config/tasks.yaml(4,15): invalid priority 'urgent'; use high, medium or low.", exception.Problems[0].ToString());
        Assert.StartsWith("The task plan has 2 problems:", exception.Message, StringComparison.Ordinal);
        Assert.Contains("\n  config/tasks.yaml(4,15): invalid priority", exception.Message, StringComparison.Ordinal);
        Assert.Contains("\n  config/tasks.yaml(5,18): agent_count of task 'a'", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ProblemWithoutPath_FormatsWithPlaceholder()
    {
        TaskPlanProblem problem = PlanAssert.SingleProblem("tasks: []\n");

        Assert.Equal("<yaml>(1,1): the plan has no tasks; add at least one task under 'tasks:'.", problem.ToString());
    }

    [Fact]
    public void Parse_DeeplyNestedValue_ReportsInsteadOfOverflowing()
    {
        string yaml = "tasks:\n  - id: a\n    instructions: x\n    checks: " + new string('[', 10_000) + new string(']', 10_000) + "\n";

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 4, 75, null, "YAML syntax error", "nested more than 64 levels deep");
    }
}
