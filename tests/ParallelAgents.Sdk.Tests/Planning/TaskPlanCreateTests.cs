using System.Globalization;

namespace ParallelAgents.Sdk.Tests.Planning;

/// <summary>Plans built in code: the same rules as task files, and the queries a plan answers.</summary>
public class TaskPlanCreateTests
{
    private static AgentTask Work(string id, params string[] dependencies) =>
        new() { Id = id, Instructions = $"do {id}", Dependencies = dependencies };

    private static TaskPlanException CreateFails(params AgentTask[] tasks) =>
        Assert.Throws<TaskPlanException>(() => TaskPlan.Create(tasks));

    [Fact]
    public void Create_ValidTasks_KeepsThemInOrder()
    {
        AgentTask a = Work("a");
        AgentTask b = Work("b", "a");

        TaskPlan plan = TaskPlan.Create([a, b]);

        Assert.Equal([a, b], plan.Tasks);
        Assert.Null(plan.SourcePath);
        Assert.Same(a, plan["a"]);
    }

    [Fact]
    public void Create_EveryField_IsKept()
    {
        var task = new AgentTask
        {
            Id = "full",
            Instructions = "do everything",
            AgentCount = 2,
            Isolation = IsolationNames.Container,
            Priority = TaskPriority.High,
            EstimatedHours = 1.5,
            SuccessCriteria = ["works"],
            Checks = ["make test"],
            Timeout = TimeSpan.FromMinutes(5),
            MaxAttempts = 3,
        };

        AgentTask kept = TaskPlan.Create([task])["full"];

        Assert.Equal(2, kept.AgentCount);
        Assert.Equal(IsolationNames.Container, kept.Isolation);
        Assert.Equal(TaskPriority.High, kept.Priority);
        Assert.Equal(1.5, kept.EstimatedHours);
        Assert.Equal(["works"], kept.SuccessCriteria);
        Assert.Equal(["make test"], kept.Checks);
        Assert.Equal(TimeSpan.FromMinutes(5), kept.Timeout);
        Assert.Equal(3, kept.MaxAttempts);
        Assert.Null(kept.Location);
        Assert.Equal("full", kept.ToString());
    }

    [Fact]
    public void Create_SameTasksAsYaml_GivesTheSamePlan()
    {
        TaskPlan fromYaml = TaskPlan.Parse("""
            tasks:
              - id: a
                instructions: do a
                priority: high
              - id: b
                instructions: do b
                dependencies: [a]
                estimated_hours: 2
            """);
        TaskPlan fromCode = TaskPlan.Create(
        [
            new AgentTask { Id = "a", Instructions = "do a", Priority = TaskPriority.High },
            new AgentTask { Id = "b", Instructions = "do b", Dependencies = ["a"], EstimatedHours = 2 },
        ]);

        Assert.Equal(fromYaml.Tasks.Select(Describe), fromCode.Tasks.Select(Describe));
        Assert.Equal(fromYaml.Graph.RemainingPath, fromCode.Graph.RemainingPath);

        static string Describe(AgentTask t) =>
            $"{t.Id}|{t.Instructions}|{t.AgentCount}|{t.Isolation}|{string.Join(',', t.Dependencies)}|{t.Priority}|{t.EstimatedHours}|{t.Timeout}|{t.MaxAttempts}";
    }

    [Fact]
    public void Create_IsolationInMixedCase_IsStoredInLowerCase()
    {
        TaskPlan plan = TaskPlan.Create([new AgentTask { Id = "a", Instructions = "x", Isolation = " Container " }]);

        Assert.Equal(IsolationNames.Container, plan["a"].Isolation);
    }

