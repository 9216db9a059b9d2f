namespace ParallelAgents.Sdk.Tests.Planning;

/// <summary>Task files that must parse, and how each field of the original format lands on <see cref="AgentTask"/>.</summary>
public class TaskPlanParseTests
{
    // The example of the design page, with the task it depends on added so that the plan is complete.
    private const string DesignPageExample = """
        tasks:
          - id: backend-api
            agent_count: 1
            isolation: worktree        # or container
            dependencies: [database-schema]
            priority: high             # high, medium, low
            estimated_hours: 4
            instructions: |
              Implement the REST API ...
            success_criteria:
              - All endpoints return JSON
            checks:                    # optional, runnable criteria
              - node --test
          - id: database-schema
            instructions: Design the schema.
        """;

    // The template of config/tasks.yaml in the original example's README (/work/shared/seed), verbatim.
    private const string OriginalTemplate = """
        tasks:
          - id: your-task-id
            agent_count: 1
            isolation: container  # or 'worktree'
            dependencies: []      # List task IDs that must complete first
            priority: high        # high, medium, low
            estimated_hours: 4
            instructions: |
              Detailed instructions for the AI agent...
            success_criteria:
              - Specific success criteria
              - That can be validated
        """;

    // The README's TaskFlow example gives only the template above; this plan uses the task ids of its
    // agent_runner.py (frontend-components, backend-api, database-schema, test-suite) in the same format.
    private const string TaskFlowPlan = """
        tasks:
          - id: database-schema
            agent_count: 1
            isolation: container
            dependencies: []
            priority: high
            estimated_hours: 3
            instructions: |
              Design the PostgreSQL schema for users, teams, projects and tasks with Prisma.
              Include migrations and seed data.
            success_criteria:
              - Prisma schema validates
              - Migrations apply to an empty database

          - id: backend-api
            agent_count: 1
            isolation: container
            dependencies: [database-schema]
            priority: high
            estimated_hours: 6
            instructions: |
              Implement the REST API with Node.js/Express: CRUD for tasks and projects, JWT authentication.
            success_criteria:
              - All endpoints return JSON
              - Authentication is required on every route but /login

          - id: frontend-components
            agent_count: 2
            isolation: worktree
            dependencies: []
            priority: medium
            estimated_hours: 5
            instructions: |
              Create React components with TypeScript: TaskList (Kanban board), TaskDetail, TeamView.
            success_criteria:
              - Components render without errors
              - Props are typed

          - id: test-suite
            agent_count: 1
            isolation: container
            dependencies: [backend-api, frontend-components]
            priority: low
            estimated_hours: 4
            instructions: |
              Write unit and integration tests for the API and the components.
            success_criteria:
              - Coverage above 80%
        """;

    [Fact]
    public void Parse_DesignPageExample_ReadsEveryField()
    {
        TaskPlan plan = TaskPlan.Parse(DesignPageExample);

        Assert.Equal(["backend-api", "database-schema"], plan.Tasks.Select(t => t.Id));
        AgentTask api = plan["backend-api"];
        Assert.Equal(1, api.AgentCount);
        Assert.Equal(IsolationNames.Worktree, api.Isolation);
        Assert.Equal(["database-schema"], api.Dependencies);
        Assert.Equal(TaskPriority.High, api.Priority);
        Assert.Equal(4.0, api.EstimatedHours);
        Assert.Equal("Implement the REST API ...\n", api.Instructions);
        Assert.Equal(["All endpoints return JSON"], api.SuccessCriteria);
        Assert.Equal(["node --test"], api.Checks);
        Assert.Null(api.Timeout);
        Assert.Null(api.MaxAttempts);
        Assert.Equal(new SourceLocation(null, 2, 5), api.Location);
    }

    [Fact]
    public void Parse_DesignPageExample_OrdersDependencyFirst()
    {
        TaskPlan plan = TaskPlan.Parse(DesignPageExample);

        Assert.Equal(["database-schema", "backend-api"], plan.GetTopologicalOrder().Select(t => t.Id));
        Assert.Equal(["backend-api"], plan.GetDependents("database-schema").Select(t => t.Id));
    }

