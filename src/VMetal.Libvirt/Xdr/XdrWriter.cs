using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace VMetal.Libvirt.Xdr;

/// <summary>
/// Big-endian XDR (RFC 4506) encoder into a growable buffer rented from <see cref="ArrayPool{T}"/>.
/// Dispose returns the buffer; the written bytes are valid until then.
/// </summary>
public sealed class XdrWriter : IDisposable
{
    private byte[] _buffer;
    private int _length;

    public XdrWriter(int initialCapacity = 256) =>
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 64));

    /// <summary>Number of bytes written so far.</summary>
    public int Length => _length;

    /// <summary>The encoded bytes.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    internal ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    public void WriteInt(int value) => BinaryPrimitives.WriteInt32BigEndian(Grow(4), value);

    public void WriteUInt(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Grow(4), value);

    public void WriteHyper(long value) => BinaryPrimitives.WriteInt64BigEndian(Grow(8), value);

    public void WriteUHyper(ulong value) => BinaryPrimitives.WriteUInt64BigEndian(Grow(8), value);

    public void WriteBool(bool value) => WriteInt(value ? 1 : 0);

    /// <summary>A non-null string: length, UTF-8 bytes, padding to 4 bytes.</summary>
    public void WriteString(string value, int maxLength = XdrLimits.StringMax)
    {
        var byteCount = Encoding.UTF8.GetByteCount(value);
        if (byteCount > maxLength)
            throw new ArgumentException($"String of {byteCount} bytes exceeds the protocol limit of {maxLength}.", nameof(value));
        WriteUInt((uint)byteCount);
        var span = Grow(Padded(byteCount));
        Encoding.UTF8.GetBytes(value, span);
        span[byteCount..].Clear();
    }

    /// <summary>An optional string (libvirt's <c>remote_string</c>): a presence flag, then the string.</summary>
    public void WriteOptionalString(string? value)
    {
        WriteBool(value is not null);
        if (value is not null)
            WriteString(value);
    }

    /// <summary>Variable-length opaque data: length, bytes, padding.</summary>
    public void WriteOpaque(ReadOnlySpan<byte> value, int maxLength = XdrLimits.StringMax)
    {
        if (value.Length > maxLength)
            throw new ArgumentException($"Opaque data of {value.Length} bytes exceeds the protocol limit of {maxLength}.", nameof(value));
        WriteUInt((uint)value.Length);
        WriteFixedOpaque(value);
    }

    /// <summary>Fixed-length opaque data: bytes and padding, no length.</summary>
    public void WriteFixedOpaque(ReadOnlySpan<byte> value)
    {
        var span = Grow(Padded(value.Length));
        value.CopyTo(span);
        span[value.Length..].Clear();
    }

    /// <summary>A libvirt UUID: 16 raw bytes in RFC 4122 (big-endian) order.</summary>
    public void WriteUuid(Guid value)
    {
        if (!value.TryWriteBytes(Grow(16), bigEndian: true, out _))
            throw new InvalidOperationException("A Guid always has 16 bytes.");
    }

    /// <summary>A variable-length array: count, then each element.</summary>
    public void WriteArray<T>(IReadOnlyCollection<T> items, XdrEncoder<T> encode, int maxCount = XdrLimits.ArrayMax)
    {
        if (items.Count > maxCount)
            throw new ArgumentException($"Array of {items.Count} elements exceeds the protocol limit of {maxCount}.", nameof(items));
        WriteUInt((uint)items.Count);
        foreach (var item in items)
            encode(this, item);
    }

    /// <summary>An optional value (an XDR pointer): a presence flag, then the value.</summary>
    public void WriteOptional<T>(T? value, XdrEncoder<T> encode) where T : class
    {
        WriteBool(value is not null);
        if (value is not null)
            encode(this, value);
    }

    /// <summary>Raw bytes without length or padding (stream data packets).</summary>
    internal void WriteRaw(ReadOnlySpan<byte> value) => value.CopyTo(Grow(value.Length));

    /// <summary>Overwrites a big-endian uint at <paramref name="offset"/> (frame length patching).</summary>
    internal void PatchUInt(int offset, uint value) =>
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(offset, 4), value);

    /// <summary>Hands the buffer to the caller, who must return it to <see cref="ArrayPool{T}.Shared"/>.</summary>
    internal byte[] DetachBuffer(out int length)
    {
        var buffer = _buffer;
        length = _length;
        _buffer = [];
        _length = 0;
        return buffer;
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _length = 0;
    }

    private static int Padded(int length) => (length + 3) & ~3;

    private Span<byte> Grow(int count)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        if (_length + count > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + count));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}
