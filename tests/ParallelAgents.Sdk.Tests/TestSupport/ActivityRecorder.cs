using System.Collections.Concurrent;
using System.Diagnostics;

namespace ParallelAgents.Sdk.Tests.TestSupport;

/// <summary>
/// Starts a root activity (current from then on in the test's flow) and records every <c>ParallelAgents</c> span of its
/// trace when it stops. Spans of other traces (other tests running at the same time) are not even created for this
/// listener: it samples its own trace only.
/// </summary>
internal sealed class ActivityRecorder : IDisposable
{
    private readonly ActivityListener _listener;

    public ActivityRecorder()
    {
        Root = new Activity("test-root").SetIdFormat(ActivityIdFormat.W3C).Start();
        ActivityTraceId trace = Root.TraceId;
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ParallelAgentsTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.TraceId == trace ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
            ActivityStopped = activity =>
            {
                if (activity.TraceId == trace)
                {
                    Stopped.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public Activity Root { get; }

    public ConcurrentQueue<Activity> Stopped { get; } = new();

    public IReadOnlyList<Activity> Named(string operationName) => [.. Stopped.Where(a => a.OperationName == operationName)];

    public void Dispose()
    {
        _listener.Dispose();
        Root.Stop();
    }
}
