using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace ParallelAgents.Sdk;

/// <summary>Asks the processor to fetch an object into its cache ahead of its use, where it can (x86); a hint only.</summary>
internal static class CacheHint
{
    /// <summary>Prefetches the first three cache lines of <paramref name="target"/> (192 bytes: a task's state).</summary>
    /// <remarks>Safe whatever the collector does: a prefetch never faults and changes no memory, so an address made
    /// stale by a compacting collection costs a wasted fetch at worst. Does nothing on processors without SSE.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(object target)
    {
        if (Sse.IsSupported)
        {
            // The local holds the object's address; reading it through a pointer to the local pins nothing and copies
            // only the address.
            byte* address = *(byte**)Unsafe.AsPointer(ref target);
            Sse.Prefetch0(address);
            Sse.Prefetch0(address + 64);
            Sse.Prefetch0(address + 128);
        }
    }
}
