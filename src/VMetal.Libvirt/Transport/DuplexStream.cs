namespace VMetal.Libvirt;

/// <summary>
/// One read/write stream made of a readable and a writable stream, e.g. a process's stdout
/// and stdin or an SSH exec channel's output and input. Disposing disposes the write side
/// first, so the peer sees end-of-file, then the read side, then <paramref name="owner"/>
/// (e.g. the remote process both streams belong to).
/// </summary>
public class DuplexStream(Stream readStream, Stream writeStream, IAsyncDisposable? owner = null) : Stream
{
    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => readStream.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => readStream.Read(buffer);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        readStream.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => writeStream.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => writeStream.Write(buffer);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        writeStream.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => writeStream.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => writeStream.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try
            {
                writeStream.Dispose();
            }
            finally
            {
                readStream.Dispose();
                owner?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        base.Dispose(disposing);
    }
}
