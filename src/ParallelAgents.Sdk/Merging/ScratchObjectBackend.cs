using System.Collections.Concurrent;
using LibGit2Sharp;

namespace ParallelAgents.Sdk;

/// <summary>
/// An object database backend that keeps in memory every object libgit2 writes through the repository it is added to.
/// </summary>
/// <remarks>
/// An in-memory merge (<c>git_merge_commits</c>) still writes objects: the blobs of files it merges cleanly, the trees
/// of a clean result, and the virtual merge bases of criss-cross histories. Added with a priority above the loose and
/// packed backends, this backend receives those writes (libgit2 writes to the first writable backend), so a forecast
/// leaves the repository's objects untouched; <see cref="Clear"/> drops them once the merge is read.
/// </remarks>
internal sealed class ScratchObjectBackend : OdbBackend
{
    /// <summary>Above the packed (2) and loose (1) backends of libgit2.</summary>
    internal const int Priority = 100;

    private readonly ConcurrentDictionary<ObjectId, (byte[] Data, ObjectType Type)> _objects = new();

    /// <summary>How many objects are held.</summary>
    public int Count => _objects.Count;

    /// <inheritdoc/>
    protected override OdbBackendOperations SupportedOperations =>
        OdbBackendOperations.Read | OdbBackendOperations.ReadHeader | OdbBackendOperations.Write | OdbBackendOperations.Exists;

    /// <summary>Forgets every object written so far.</summary>
    public void Clear() => _objects.Clear();

    /// <inheritdoc/>
    public override int Read(ObjectId id, out UnmanagedMemoryStream data, out ObjectType objectType)
    {
        if (_objects.TryGetValue(id, out (byte[] Data, ObjectType Type) entry))
        {
            data = AllocateAndBuildFrom(entry.Data);
            objectType = entry.Type;
            return (int)ReturnCode.GIT_OK;
        }

        data = null!;
        objectType = default;
        return (int)ReturnCode.GIT_ENOTFOUND;
    }

    /// <inheritdoc/>
    public override int ReadPrefix(string shortSha, out ObjectId id, out UnmanagedMemoryStream data, out ObjectType objectType) =>
        throw new NotSupportedException("The scratch backend does not declare prefix reads; libgit2 never calls this.");

    /// <inheritdoc/>
    public override int ReadHeader(ObjectId id, out int length, out ObjectType objectType)
    {
        if (_objects.TryGetValue(id, out (byte[] Data, ObjectType Type) entry))
        {
            length = entry.Data.Length;
            objectType = entry.Type;
            return (int)ReturnCode.GIT_OK;
        }

        length = 0;
        objectType = default;
        return (int)ReturnCode.GIT_ENOTFOUND;
    }

    /// <inheritdoc/>
    public override int Write(ObjectId id, Stream dataStream, long length, ObjectType objectType)
    {
        var data = new byte[length];
        dataStream.ReadExactly(data);
        _objects[id] = (data, objectType);
        return (int)ReturnCode.GIT_OK;
    }

    /// <inheritdoc/>
    public override int ReadStream(ObjectId id, out OdbBackendStream stream) =>
        throw new NotSupportedException("The scratch backend does not declare stream reads; libgit2 never calls this.");

    /// <inheritdoc/>
    public override int WriteStream(long length, ObjectType objectType, out OdbBackendStream stream) =>
        throw new NotSupportedException("The scratch backend does not declare stream writes; libgit2 never calls this.");

    /// <inheritdoc/>
    public override bool Exists(ObjectId id) => _objects.ContainsKey(id);

    /// <inheritdoc/>
    public override int ExistsPrefix(string shortSha, out ObjectId found) =>
        throw new NotSupportedException("The scratch backend does not declare prefix lookups; libgit2 never calls this.");

    /// <inheritdoc/>
    public override int ForEach(ForEachCallback callback) =>
        throw new NotSupportedException("The scratch backend does not declare enumeration; libgit2 never calls this.");
}
