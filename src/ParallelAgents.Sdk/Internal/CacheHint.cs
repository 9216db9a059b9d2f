using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace ParallelAgents.Sdk;

/// <summary>Asks the processor to fetch data into its cache ahead of its use, where it can (x86); a hint only.</summary>
internal static class CacheHint
{
    /// <summary>Prefetches every cache line of <paramref name="target"/>, a struct of up to 128 bytes.</summary>
    /// <remarks>Safe whatever the collector does: a prefetch never faults and changes no memory, so an address made
    /// stale by a compacting collection costs a wasted fetch at worst. Does nothing on processors without SSE.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch<T>(ref T target)
    {
        if (Sse.IsSupported)
        {
            // Up to 128 bytes span at most three lines wherever they start: the first byte's, the one 64 bytes on, and
            // the last byte's.
            byte* address = (byte*)Unsafe.AsPointer(ref target);
            Sse.Prefetch0(address);
            if (Unsafe.SizeOf<T>() > 64)
            {
                Sse.Prefetch0(address + 64);
            }

            Sse.Prefetch0(address + Unsafe.SizeOf<T>() - 1);
        }
    }
}