    [Fact]
    public void Create_Null_ThrowsArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => TaskPlan.Create(null!));
    }

    [Fact]
    public void Create_NoTasks_ReportsEmptyPlan()
    {
        TaskPlanException exception = CreateFails();

        TaskPlanProblem problem = Assert.Single(exception.Problems);
        PlanAssert.CodeProblem(problem, null, "the plan has no tasks", "add at least one task");
    }

    [Fact]
    public void Create_NullTask_ReportsItsIndex()
    {
        TaskPlanException exception = CreateFails(Work("a"), null!);

        PlanAssert.CodeProblem(Assert.Single(exception.Problems), null, "the task at index 1 is null", "remove it");
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void Create_MissingId_ReportsTheTaskIndex(string? id)
    {
        TaskPlanException exception = CreateFails(Work("a"), new AgentTask { Id = id!, Instructions = "x" });

        PlanAssert.CodeProblem(Assert.Single(exception.Problems), null, "the task at index 1 has no 'id'", "give every task a unique id");
    }

    [Fact]
    public void Create_MissingIdAndInstructions_NamesTheTaskByIndexInBoth()
    {
        TaskPlanException exception = CreateFails(new AgentTask { Id = "", Instructions = "" });

        Assert.Collection(
            exception.Problems,
            p => PlanAssert.CodeProblem(p, null, "the task at index 0 has no 'id'"),
            p => PlanAssert.CodeProblem(p, null, "the task at index 0 has no 'instructions'"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void Create_MissingInstructions_CarriesTheTaskId(string? instructions)
    {
        TaskPlanException exception = CreateFails(new AgentTask { Id = "a", Instructions = instructions! });

        PlanAssert.CodeProblem(Assert.Single(exception.Problems), "a", "task 'a' has no 'instructions'", "say what the agent should do");
    }

    [Fact]
    public void Create_InvalidId_CarriesTheId()
    {
        TaskPlanException exception = CreateFails(new AgentTask { Id = "a b", Instructions = "x" });

        PlanAssert.CodeProblem(Assert.Single(exception.Problems), "a b", "invalid task id 'a b'", "agent/<id>");
    }

    [Fact]
    public void Create_DuplicateId_CarriesTheId()
    {
        TaskPlanException exception = CreateFails(Work("a"), Work("a"));

        PlanAssert.CodeProblem(Assert.Single(exception.Problems), "a", "duplicate task id 'a'", "give each task its own id");
        Assert.DoesNotContain("first defined at line", exception.Problems[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_UnknownDependency_CarriesTheTaskId()
    {
        TaskPlanException exception = CreateFails(Work("api", "schema"));

        PlanAssert.CodeProblem(Assert.Single(exception.Problems), "api", "task 'api' depends on 'schema', which is not a task in this plan");
    }

    [Fact]
    public void Create_SelfDependency_CarriesTheTaskId()
    {
        TaskPlanException exception = CreateFails(Work("a", "a"));

        PlanAssert.CodeProblem(Assert.Single(exception.Problems), "a", "task 'a' depends on itself");
    }

    [Fact]
    public void Create_Cycle_NamesTheCycle()
    {
        TaskPlanException exception = CreateFails(Work("x"), Work("a", "c"), Work("b", "a"), Work("c", "b"));

        PlanAssert.CodeProblem(Assert.Single(exception.Problems), "a", "dependency cycle: a -> c -> b -> a");
    }

    [Fact]
    public void Create_CycleThroughAShortcut_NamesTheShortestCycle()
    {
        // a -> b -> c -> a and a -> c -> a share a; the shorter one is named.
        TaskPlanException exception = CreateFails(Work("a", "b", "c"), Work("b", "c"), Work("c", "a"));

        PlanAssert.CodeProblem(Assert.Single(exception.Problems), "a", "dependency cycle: a -> c -> a");
    }

    [Fact]
    public void Create_LongCycle_IsFoundWithoutRecursion()
    {
        const int count = 20_000;
        var tasks = Enumerable.Range(0, count).Select(i => Work($"t{i}", $"t{(i + 1) % count}")).ToArray();

        TaskPlanException exception = CreateFails(tasks);

        TaskPlanProblem problem = Assert.Single(exception.Problems);
        Assert.StartsWith("dependency cycle: t0 -> t1 -> t2 -> ", problem.Message, StringComparison.Ordinal);
        Assert.Contains("-> t19999 -> t0;", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_LongChain_IsOrderedWithoutRecursion()
    {
        const int count = 20_000;
        var tasks = Enumerable.Range(0, count).Select(i => i == 0 ? Work("t0") : Work($"t{i}", $"t{i - 1}")).Reverse().ToArray();

        TaskPlan plan = TaskPlan.Create(tasks);

        IReadOnlyList<AgentTask> order = plan.GetTopologicalOrder();
        Assert.Equal("t0", order[0].Id);
        Assert.Equal("t19999", order[^1].Id);
        Assert.Equal(count, plan.Graph.RemainingPath[plan.IndexOf("t0")]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Create_AgentCountBelowOne_CarriesTheTaskId(int count)
    {
        TaskPlanException exception = CreateFails(new AgentTask { Id = "a", Instructions = "x", AgentCount = count });

        PlanAssert.CodeProblem(Assert.Single(exception.Problems), "a", "agent_count of task 'a' must be at least 1", $"not {count}");
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Create_InvalidEstimatedHours_CarriesTheTaskId(double hours)
    {
        TaskPlanException exception = CreateFails(new AgentTask { Id = "a", Instructions = "x", EstimatedHours = hours });

        PlanAssert.CodeProblem(Assert.Single(exception.Problems), "a", "estimated_hours of task 'a' must be zero or more");
    }

    [Fact]
    public void Create_NegativeEstimatedHours_FormatsTheNumberInvariantly()
    {
        CultureInfo previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            TaskPlanException exception = CreateFails(new AgentTask { Id = "a", Instructions = "x", EstimatedHours = -1.5 });

            Assert.Contains("not -1.5.", exception.Problems[0].Message, StringComparison.Ordinal);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Create_ZeroEstimatedHours_IsValid()
    {
        TaskPlan plan = TaskPlan.Create([new AgentTask { Id = "a", Instructions = "x", EstimatedHours = 0 }]);

        Assert.Equal(0, plan.Graph.RemainingPath[0]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Create_TimeoutNotPositive_CarriesTheTaskId(int seconds)
    {
        TaskPlanException exception = CreateFails(new AgentTask { Id = "a", Instructions = "x", Timeout = TimeSpan.FromSeconds(seconds) });

        PlanAssert.CodeProblem(Assert.Single(exception.Problems), "a", "timeout of task 'a' must be positive");
    }

    [Fact]
    public void Create_MaxAttemptsBelowOne_CarriesTheTaskId()
    {
        TaskPlanException exception = CreateFails(new AgentTask { Id = "a", Instructions = "x", MaxAttempts = 0 });

        PlanAssert.CodeProblem(Assert.Single(exception.Problems), "a", "max_attempts of task 'a' must be at least 1");
    }

    [Theory]
    [InlineData("contianer", "did you mean 'container'?")]
    [InlineData("worktre", "did you mean 'worktree'?")]
    [InlineData("Bad Name!", "the name of a registered isolation provider")]
    [InlineData("", "the name of a registered isolation provider")]
    public void Create_InvalidIsolation_CarriesTheTaskId(string isolation, string hint)
    {
        TaskPlanException exception = CreateFails(new AgentTask { Id = "a", Instructions = "x", Isolation = isolation });

        PlanAssert.CodeProblem(Assert.Single(exception.Problems), "a", $"invalid isolation '{isolation}' in task 'a'", hint);
    }

    [Theory]
    [InlineData("docker-sandbox")]
    [InlineData("firecracker")]
    [InlineData("vm")]
    public void Create_CustomIsolationProvider_IsValid(string isolation)
    {
        TaskPlan plan = TaskPlan.Create([new AgentTask { Id = "a", Instructions = "x", Isolation = isolation }]);

        Assert.Equal(isolation, plan["a"].Isolation);
    }

    [Fact]
    public void Create_NullLists_NameTheList()
    {
        TaskPlanException exception = CreateFails(new AgentTask { Id = "a", Instructions = "x", Dependencies = null!, Checks = null! });

        PlanAssert.CodeProblem(Assert.Single(exception.Problems), "a", "Dependencies, Checks of task 'a' is null", "use an empty list");
    }

    [Fact]
    public void Create_TaskWithoutIdHasUnknownDependency_NamesTheTaskByIndex()
    {
        TaskPlanException exception = CreateFails(Work("a"), new AgentTask { Id = "", Instructions = "x", Dependencies = ["ghost"] });

        Assert.Collection(
            exception.Problems,
            p => PlanAssert.CodeProblem(p, null, "the task at index 1 has no 'id'"),
            p => PlanAssert.CodeProblem(p, null, "the task at index 1 depends on 'ghost'"));
    }

    [Fact]
    public void Create_NullDependency_SaysToRemoveIt()
    {
        TaskPlanException exception = CreateFails(Work("a"), new AgentTask { Id = "b", Instructions = "x", Dependencies = ["a", null!] });

        PlanAssert.CodeProblem(Assert.Single(exception.Problems), "b", "task 'b' has a null dependency; remove it.");
    }

    [Fact]
    public void Create_ManyProblems_ReportsEveryOne()
    {
        TaskPlanException exception = CreateFails(
            new AgentTask { Id = "a", Instructions = "", AgentCount = 0 },
            Work("b", "missing"),
            Work("a"),
            new AgentTask { Id = "c", Instructions = "x", MaxAttempts = 0, Isolation = "contianer" });

        Assert.Collection(
            exception.Problems,
            p => PlanAssert.CodeProblem(p, "a", "has no 'instructions'"),
            p => PlanAssert.CodeProblem(p, "a", "agent_count"),
            p => PlanAssert.CodeProblem(p, "a", "duplicate task id 'a'"),
            p => PlanAssert.CodeProblem(p, "c", "max_attempts"),
            p => PlanAssert.CodeProblem(p, "c", "invalid isolation"),
            p => PlanAssert.CodeProblem(p, "b", "depends on 'missing'"));
        Assert.Equal("task 'a': task 'a' has no 'instructions'; say what the agent should do.", exception.Problems[0].ToString());
    }

    [Fact]
    public void Indexer_UnknownId_ThrowsKeyNotFoundNamingTheId()
    {
        TaskPlan plan = TaskPlan.Create([Work("a")]);

        KeyNotFoundException exception = Assert.Throws<KeyNotFoundException>(() => plan["nope"]);

        Assert.Contains("'nope'", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Indexer_IdInOtherCase_IsNotFound()
    {
        TaskPlan plan = TaskPlan.Create([Work("api")]);

        Assert.False(plan.TryGetTask("API", out _));
    }

    [Fact]
    public void TryGetTask_KnownId_ReturnsTheTask()
    {
        AgentTask a = Work("a");
        TaskPlan plan = TaskPlan.Create([a, Work("b")]);

        Assert.True(plan.TryGetTask("a", out AgentTask? found));
        Assert.Same(a, found);
    }

    [Fact]
    public void TryGetTask_UnknownId_ReturnsFalse()
    {
        TaskPlan plan = TaskPlan.Create([Work("a")]);

        Assert.False(plan.TryGetTask("b", out AgentTask? found));
        Assert.Null(found);
    }

    [Fact]
    public void TryGetTask_NullId_ThrowsArgumentNullException()
    {
        TaskPlan plan = TaskPlan.Create([Work("a")]);

        Assert.Throws<ArgumentNullException>(() => plan.TryGetTask(null!, out _));
    }

    [Fact]
    public void GetDependents_Task_ReturnsDirectDependentsInPlanOrder()
    {
        TaskPlan plan = TaskPlan.Create([Work("d", "b"), Work("a"), Work("c", "a"), Work("b", "a"), Work("e", "c")]);

        Assert.Equal(["c", "b"], plan.GetDependents("a").Select(t => t.Id));
        Assert.Equal(["d"], plan.GetDependents("b").Select(t => t.Id));
        Assert.Empty(plan.GetDependents("e"));
    }

    [Fact]
    public void GetDependents_DuplicateDependency_ListsTheDependentOnce()
    {
        TaskPlan plan = TaskPlan.Create([Work("a"), Work("b", "a", "a")]);

        Assert.Equal(["b"], plan.GetDependents("a").Select(t => t.Id));
        Assert.Single(plan.Graph.Dependencies[1]);
    }

    [Fact]
    public void GetDependents_UnknownId_ThrowsKeyNotFound()
    {
        TaskPlan plan = TaskPlan.Create([Work("a")]);

        Assert.Throws<KeyNotFoundException>(() => plan.GetDependents("zzz"));
        Assert.Throws<ArgumentNullException>(() => plan.GetDependents(null!));
    }

    [Fact]
    public void GetTopologicalOrder_PlanAlreadyInOrder_KeepsPlanOrder()
    {
        TaskPlan plan = TaskPlan.Create([Work("a"), Work("b", "a"), Work("c"), Work("d", "c")]);

        Assert.Equal(["a", "b", "c", "d"], plan.GetTopologicalOrder().Select(t => t.Id));
    }

    [Fact]
    public void GetTopologicalOrder_IndependentTasks_KeepsPlanOrder()
    {
        TaskPlan plan = TaskPlan.Create([Work("z"), Work("y"), Work("x")]);

        Assert.Equal(["z", "y", "x"], plan.GetTopologicalOrder().Select(t => t.Id));
    }

    [Fact]
    public void GetTopologicalOrder_DependenciesListedLater_PutsEachDependencyFirst()
    {
        TaskPlan plan = TaskPlan.Create([Work("deploy", "test", "build"), Work("test", "build"), Work("build"), Work("docs")]);

        Assert.Equal(["build", "test", "deploy", "docs"], plan.GetTopologicalOrder().Select(t => t.Id));
    }

    [Fact]
    public void GetTopologicalOrder_RandomDag_PutsEveryDependencyFirst()
    {
        var random = new Random(1234);
        var tasks = new List<AgentTask>();
        for (int i = 0; i < 500; i++)
        {
            string[] dependencies = [.. Enumerable.Range(0, random.Next(0, 4)).Select(_ => random.Next(0, Math.Max(1, i))).Where(d => d < i).Distinct().Select(d => $"t{d}")];
            tasks.Add(Work($"t{i}", dependencies));
        }

        // Shuffled, so that the plan order is not already a topological order.
        TaskPlan plan = TaskPlan.Create(tasks.OrderBy(_ => random.Next()));

        var position = plan.GetTopologicalOrder().Select((t, i) => (t.Id, i)).ToDictionary(p => p.Id, p => p.i);
        Assert.Equal(500, position.Count);
        Assert.All(plan.Tasks, t => Assert.All(t.Dependencies, d => Assert.True(position[d] < position[t.Id], $"{d} must come before {t.Id}")));
    }

    [Fact]
    public void Graph_RemainingPath_WeighsTheLongestPathByEstimatedHours()
    {
        TaskPlan plan = TaskPlan.Create(
        [
            new AgentTask { Id = "schema", Instructions = "x", EstimatedHours = 2 },
            new AgentTask { Id = "api", Instructions = "x", EstimatedHours = 3, Dependencies = ["schema"] },
            new AgentTask { Id = "ui", Instructions = "x", EstimatedHours = 0.5, Dependencies = ["schema"] },
            new AgentTask { Id = "tests", Instructions = "x", Dependencies = ["api", "ui"] },
        ]);

        // tests weighs the default hour; api's branch (3 h) is longer than ui's (0.5 h).
        Assert.Equal([6.0, 4.0, 1.5, PlanGraph.DefaultWeight], plan.Graph.RemainingPath);
    }
}
