using VMetal.Libvirt.Xdr;

namespace VMetal.Libvirt.Protocol;

/// <summary>XDR layouts of the remote_nonnull_* handle structs shared by many procedures.</summary>
internal static class RemoteTypes
{
    public static DomainRef ReadDomain(ref XdrReader reader) =>
        new(reader.ReadString(), reader.ReadUuid(), reader.ReadInt());

    public static void WriteDomain(XdrWriter writer, DomainRef domain)
    {
        writer.WriteString(domain.Name);
        writer.WriteUuid(domain.Uuid);
        writer.WriteInt(domain.Id);
    }

    public static NetworkRef ReadNetwork(ref XdrReader reader) => new(reader.ReadString(), reader.ReadUuid());

    public static void WriteNetwork(XdrWriter writer, NetworkRef network)
    {
        writer.WriteString(network.Name);
        writer.WriteUuid(network.Uuid);
    }

    public static StoragePoolRef ReadStoragePool(ref XdrReader reader) => new(reader.ReadString(), reader.ReadUuid());

    public static void WriteStoragePool(XdrWriter writer, StoragePoolRef pool)
    {
        writer.WriteString(pool.Name);
        writer.WriteUuid(pool.Uuid);
    }

    public static StorageVolumeRef ReadStorageVolume(ref XdrReader reader) =>
        new(reader.ReadString(), reader.ReadString(), reader.ReadString());

    public static void WriteStorageVolume(XdrWriter writer, StorageVolumeRef volume)
    {
        writer.WriteString(volume.Pool);
        writer.WriteString(volume.Name);
        writer.WriteString(volume.Key);
    }

    public static DomainSnapshotRef ReadSnapshot(ref XdrReader reader) => new(reader.ReadString(), ReadDomain(ref reader));

    public static void WriteSnapshot(XdrWriter writer, DomainSnapshotRef snapshot)
    {
        writer.WriteString(snapshot.Name);
        WriteDomain(writer, snapshot.Domain);
    }

    /// <summary>
    /// The most common argument layout: a handle followed by one 32-bit value (flags, or an
    /// int used as a boolean, which has the same encoding for 0 and 1).
    /// </summary>
    public static XdrEncoder<(T Handle, uint Value)> HandleAndValue<T>(XdrEncoder<T> writeHandle) =>
        (writer, args) =>
        {
            writeHandle(writer, args.Handle);
            writer.WriteUInt(args.Value);
        };

    /// <summary>The "list all" replies: an array of handles followed by an unsigned count we do not need.</summary>
    public static T[] ReadList<T>(ref XdrReader reader, XdrDecoder<T> decode, int maxCount)
    {
        var items = reader.ReadArray(decode, maxCount);
        reader.ReadUInt();
        return items;
    }

    public static void WriteNothing(XdrWriter writer, byte unused)
    {
    }

    public static bool ReadNothing(ref XdrReader reader) => true;

    public static string ReadString(ref XdrReader reader) => reader.ReadString();

    public static int ReadInt(ref XdrReader reader) => reader.ReadInt();

    public static bool ReadIntAsBool(ref XdrReader reader) => reader.ReadInt() != 0;
}
