using System.Buffers.Binary;
using System.Text;
using VMetal.Topology;

namespace VMetal.Images;

/// <summary>
/// cloud-init's NoCloud seed for an OS node: a small ISO 9660 image labelled <c>cidata</c> holding
/// <c>meta-data</c> (instance id, host name) and <c>user-data</c> (the workspace key for root), attached to the
/// node as a CD. Cloud images (RHEL, CentOS, Fedora, Ubuntu, Debian) read it at first boot, so OS nodes are
/// reachable with the workspace key without libguestfs touching the image. The bytes depend only on the input,
/// so a re-run produces the same seed and changes nothing.
/// </summary>
public static class NoCloudSeed
{
    public const string VolumeLabel = "cidata";

    private const int Sector = 2048;

    // Sectors: 16 primary descriptor, 17 Joliet descriptor, 18 terminator, 19-22 path tables
    // (primary little/big-endian, Joliet little/big-endian), 23 primary root, 24 Joliet root, 25+ files.
    private const int FirstDescriptorSector = 16;
    private const int FirstPathTableSector = 19;
    private const int PrimaryRootSector = 23;
    private const int JolietRootSector = 24;
    private const int FirstFileSector = 25;

    public const string VolumeSuffix = "-seed.iso";

    /// <summary>Name of a node's seed volume in the pool.</summary>
    public static string VolumeName(string nodeName) => nodeName + VolumeSuffix;

    public static string MetaData(Node node) =>
        $"instance-id: {node.Uuid}\nlocal-hostname: {node.Name}\n";

    /// <summary>The keys go to the image's default user and, with disable_root off, to root (the inventory logs in as root).</summary>
    public static string UserData(IReadOnlyList<string> authorizedKeys)
    {
        var text = new StringBuilder("#cloud-config\n");
        text.Append("disable_root: false\n");
        text.Append("ssh_pwauth: false\n");
        text.Append("ssh_authorized_keys:\n");
        foreach (var key in authorizedKeys)
            text.Append("  - ").Append(key.Trim()).Append('\n');
        return text.ToString();
    }

    public static byte[] For(Node node, IReadOnlyList<string> authorizedKeys) =>
        BuildIso(VolumeLabel, [("meta-data", Encoding.UTF8.GetBytes(MetaData(node))), ("user-data", Encoding.UTF8.GetBytes(UserData(authorizedKeys)))]);

    /// <summary>
    /// A single-directory ISO 9660 image with Joliet names, so every reader (Linux, blkid, libisofs, Windows) sees
    /// the exact lower-case names cloud-init looks for. The plain ISO 9660 tree carries them upper-case with
    /// version ";1", which Linux also shows lower-case when Joliet is ignored.
    /// </summary>
    public static byte[] BuildIso(string label, IReadOnlyList<(string Name, byte[] Content)> files)
    {
        var ordered = files.OrderBy(file => file.Name, StringComparer.Ordinal).ToList();
        var fileSectors = new List<int>();
        var next = FirstFileSector;
        foreach (var (_, content) in ordered)
        {
            fileSectors.Add(next);
            next += Math.Max(1, (content.Length + Sector - 1) / Sector);
        }
        var image = new byte[next * Sector];
        for (var index = 0; index < ordered.Count; index++)
            ordered[index].Content.CopyTo(image.AsSpan(fileSectors[index] * Sector));

        var trees = new[]
        {
            (Type: (byte)1, Root: PrimaryRootSector, Name: (Func<string, byte[]>)(name => Encoding.ASCII.GetBytes(name.ToUpperInvariant() + ";1"))),
            (Type: (byte)2, Root: JolietRootSector, Name: (Func<string, byte[]>)Encoding.BigEndianUnicode.GetBytes),
        };
        for (var tree = 0; tree < trees.Length; tree++)
        {
            var (type, root, name) = trees[tree];
            var directory = image.AsSpan(root * Sector, Sector);
            var offset = WriteRecord(directory, root, Sector, isDirectory: true, [0]);
            offset += WriteRecord(directory[offset..], root, Sector, isDirectory: true, [1]);
            for (var index = 0; index < ordered.Count; index++)
                offset += WriteRecord(directory[offset..], fileSectors[index], ordered[index].Content.Length, isDirectory: false, name(ordered[index].Name));

            var pathTable = FirstPathTableSector + 2 * tree;
            WritePathTable(image.AsSpan(pathTable * Sector), root, bigEndian: false);
            WritePathTable(image.AsSpan((pathTable + 1) * Sector), root, bigEndian: true);
            WriteDescriptor(image.AsSpan((FirstDescriptorSector + tree) * Sector, Sector), type, label, pathTable, root, next);
        }

        var terminator = image.AsSpan((FirstDescriptorSector + trees.Length) * Sector, Sector);
        terminator[0] = 255;
        Encoding.ASCII.GetBytes("CD001").CopyTo(terminator[1..]);
        terminator[6] = 1;
        return image;
    }

