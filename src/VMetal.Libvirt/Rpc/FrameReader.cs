using System.Buffers;
using System.Buffers.Binary;

namespace VMetal.Libvirt.Rpc;

/// <summary>
/// Splits a byte stream into length-prefixed frames through one pooled read buffer, so that
/// small frames cost one read call for many. A returned frame stays valid until the next read.
/// </summary>
internal sealed class FrameReader(Stream stream) : IDisposable
{
    private const int InitialBufferSize = 64 * 1024;
    private const int MinFrameSize = RpcConstants.LengthWordSize + MessageHeader.Size;
    private const int MaxFrameSize = RpcConstants.LengthWordSize + RpcConstants.MessageMax;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
    private int _start;
    private int _end;

    /// <summary>
    /// The next whole frame (length word included), or null when the peer closed the stream
    /// cleanly between frames. A stream that ends inside a frame throws <see cref="EndOfStreamException"/>.
    /// </summary>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        if (!await FillAsync(RpcConstants.LengthWordSize, cancellationToken))
            return null;
        var length = BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start, 4));
        if (length is < MinFrameSize or > MaxFrameSize)
            throw new InvalidDataException($"Frame length {length} is outside {MinFrameSize}..{MaxFrameSize}.");
        if (!await FillAsync((int)length, cancellationToken))
            throw new EndOfStreamException($"The peer closed the connection in the middle of a {length}-byte frame.");
        var frame = _buffer.AsMemory(_start, (int)length);
        _start += (int)length;
        return frame;
    }

    /// <summary>Makes at least <paramref name="count"/> bytes available; false on a clean end of stream.</summary>
    private async ValueTask<bool> FillAsync(int count, CancellationToken cancellationToken)
    {
        if (_end - _start >= count)
            return true;
        MakeRoom(count);
        while (_end - _start < count)
        {
            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                if (_end == _start)
                    return false;
                throw new EndOfStreamException($"The peer closed the connection in the middle of a frame ({_end - _start} bytes received).");
            }
            _end += read;
        }
        return true;
    }

    /// <summary>Moves unread bytes to the front and grows the buffer when a frame does not fit.</summary>
    private void MakeRoom(int count)
    {
        var unread = _end - _start;
        var target = count <= InitialBufferSize ? InitialBufferSize : count;
        // Give a large buffer back once the big frame that needed it has been consumed.
        if (_buffer.Length < target || (_buffer.Length > InitialBufferSize && target == InitialBufferSize && unread <= InitialBufferSize))
        {
            var replacement = ArrayPool<byte>.Shared.Rent(Math.Max(target, unread));
            _buffer.AsSpan(_start, unread).CopyTo(replacement);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = replacement;
        }
        else if (_start > 0)
        {
            _buffer.AsSpan(_start, unread).CopyTo(_buffer);
        }
        _start = 0;
        _end = unread;
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
