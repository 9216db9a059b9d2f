namespace ParallelAgents.Sdk;

/// <summary>
/// A role for a <see cref="ChatClientAgent"/>: text added to its system prompt and checks run before its work counts
/// as done. A task picks one by name with its <c>template:</c> field (<see cref="AgentTask.Template"/>).
/// </summary>
/// <remarks>
/// Four are built in and registered by default in <see cref="ChatClientAgentOptions.Templates"/>: <see cref="Frontend"/>,
/// <see cref="Backend"/>, <see cref="Database"/> and <see cref="Test"/>. Their default checks suit the Node.js projects of
/// the samples and are written for a POSIX shell: those of frontend, backend and database do nothing where there is no
/// <c>package.json</c>, and test runs <c>node --test</c>. Register a template under the same name to replace one.
/// </remarks>
public sealed class AgentTemplate
{
    /// <summary>The name tasks use in <c>template:</c>, compared ignoring case.</summary>
    public required string Name { get; init; }

    /// <summary>What the role adds to the system prompt (the <c>{template_instructions}</c> placeholder).</summary>
    public required string Instructions { get; init; }

    /// <summary>Commands run in the workspace, after the task's own <c>checks</c>, when the agent says it is done.</summary>
    /// <value>The default is none.</value>
    public IReadOnlyList<string> DefaultChecks { get; init; } = [];

    /// <summary>User interface work: components, pages, styles, client-side state.</summary>
    /// <value>Checks: <c>npm run --if-present build</c> where there is a <c>package.json</c>.</value>
    public static AgentTemplate Frontend { get; } = new()
    {
        Name = "frontend",
        Instructions =
            "You are a frontend engineer. Build the user interface the task asks for: components, pages, styles and client-side state. " +
            "Call the backend only through the routes other agents have shared as discoveries (or that the task names); do not change server code. " +
            "Keep markup accessible (labels, roles, keyboard use) and keep components small and testable.",
        DefaultChecks = ["if [ -f package.json ]; then npm run --if-present build; fi"],
    };

    /// <summary>Server work: APIs, services, business logic.</summary>
    /// <value>Checks: <c>npm run --if-present test</c> where there is a <c>package.json</c>.</value>
    public static AgentTemplate Backend { get; } = new()
    {
        Name = "backend",
        Instructions =
            "You are a backend engineer. Implement the server-side code the task asks for: routes, services and business logic. " +
            "Validate input, return clear errors with the right status codes, and keep the API consistent. " +
            "Share the routes you add (method, path, request and response shape) with report_discovery so that frontend and test agents can use them.",
        DefaultChecks = ["if [ -f package.json ]; then npm run --if-present test; fi"],
    };

    /// <summary>Schema and data work: tables, migrations, queries, seed data.</summary>
    /// <value>Checks: <c>npm run --if-present test</c> where there is a <c>package.json</c>.</value>
    public static AgentTemplate Database { get; } = new()
    {
        Name = "database",
        Instructions =
            "You are a database engineer. Design the schema the task asks for: tables, keys, indexes, constraints, migrations and seed data. " +
            "Make migrations repeatable and reversible where the tooling allows it. " +
            "Share the schema (tables, columns and their types) with report_discovery so that backend agents build on it.",
        DefaultChecks = ["if [ -f package.json ]; then npm run --if-present test; fi"],
    };

    /// <summary>Test work: unit and integration tests.</summary>
    /// <value>Checks: <c>node --test</c>.</value>
    public static AgentTemplate Test { get; } = new()
    {
        Name = "test",
        Instructions =
            "You are a test engineer. Write tests that pin down the behaviour the task describes: the happy path, edge cases and errors. " +
            "Read the discoveries other agents shared (routes, schema) and test against them; do not change the code under test to make a test pass, " +
            "report the bug with report_discovery instead. Tests must be deterministic: no sleeps, no dependence on the clock or on test order.",
        DefaultChecks = ["node --test"],
    };

    /// <summary>The built-in templates: <see cref="Frontend"/>, <see cref="Backend"/>, <see cref="Database"/>, <see cref="Test"/>.</summary>
    public static IReadOnlyList<AgentTemplate> BuiltIn { get; } = [Frontend, Backend, Database, Test];

    /// <inheritdoc/>
    public override string ToString() => Name;
}
