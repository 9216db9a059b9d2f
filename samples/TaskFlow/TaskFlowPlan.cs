namespace TaskFlow;

/// <summary>The plan the sample writes to the demo repository's <c>config/tasks.yaml</c>: the original demo's four
/// tasks, with the agent template of each role, its checks, and <c>verify</c> run on every merged tree.</summary>
internal static class TaskFlowPlan
{
    public const string Yaml =
        """
        # TaskFlow: the original demo's four tasks, run by ParallelAgents.Sdk.
        # Each task runs in its own git worktree on branch agent/<id>; the engine merges the branches into main in
        # dependency order, and runs `verify` on each merged tree before main moves.
        verify:
          - node --test

        tasks:
          - id: database-schema
            template: database
            priority: high
            estimated_hours: 3
            instructions: |
              Design TaskFlow's data model as a Prisma schema in prisma/schema.prisma (PostgreSQL): a User (id, unique
              email, optional name, timestamps) who owns Tasks, and a Task (id, title, optional description, status,
              owner, timestamps). The status is the enum Status with TODO, IN_PROGRESS and DONE; new tasks start in TODO.
              Add a row for the schema to the table under "Project layout" in README.md.
              Share the tables, their fields and the enum with report_discovery (name: database-schema).
            success_criteria:
              - prisma/schema.prisma defines User, Task and the Status enum (TODO, IN_PROGRESS, DONE)
              - Every model has a primary key and timestamps
            checks:
              - grep -q "enum Status" prisma/schema.prisma

          - id: backend-api
            template: backend
            dependencies: [database-schema]
            priority: high
            estimated_hours: 4
            instructions: |
              Implement TaskFlow's REST API in src/server.js on Node's built-in http module (no npm packages): export
              createServer(), which returns an http.Server with in-memory storage shaped like the schema the
              database-schema task shared. Routes under /api: GET /health; GET and POST /users; GET, PATCH and DELETE
              /users/:id; GET (filters ?status= and ?userId=) and POST /tasks; GET, PATCH and DELETE /tasks/:id.
              JSON in and out; POST answers 201 and DELETE 204; errors are {"error": "..."} with 400 (bad input),
              404 (unknown id or route), 405 (wrong method) or 409 (a taken email, a user who still owns tasks).
              Add an npm start script and say how to run it in README.md. Share the routes with report_discovery
              (name: api-routes).
            success_criteria:
              - All endpoints return JSON
              - Errors use HTTP status codes
            checks:
              - node --check src/server.js

          - id: frontend-components
            template: frontend
            priority: medium
            estimated_hours: 4
            instructions: |
              Build TaskFlow's React components in TypeScript under src/components/: TaskList (a Kanban board with a
              column per status), TaskDetail (one task, editable) and TeamView (the users and their tasks). They call
              the REST API under /api (GET and POST /tasks, GET, PATCH and DELETE /tasks/:id, GET and POST /users,
              GET /users/:id) and use the schema's shapes (see the discoveries in the shared memory). Add a row for
              the components to the table under "Project layout" in README.md.
            success_criteria:
              - TaskList shows the tasks as a Kanban board, one column per status
              - The components are accessible (labels, roles, keyboard use)
            checks:
              - test -f src/components/TaskList.tsx && test -f src/components/TaskDetail.tsx && test -f src/components/TeamView.tsx

          - id: test-suite
            template: test
            dependencies: [backend-api, database-schema]
            priority: medium
            estimated_hours: 3
            instructions: |
              Write node:test suites under test/ that start the API (createServer().listen(0)) and exercise every
              endpoint the backend-api task shared (its api-routes discovery), success and error cases. Run them with
              node --test.
            success_criteria:
              - Every endpoint is exercised, with its success and error status codes
            checks:
              - node --test

        """;
}
