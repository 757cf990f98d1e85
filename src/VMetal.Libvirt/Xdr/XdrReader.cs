using System.Buffers.Binary;
using System.Text;

namespace VMetal.Libvirt.Xdr;

/// <summary>
/// Big-endian XDR (RFC 4506) decoder over a span. Malformed or truncated input throws
/// <see cref="LibvirtException"/> with <see cref="LibvirtErrorCode.Rpc"/>.
/// </summary>
public ref struct XdrReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public XdrReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    /// <summary>Bytes not yet read.</summary>
    public readonly int Remaining => _data.Length - _position;

    public int ReadInt() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public uint ReadUInt() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public long ReadHyper() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public ulong ReadUHyper() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    public bool ReadBool() => ReadUInt() switch
    {
        0 => false,
        1 => true,
        var other => throw Malformed($"boolean with value {other}"),
    };

    public string ReadString(int maxLength = XdrLimits.StringMax)
    {
        var bytes = ReadVariable(maxLength, "string");
        try
        {
            return Encoding.UTF8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Malformed("string that is not valid UTF-8");
        }
    }

    /// <summary>An optional string (libvirt's <c>remote_string</c>).</summary>
    public string? ReadOptionalString() => ReadBool() ? ReadString() : null;

    public byte[] ReadOpaque(int maxLength = XdrLimits.StringMax) => ReadVariable(maxLength, "opaque").ToArray();

    /// <summary>Fixed-length opaque data; the span points into the input.</summary>
    public ReadOnlySpan<byte> ReadFixedOpaque(int length)
    {
        var bytes = Take(length);
        Take(Padding(length));
        return bytes;
    }

    /// <summary>A libvirt UUID: 16 raw bytes in RFC 4122 (big-endian) order.</summary>
    public Guid ReadUuid() => new(Take(16), bigEndian: true);

    public T[] ReadArray<T>(XdrDecoder<T> decode, int maxCount = XdrLimits.ArrayMax)
    {
        var count = ReadUInt();
        if (count > maxCount)
            throw Malformed($"array of {count} elements (limit {maxCount})");
        // Each element takes at least 4 bytes; reject counts the input cannot hold before allocating.
        if (count > (uint)Remaining / 4)
            throw Malformed($"array of {count} elements in {Remaining} bytes");
        var items = new T[count];
        for (var i = 0; i < items.Length; i++)
            items[i] = decode(ref this);
        return items;
    }

    /// <summary>An optional value (an XDR pointer).</summary>
    public T? ReadOptional<T>(XdrDecoder<T> decode) where T : class => ReadBool() ? decode(ref this) : null;

    /// <summary>Throws unless every byte was consumed (catches procedure/record mismatches).</summary>
    public readonly void EnsureEnd()
    {
        if (Remaining != 0)
            throw Malformed($"{Remaining} unexpected trailing bytes");
    }

    private ReadOnlySpan<byte> ReadVariable(int maxLength, string what)
    {
        var length = ReadUInt();
        if (length > maxLength)
            throw Malformed($"{what} of {length} bytes (limit {maxLength})");
        return ReadFixedOpaque((int)length);
    }

    private static int Padding(int length) => (4 - (length & 3)) & 3;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
            throw Malformed($"truncated data: needed {count} bytes, {Remaining} left");
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }

    private static LibvirtException Malformed(string detail) =>
        new(LibvirtErrorCode.Rpc, LibvirtErrorDomain.Rpc, $"Malformed XDR data: {detail}.");
}
