using System.Buffers.Binary;
using System.Numerics;

namespace ParallelAgents.Sdk;

/// <summary>CRC-32C (Castagnoli), the checksum of the file store's journal records and snapshots.</summary>
/// <remarks>CRC-32C rather than the zip CRC-32 because <see cref="BitOperations.Crc32C(uint, ulong)"/> computes it with
/// the processor's instruction (SSE4.2, ARMv8) on both target frameworks, without a package.</remarks>
internal static class Crc32C
{
    /// <summary>The checksum of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(uint.MaxValue, data);

    /// <summary>The checksum of several spans, as if they were one.</summary>
    public static uint Compute(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second) =>
        ~Append(Append(uint.MaxValue, first), second);

    private static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }

        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }
}