    /// <summary>A primary (type 1) or Joliet supplementary (type 2, UCS-2 text) volume descriptor.</summary>
    private static void WriteDescriptor(Span<byte> descriptor, byte type, string label, int pathTable, int root, int sectors)
    {
        var joliet = type == 2;
        void Text(Span<byte> field, string text)
        {
            if (joliet)
            {
                for (var i = 0; i + 1 < field.Length; i += 2)
                {
                    field[i] = 0;
                    field[i + 1] = (byte)' ';
                }
                Encoding.BigEndianUnicode.GetBytes(text).CopyTo(field);
            }
            else
            {
                Padded(field, text);
            }
        }

        descriptor[0] = type;
        Encoding.ASCII.GetBytes("CD001").CopyTo(descriptor[1..]);
        descriptor[6] = 1;
        Text(descriptor.Slice(8, 32), "LINUX");
        Text(descriptor.Slice(40, 32), label);
        BothEndian32(descriptor[80..], sectors);
        if (joliet)
            Encoding.ASCII.GetBytes("%/E").CopyTo(descriptor[88..]); // UCS-2 level 3
        BothEndian16(descriptor[120..], 1); // volume set size
        BothEndian16(descriptor[124..], 1); // volume sequence number
        BothEndian16(descriptor[128..], Sector);
        BothEndian32(descriptor[132..], 10); // path table size: one 10-byte entry
        BinaryPrimitives.WriteInt32LittleEndian(descriptor[140..], pathTable);
        BinaryPrimitives.WriteInt32BigEndian(descriptor[148..], pathTable + 1);
        WriteRecord(descriptor[156..], root, Sector, isDirectory: true, [0]);
        Text(descriptor.Slice(190, 128), "");
        Text(descriptor.Slice(318, 128), "");
        Text(descriptor.Slice(446, 128), "");
        Text(descriptor.Slice(574, 128), "VMETAL");
        Padded(descriptor.Slice(702, 37 * 3), "");
        // Dates "not specified" (sixteen '0' digits, zone 0): the same input gives the same bytes.
        for (var date = 813; date < 881; date += 17)
            Padded(descriptor.Slice(date, 16), "0000000000000000");
        descriptor[881] = 1; // file structure version
    }

    private static int WriteRecord(Span<byte> target, int sector, int length, bool isDirectory, byte[] identifier)
    {
        var size = 33 + identifier.Length + (identifier.Length % 2 == 0 ? 1 : 0);
        target[0] = (byte)size;
        BothEndian32(target[2..], sector);
        BothEndian32(target[10..], length);
        // Recorded 2000-01-01 00:00 UTC, for reproducible bytes.
        target[18] = 100;
        target[19] = 1;
        target[20] = 1;
        target[25] = (byte)(isDirectory ? 2 : 0);
        BothEndian16(target[28..], 1);
        target[32] = (byte)identifier.Length;
        identifier.CopyTo(target[33..]);
        return size;
    }

    private static void WritePathTable(Span<byte> target, int root, bool bigEndian)
    {
        target[0] = 1; // identifier length (the root's is one byte, 0)
        if (bigEndian)
        {
            BinaryPrimitives.WriteInt32BigEndian(target[2..], root);
            BinaryPrimitives.WriteInt16BigEndian(target[6..], 1);
        }
        else
        {
            BinaryPrimitives.WriteInt32LittleEndian(target[2..], root);
            BinaryPrimitives.WriteInt16LittleEndian(target[6..], 1);
        }
    }

    private static void BothEndian32(Span<byte> target, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(target, value);
        BinaryPrimitives.WriteInt32BigEndian(target[4..], value);
    }

    private static void BothEndian16(Span<byte> target, int value)
    {
        BinaryPrimitives.WriteInt16LittleEndian(target, (short)value);
        BinaryPrimitives.WriteInt16BigEndian(target[2..], (short)value);
    }

    private static void Padded(Span<byte> target, string text)
    {
        target.Fill((byte)' ');
        Encoding.ASCII.GetBytes(text).CopyTo(target);
    }
}
