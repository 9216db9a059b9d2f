using System.Buffers;

namespace ParallelAgents.Sdk;

/// <summary>A growable byte buffer whose written bytes stay writable, so a record's header can be filled in after its payload.</summary>
internal sealed class ByteBuffer(int initialCapacity = 4096) : IBufferWriter<byte>
{
    private byte[] _bytes = new byte[Math.Max(initialCapacity, 256)];

    public int Length { get; private set; }

    public Span<byte> Written => _bytes.AsSpan(0, Length);

    public int Capacity => _bytes.Length;

    public void Clear() => Length = 0;

    /// <summary>Drops the array when it grew past <paramref name="capacity"/> for one large value, so it is not kept forever.</summary>
    public void Shrink(int capacity)
    {
        if (_bytes.Length > capacity)
        {
            _bytes = new byte[capacity];
        }

        Length = 0;
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _bytes.Length - Length);
        Length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _bytes.AsMemory(Length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _bytes.AsSpan(Length);
    }

    private void Ensure(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_bytes.Length - Length >= needed)
        {
            return;
        }

        int size = (int)Math.Min(Array.MaxLength, Math.Max((long)_bytes.Length * 2, (long)Length + needed));
        if (size - Length < needed)
        {
            throw new InvalidOperationException("A shared memory write batch outgrew the largest array .NET allows.");
        }

        Array.Resize(ref _bytes, size);
    }
}
