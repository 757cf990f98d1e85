using System.Threading.Channels;
using VMetal.Libvirt.Protocol;
using VMetal.Libvirt.Rpc;

namespace VMetal.Libvirt;

/// <summary>
/// An open libvirt stream that carries data both ways, such as a domain's console (virStream). It shares the
/// client's connection: reads return what libvirtd sent, writes go out as STREAM packets. Reads and writes may
/// run at the same time (one reader, one writer). Dispose aborts a stream that was not finished.
/// </summary>
public sealed class LibvirtStream : IAsyncDisposable
{
    private static readonly TimeSpan DisposeWait = TimeSpan.FromSeconds(5);

    private readonly RpcConnection _rpc;
    private readonly RemoteProcedure _procedure;
    private readonly uint _serial;
    private readonly DuplexStreamState _state;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private ReadOnlyMemory<byte> _unread;
    private int _closed;
    private volatile bool _aborted;

    internal LibvirtStream(RpcConnection rpc, RemoteProcedure procedure, uint serial, DuplexStreamState state)
    {
        _rpc = rpc;
        _procedure = procedure;
        _serial = serial;
        _state = state;
    }

    /// <summary>
    /// Reads what libvirtd sent; 0 once libvirtd has marked the end of data (the other end hung up) or after this side
    /// closed the stream.
    /// </summary>
    /// <exception cref="LibvirtException">libvirtd reported an error on the stream, or the connection failed.</exception>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty || _aborted)
            return 0;
        while (_unread.IsEmpty)
        {
            try
            {
                if (!await _state.Incoming.WaitToReadAsync(cancellationToken))
                    return 0;
            }
            catch (ChannelClosedException closed) when (closed.InnerException is LibvirtException error)
            {
                throw Rethrown(error);
            }
            catch (LibvirtException error)
            {
                throw Rethrown(error);
            }
            if (_state.Incoming.TryRead(out var packet))
                _unread = packet;
        }
        var count = Math.Min(buffer.Length, _unread.Length);
        _unread[..count].CopyTo(buffer);
        _unread = _unread[count..];
        return count;
    }

    /// <summary>Sends data, in packets of at most 256 KiB; completes once they are written to the connection.</summary>
    /// <exception cref="LibvirtException">The stream has failed or been closed, or the connection failed.</exception>
    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            while (!data.IsEmpty)
            {
                ThrowIfUnusable();
                var chunk = data[..Math.Min(data.Length, RpcConstants.StreamChunkSize)];
                await _rpc.SendStreamAsync(_procedure, _serial, MessageStatus.Continue, chunk, cancellationToken);
                data = data[chunk.Length..];
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Ends the stream normally (virStreamFinish) and waits for libvirtd to confirm.</summary>
    public Task FinishAsync(CancellationToken cancellationToken = default) => CloseAsync(MessageStatus.Ok, cancellationToken);

    /// <summary>Ends the stream at once (virStreamAbort) and waits for libvirtd to confirm; data not read yet is discarded.</summary>
    public Task AbortAsync(CancellationToken cancellationToken = default)
    {
        _aborted = true;
        return CloseAsync(MessageStatus.Error, cancellationToken);
    }

    /// <summary>Aborts the stream unless it was closed already; waits at most a few seconds and never throws.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _closed) == 0 && _state.Failure is null)
        {
            using var timeout = new CancellationTokenSource(DisposeWait);
            try
            {
                await AbortAsync(timeout.Token);
            }
            catch (Exception exception) when (exception is LibvirtException or OperationCanceledException)
            {
                // The stream is gone either way; libvirtd frees its end when the connection closes at the latest.
            }
        }
        _rpc.CloseStream(_serial);
    }

    private async Task CloseAsync(MessageStatus status, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
            return;
        try
        {
            if (_state.Failure is { } failure)
                throw Rethrown(failure);
            _state.MarkClosing();
            await _rpc.SendStreamAsync(_procedure, _serial, status, ReadOnlyMemory<byte>.Empty, cancellationToken);
            await _rpc.WaitForStreamAsync(_state.CloseConfirmed, _procedure, cancellationToken);
        }
        finally
        {
            _rpc.CloseStream(_serial);
            _state.EndReads();
        }
    }

    private void ThrowIfUnusable()
    {
        if (_state.Failure is { } failure)
            throw Rethrown(failure);
        if (Volatile.Read(ref _closed) != 0)
            throw new LibvirtException(LibvirtErrorCode.Rpc, LibvirtErrorDomain.Streams, $"The {_procedure} stream is closed.");
    }

    /// <summary>A fresh exception per throw, keeping libvirt's code and message (one instance may reach several callers).</summary>
    private static LibvirtException Rethrown(Exception failure) => failure switch
    {
        LibvirtConnectionException connection => new LibvirtConnectionException(connection.Message, connection),
        LibvirtException error => new LibvirtException(error.Code, error.ErrorDomain, error.Message, error),
        _ => new LibvirtException(LibvirtErrorCode.Rpc, LibvirtErrorDomain.Rpc, failure.Message, failure),
    };
}
