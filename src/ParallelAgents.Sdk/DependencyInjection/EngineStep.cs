namespace ParallelAgents.Sdk;

/// <summary>One change to the engine's <see cref="ParallelAgentsBuilder"/>, registered in the container by a
/// <c>Use…</c> method and applied, in registration order, when the engine is made.</summary>
internal sealed class EngineStep(string name, Action<EngineSetupContext> apply)
{
    /// <summary>The method that registered the step, named in the problems it reports.</summary>
    public string Name { get; } = name;

    public Action<EngineSetupContext> Apply { get; } = apply;
}
