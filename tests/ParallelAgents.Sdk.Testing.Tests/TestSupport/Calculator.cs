using System.ComponentModel;
using Microsoft.Extensions.AI;

namespace ParallelAgents.Sdk.Testing.Tests.TestSupport;

/// <summary>A real tool for the function-invoking client to call: it counts its calls and can be made to answer differently.</summary>
internal sealed class Calculator
{
    private int _calls;

    public int Calls => _calls;

    public int Offset { get; set; }

    public AIFunction AddFunction => AIFunctionFactory.Create(Add, "add", "Adds two integers.");

    public ChatOptions Options => new() { Tools = [AddFunction], ModelId = "test-model", Temperature = 0.2f };

    [Description("Adds two integers.")]
    private int Add([Description("The first number.")] int a, [Description("The second number.")] int b)
    {
        Interlocked.Increment(ref _calls);
        return a + b + Offset;
    }
}