    [Fact]
    public void Parse_DesignPageExampleAlone_ReportsMissingDependencyAtItsPosition()
    {
        string yaml = DesignPageExample[..DesignPageExample.IndexOf("  - id: database-schema", StringComparison.Ordinal)];

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 5, 20, "backend-api",
            "task 'backend-api' depends on 'database-schema', which is not a task in this plan", "add that task or remove the dependency");
    }

    [Fact]
    public void Parse_OriginalTemplate_ReadsEveryField()
    {
        TaskPlan plan = TaskPlan.Parse(OriginalTemplate);

        AgentTask task = Assert.Single(plan.Tasks);
        Assert.Equal("your-task-id", task.Id);
        Assert.Equal(1, task.AgentCount);
        Assert.Equal(IsolationNames.Container, task.Isolation);
        Assert.Empty(task.Dependencies);
        Assert.Equal(TaskPriority.High, task.Priority);
        Assert.Equal(4.0, task.EstimatedHours);
        Assert.Equal("Detailed instructions for the AI agent...\n", task.Instructions);
        Assert.Equal(["Specific success criteria", "That can be validated"], task.SuccessCriteria);
        Assert.Empty(task.Checks);
    }

    [Fact]
    public void Parse_TaskFlowPlan_BuildsTheDependencyGraph()
    {
        TaskPlan plan = TaskPlan.Parse(TaskFlowPlan);

        Assert.Equal(["database-schema", "backend-api", "frontend-components", "test-suite"], plan.Tasks.Select(t => t.Id));
        Assert.Equal(["database-schema", "backend-api", "frontend-components", "test-suite"], plan.GetTopologicalOrder().Select(t => t.Id));
        Assert.Equal(["test-suite"], plan.GetDependents("frontend-components").Select(t => t.Id));
        Assert.Equal(2, plan["frontend-components"].AgentCount);
        Assert.Equal(TaskPriority.Low, plan["test-suite"].Priority);
        Assert.Equal(["backend-api", "frontend-components"], plan["test-suite"].Dependencies);
        Assert.StartsWith("Design the PostgreSQL schema", plan["database-schema"].Instructions, StringComparison.Ordinal);
        Assert.EndsWith("Include migrations and seed data.\n", plan["database-schema"].Instructions, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EveryField_RoundTripsIntoTheTask()
    {
        const string yaml = """
            tasks:
              - id: full
                agent_count: 3
                isolation: sandbox-vm
                dependencies:
                  - base
                  - "other"
                priority: low
                estimated_hours: 2.5
                instructions: >
                  Folded
                  text.
                success_criteria: [compiles, 'tests pass']
                checks:
                  - dotnet build
                  - dotnet test --no-build
                timeout: 1h30m
                max_attempts: 5
              - id: base
                instructions: b
              - id: other
                instructions: o
            """;

        AgentTask task = TaskPlan.Parse(yaml)["full"];

        Assert.Equal("full", task.Id);
        Assert.Equal(3, task.AgentCount);
        Assert.Equal("sandbox-vm", task.Isolation);
        Assert.Equal(["base", "other"], task.Dependencies);
        Assert.Equal(TaskPriority.Low, task.Priority);
        Assert.Equal(2.5, task.EstimatedHours);
        Assert.Equal("Folded text.\n", task.Instructions);
        Assert.Equal(["compiles", "tests pass"], task.SuccessCriteria);
        Assert.Equal(["dotnet build", "dotnet test --no-build"], task.Checks);
        Assert.Equal(TimeSpan.FromMinutes(90), task.Timeout);
        Assert.Equal(5, task.MaxAttempts);
    }

    [Fact]
    public void Parse_OnlyRequiredFields_UsesDefaults()
    {
        AgentTask task = Assert.Single(TaskPlan.Parse("tasks:\n  - id: a\n    instructions: do it\n").Tasks);

        Assert.Equal(1, task.AgentCount);
        Assert.Null(task.Isolation);
        Assert.Empty(task.Dependencies);
        Assert.Equal(TaskPriority.Medium, task.Priority);
        Assert.Null(task.EstimatedHours);
        Assert.Empty(task.SuccessCriteria);
        Assert.Empty(task.Checks);
        Assert.Null(task.Timeout);
        Assert.Null(task.MaxAttempts);
    }

    [Fact]
    public void Parse_OptionalFieldsLeftEmpty_UsesDefaults()
    {
        const string yaml = """
            tasks:
              - id: a
                instructions: do it
                agent_count:
                isolation: ~
                dependencies:
                priority: null
                estimated_hours:
                success_criteria: ~
                checks: []
                timeout:
                max_attempts: ~
            """;

        AgentTask task = Assert.Single(TaskPlan.Parse(yaml).Tasks);

        Assert.Equal(1, task.AgentCount);
        Assert.Null(task.Isolation);
        Assert.Empty(task.Dependencies);
        Assert.Equal(TaskPriority.Medium, task.Priority);
        Assert.Null(task.EstimatedHours);
        Assert.Empty(task.SuccessCriteria);
        Assert.Empty(task.Checks);
        Assert.Null(task.Timeout);
        Assert.Null(task.MaxAttempts);
    }

    [Theory]
    [InlineData("high", TaskPriority.High)]
    [InlineData("medium", TaskPriority.Medium)]
    [InlineData("low", TaskPriority.Low)]
    [InlineData("High", TaskPriority.High)]
    [InlineData("LOW", TaskPriority.Low)]
    public void Parse_Priority_MapsToEnum(string text, TaskPriority expected)
    {
        AgentTask task = Assert.Single(TaskPlan.Parse($"tasks:\n  - id: a\n    instructions: x\n    priority: {text}\n").Tasks);

        Assert.Equal(expected, task.Priority);
    }

    [Theory]
    [InlineData("worktree", "worktree")]
    [InlineData("container", "container")]
    [InlineData("Container", "container")]
    [InlineData("WORKTREE", "worktree")]
    [InlineData("my-provider", "my-provider")]
    [InlineData("Firecracker.VM_2", "firecracker.vm_2")]
    public void Parse_Isolation_IsStoredInLowerCase(string text, string expected)
    {
        AgentTask task = Assert.Single(TaskPlan.Parse($"tasks:\n  - id: a\n    instructions: x\n    isolation: {text}\n").Tasks);

        Assert.Equal(expected, task.Isolation);
    }

    [Theory]
    [InlineData("90s", 0, 1, 30)]
    [InlineData("30m", 0, 30, 0)]
    [InlineData("1h30m", 1, 30, 0)]
    [InlineData("2h", 2, 0, 0)]
    [InlineData("01:30:00", 1, 30, 0)]
    [InlineData("00:00:45", 0, 0, 45)]
    [InlineData("\"1h 5m 10s\"", 1, 5, 10)]
    public void Parse_Timeout_ReadsDuration(string text, int hours, int minutes, int seconds)
    {
        AgentTask task = Assert.Single(TaskPlan.Parse($"tasks:\n  - id: a\n    instructions: x\n    timeout: {text}\n").Tasks);

        Assert.Equal(new TimeSpan(hours, minutes, seconds), task.Timeout);
    }

    [Theory]
    [InlineData("0", 0.0)]
    [InlineData("4", 4.0)]
    [InlineData("0.25", 0.25)]
    [InlineData("1e1", 10.0)]
    public void Parse_EstimatedHours_ReadsNumber(string text, double expected)
    {
        AgentTask task = Assert.Single(TaskPlan.Parse($"tasks:\n  - id: a\n    instructions: x\n    estimated_hours: {text}\n").Tasks);

        Assert.Equal(expected, task.EstimatedHours);
    }

    [Fact]
    public void Parse_QuotedScalars_AreText()
    {
        const string yaml = """
            tasks:
              - id: "123"
                instructions: 'Say "hi": then stop'
                agent_count: "2"
                dependencies: ["456"]
              - id: '456'
                instructions: "null"
            """;

        TaskPlan plan = TaskPlan.Parse(yaml);

        Assert.Equal("Say \"hi\": then stop", plan["123"].Instructions);
        Assert.Equal(2, plan["123"].AgentCount);
        Assert.Equal(["456"], plan["123"].Dependencies);
        Assert.Equal("null", plan["456"].Instructions);
    }

    [Fact]
    public void Parse_AnchorsAndAliases_AreResolved()
    {
        const string yaml = """
            tasks:
              - id: a
                instructions: &common Follow the style guide.
                checks: &checks [make lint, make test]
              - id: b
                instructions: *common
                checks: *checks
            """;

        TaskPlan plan = TaskPlan.Parse(yaml);

        Assert.Equal("Follow the style guide.", plan["b"].Instructions);
        Assert.Equal(["make lint", "make test"], plan["b"].Checks);
    }

    [Fact]
    public void Parse_FlowStyleTasks_Parse()
    {
        TaskPlan plan = TaskPlan.Parse("{tasks: [{id: a, instructions: x}, {id: b, instructions: y, dependencies: [a]}]}");

        Assert.Equal(["a", "b"], plan.Tasks.Select(t => t.Id));
        Assert.Equal(["a"], plan["b"].Dependencies);
    }

    [Fact]
    public void Parse_WindowsLineEndings_ParseAndKeepLineNumbers()
    {
        const string yaml = "tasks:\r\n  - id: a\r\n    instructions: x\r\n  - id: b\r\n    instructions: y\r\n    priority: urgent\r\n";

        TaskPlanProblem problem = PlanAssert.SingleProblem(yaml);

        PlanAssert.Problem(problem, 6, 15, "b", "invalid priority 'urgent'");
    }

    [Fact]
    public void Parse_DocumentMarkersAndComments_Parse()
    {
        const string yaml = """
            # Tasks for the agents
            ---
            tasks:   # the list
              # first task
              - id: a   # trailing comment
                instructions: x
            ...
            """;

        Assert.Equal("a", Assert.Single(TaskPlan.Parse(yaml).Tasks).Id);
    }

    [Fact]
    public void Parse_WithSourcePath_KeepsPathOnPlanAndTasks()
    {
        TaskPlan plan = TaskPlan.Parse("tasks:\n  - id: a\n    instructions: x\n", "config/tasks.yaml");

        Assert.Equal("config/tasks.yaml", plan.SourcePath);
        Assert.Equal(new SourceLocation("config/tasks.yaml", 2, 5), plan["a"].Location);
    }

    [Fact]
    public void Parse_WithoutSourcePath_HasNoSourcePath()
    {
        TaskPlan plan = TaskPlan.Parse("tasks:\n  - id: a\n    instructions: x\n");

        Assert.Null(plan.SourcePath);
    }

    [Fact]
    public void Parse_NullText_ThrowsArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => TaskPlan.Parse(null!));
    }

    [Fact]
    public void Parse_DiamondDependencies_OrdersEachTaskAfterItsDependencies()
    {
        const string yaml = """
            tasks:
              - id: report
                instructions: x
                dependencies: [left, right]
              - id: right
                instructions: x
                dependencies: [root]
              - id: left
                instructions: x
                dependencies: [root]
              - id: root
                instructions: x
            """;

        TaskPlan plan = TaskPlan.Parse(yaml);

        Assert.Equal(["root", "right", "left", "report"], plan.GetTopologicalOrder().Select(t => t.Id));
        Assert.Equal(["right", "left"], plan.GetDependents("root").Select(t => t.Id));
        Assert.Empty(plan.GetDependents("report"));
    }
}
