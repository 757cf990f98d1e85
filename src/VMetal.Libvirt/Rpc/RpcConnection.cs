using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Channels;
using VMetal.Libvirt.Protocol;
using VMetal.Libvirt.Xdr;

namespace VMetal.Libvirt.Rpc;

/// <summary>Receives unsolicited MESSAGE frames (events) of the remote program, on the reader loop.</summary>
internal delegate void EventFrameHandler(RemoteProcedure procedure, ReadOnlySpan<byte> payload);

/// <summary>
/// libvirt's RPC framing over one duplex stream: one reader loop routes replies by serial,
/// events to <see cref="EventFrameHandler"/> and stream packets to uploads; one writer loop
/// sends queued frames and flushes once per batch, so concurrent callers pipeline their calls.
/// Any transport or framing failure fails every pending call with <see cref="LibvirtConnectionException"/>.
/// </summary>
internal sealed class RpcConnection : IAsyncDisposable
{
    private static readonly TimeSpan LoopExitWait = TimeSpan.FromSeconds(5);

    private readonly Stream _stream;
    private readonly FrameReader _frames;
    private readonly TimeProvider _time;
    private readonly TimeSpan _callTimeout;
    private readonly EventFrameHandler _onEvent;
    private readonly ConcurrentDictionary<uint, PendingCall> _pending = new();
    private readonly ConcurrentDictionary<uint, RpcStreamState> _streams = new();
    private readonly Channel<OutgoingFrame> _outgoing =
        Channel.CreateUnbounded<OutgoingFrame>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TaskCompletionSource<LibvirtConnectionException> _closed =
        new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _readLoop;
    private readonly Task _writeLoop;
    private LibvirtConnectionException? _failure;
    private ITimer? _keepAliveTimer;
    private int _lastSerial;
    private long _lastReceivedTimestamp;
    private int _unansweredPings;
    private long _lastPingTimestamp;

    public RpcConnection(Stream stream, TimeProvider time, TimeSpan callTimeout, EventFrameHandler onEvent)
    {
        _stream = stream;
        _frames = new FrameReader(stream);
        _time = time;
        _callTimeout = callTimeout;
        _onEvent = onEvent;
        _lastReceivedTimestamp = time.GetTimestamp();
        _readLoop = Task.Run(ReadLoopAsync);
        _writeLoop = Task.Run(WriteLoopAsync);
    }

    /// <summary>Completes, with the reason, when the connection has ended for any cause.</summary>
    public Task<LibvirtConnectionException> Closed => _closed.Task;

    public bool IsOpen => Volatile.Read(ref _failure) is null;

    public Task<TResult> CallAsync<TArgs, TResult>(RemoteProcedure procedure, TArgs args, XdrEncoder<TArgs> encode,
        XdrDecoder<TResult> decode, CancellationToken cancellationToken) =>
        CallAsync(procedure, NextSerial(), args, encode, decode, cancellationToken);

    /// <summary>
    /// Calls a procedure that opens an upload stream (e.g. STORAGE_VOL_UPLOAD), sends
    /// <paramref name="source"/> (at most <paramref name="limit"/> bytes, 0 = all) as STREAM packets,
    /// and waits for libvirtd to confirm the data.
    /// </summary>
    public async Task UploadAsync<TArgs>(RemoteProcedure procedure, TArgs args, XdrEncoder<TArgs> encode,
        Stream source, ulong limit, CancellationToken cancellationToken)
    {
        var remaining = limit == 0 ? ulong.MaxValue : limit;
        var serial = NextSerial();
        var upload = new StreamState();
        _streams[serial] = upload;
        var chunk = ArrayPool<byte>.Shared.Rent(RpcConstants.StreamChunkSize);
        var opened = false;
        var finishing = false;
        try
        {
            await CallAsync(procedure, serial, args, encode, static (ref XdrReader _) => true, cancellationToken);
            opened = true;
            while (remaining > 0)
            {
                var wanted = (int)Math.Min((ulong)RpcConstants.StreamChunkSize, remaining);
                var read = await source.ReadAsync(chunk.AsMemory(0, wanted), cancellationToken);
                if (read == 0)
                    break;
                remaining -= (ulong)read;
                upload.ThrowIfFailed();
                await SendStreamPacketAsync(procedure, serial, MessageStatus.Continue, chunk.AsMemory(0, read), cancellationToken);
            }
            finishing = true;
            await SendStreamPacketAsync(procedure, serial, MessageStatus.Ok, ReadOnlyMemory<byte>.Empty, cancellationToken);
            await WaitAsync(upload.Finished, procedure, cancellationToken);
        }
        catch when (opened && !finishing && !upload.Finished.IsCompleted && IsOpen)
        {
            // Tell libvirtd to abort the stream, so it does not wait for data that will not come.
            _outgoing.Writer.TryWrite(BuildFrame(StreamHeader(procedure, serial, MessageStatus.Error),
                ReadOnlyMemory<byte>.Empty, WriteRaw, written: null));
            throw;
        }
        finally
        {
            _streams.TryRemove(serial, out _);
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>
    /// Calls a procedure that opens a stream carrying data both ways (e.g. DOMAIN_OPEN_CONSOLE). The stream is
    /// registered before the call, so data libvirtd sends right behind its reply is not lost.
    /// </summary>
    public async Task<(uint Serial, DuplexStreamState State)> OpenStreamAsync<TArgs>(RemoteProcedure procedure, TArgs args,
        XdrEncoder<TArgs> encode, int bufferedPackets, CancellationToken cancellationToken)
    {
        var serial = NextSerial();
        var stream = new DuplexStreamState(bufferedPackets);
        _streams[serial] = stream;
        try
        {
            await CallAsync(procedure, serial, args, encode, static (ref XdrReader _) => true, cancellationToken);
            return (serial, stream);
        }
        catch
        {
            _streams.TryRemove(serial, out _);
            throw;
        }
    }

    /// <summary>Sends one STREAM packet of an open stream; completes once it is written.</summary>
    public Task SendStreamAsync(RemoteProcedure procedure, uint serial, MessageStatus status, ReadOnlyMemory<byte> data,
        CancellationToken cancellationToken) =>
        SendStreamPacketAsync(procedure, serial, status, data, cancellationToken);

    /// <summary>Waits for a stream's confirmation within the call timeout.</summary>
    public Task WaitForStreamAsync(Task confirmation, RemoteProcedure procedure, CancellationToken cancellationToken) =>
        WaitAsync(confirmation.ContinueWith(static t => { t.GetAwaiter().GetResult(); return true; },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default), procedure, cancellationToken);

    /// <summary>Stops routing a stream's packets (a late confirmation is then dropped).</summary>
    public void CloseStream(uint serial) => _streams.TryRemove(serial, out _);

    /// <summary>Starts sending PINGs when the peer is idle; declares it dead after <paramref name="count"/> unanswered ones.</summary>
    public void StartKeepAlive(TimeSpan interval, int count)
    {
        if (interval <= TimeSpan.Zero || _keepAliveTimer is not null)
            return;
        _keepAliveTimer = _time.CreateTimer(_ => CheckKeepAlive(interval, count), null, interval, interval);
    }

    /// <summary>Ends the connection; pending and later calls fail with a connection error.</summary>
    public async ValueTask DisposeAsync()
    {
        Fail(new LibvirtConnectionException("The libvirt connection was closed by the client."));
        var loops = Task.WhenAll(_readLoop, _writeLoop);
        // A transport whose reads ignore both cancellation and disposal must not hang the caller;
        // its read loop keeps the frame buffer, which the GC then reclaims instead of the pool.
        if (await Task.WhenAny(loops, Task.Delay(LoopExitWait)) == loops)
        {
            _frames.Dispose();
            _shutdown.Dispose();
        }
    }

    private uint NextSerial() => (uint)Interlocked.Increment(ref _lastSerial);

    private async Task<TResult> CallAsync<TArgs, TResult>(RemoteProcedure procedure, uint serial, TArgs args,
        XdrEncoder<TArgs> encode, XdrDecoder<TResult> decode, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var frame = BuildFrame(new MessageHeader(RpcConstants.RemoteProgram, RpcConstants.RemoteVersion,
            (int)procedure, MessageType.Call, serial, MessageStatus.Ok), args, encode, written: null);
        var call = new PendingCall<TResult>(procedure, decode);
        _pending[serial] = call;
        // Checked after registering: either Fail() sees this call, or this call sees the failure.
        if (Volatile.Read(ref _failure) is { } failure || !_outgoing.Writer.TryWrite(frame))
        {
            _pending.TryRemove(serial, out _);
            frame.Release();
            throw ConnectionError(_failure!, procedure);
        }
        try
        {
            return await WaitAsync(call.Task, procedure, cancellationToken);
        }
        finally
        {
            _pending.TryRemove(serial, out _);
        }
    }

    private async Task<T> WaitAsync<T>(Task<T> task, RemoteProcedure procedure, CancellationToken cancellationToken)
    {
        try
        {
            return await task.WaitAsync(_callTimeout, _time, cancellationToken);
        }
        catch (TimeoutException exception)
        {
            throw new LibvirtException(LibvirtErrorCode.OperationTimeout, LibvirtErrorDomain.Rpc,
                $"libvirt did not answer {procedure} within {_callTimeout.TotalSeconds:0.#} s.", exception);
        }
    }

    private async Task SendStreamPacketAsync(RemoteProcedure procedure, uint serial, MessageStatus status,
        ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        // Waiting until the packet is written keeps at most one chunk queued: backpressure for large uploads.
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var frame = BuildFrame(StreamHeader(procedure, serial, status), data, WriteRaw, written);
        if (!_outgoing.Writer.TryWrite(frame))
        {
            frame.Release();
            throw ConnectionError(_failure!, procedure);
        }
        await written.Task.WaitAsync(cancellationToken);
    }

    private static MessageHeader StreamHeader(RemoteProcedure procedure, uint serial, MessageStatus status) =>
        new(RpcConstants.RemoteProgram, RpcConstants.RemoteVersion, (int)procedure, MessageType.Stream, serial, status);

    private static void WriteRaw(XdrWriter writer, ReadOnlyMemory<byte> data) => writer.WriteRaw(data.Span);

    private static OutgoingFrame BuildFrame<TArgs>(MessageHeader header, TArgs args, XdrEncoder<TArgs> encode,
        TaskCompletionSource? written)
    {
        using var writer = new XdrWriter();
        writer.WriteUInt(0); // length, patched below
        header.Write(writer);
        encode(writer, args);
        if (writer.Length - RpcConstants.LengthWordSize > RpcConstants.MessageMax)
            throw new LibvirtException(LibvirtErrorCode.Rpc, LibvirtErrorDomain.Rpc,
                $"Request of {writer.Length} bytes exceeds libvirt's message limit of {RpcConstants.MessageMax} bytes.");
        writer.PatchUInt(0, (uint)writer.Length);
        var buffer = writer.DetachBuffer(out var length);
        return new OutgoingFrame(buffer, length, written);
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (await _frames.ReadFrameAsync(_shutdown.Token) is { } frame)
            {
                Volatile.Write(ref _lastReceivedTimestamp, _time.GetTimestamp());
                Dispatch(frame.Span);
            }
            Fail(new LibvirtConnectionException("libvirt closed the connection."));
        }
        catch (Exception exception)
        {
            Fail(exception);
        }
    }

    private void Dispatch(ReadOnlySpan<byte> frame)
    {
        var reader = new XdrReader(frame[RpcConstants.LengthWordSize..]);
        var header = MessageHeader.Read(ref reader);
        var payload = frame[(RpcConstants.LengthWordSize + MessageHeader.Size)..];
        if (header.Program == RpcConstants.KeepAliveProgram)
        {
            if (header.Type == MessageType.Message && header.Procedure == RpcConstants.KeepAlivePing)
                _outgoing.Writer.TryWrite(KeepAliveFrame(RpcConstants.KeepAlivePong));
            return;
        }
        if (header.Program != RpcConstants.RemoteProgram)
            return; // e.g. QEMU or LXC program events we never subscribe to
        switch (header.Type)
        {
            case MessageType.Reply:
                // No entry means the caller gave up (cancelled or timed out): drop the reply.
                if (_pending.TryRemove(header.Serial, out var call))
                    call.Complete(header.Status, payload);
                // After the opening call, libvirtd reports a failed stream write as an ERROR reply with the stream's serial.
                else if (header.Status == MessageStatus.Error && _streams.TryGetValue(header.Serial, out var failed))
                    failed.OnPacket(MessageStatus.Error, payload);
                break;
            case MessageType.Message:
                _onEvent((RemoteProcedure)header.Procedure, payload);
                break;
            case MessageType.Stream:
                if (_streams.TryGetValue(header.Serial, out var stream))
                    stream.OnPacket(header.Status, payload);
                break;
        }
    }

    private async Task WriteLoopAsync()
    {
        var frames = _outgoing.Reader;
        try
        {
            while (await frames.WaitToReadAsync(_shutdown.Token))
            {
                while (frames.TryRead(out var frame))
                {
                    try
                    {
                        await _stream.WriteAsync(frame.Memory, _shutdown.Token);
                        frame.MarkWritten();
                    }
                    finally
                    {
                        frame.Release();
                    }
                }
                await _stream.FlushAsync(_shutdown.Token);
            }
        }
        catch (Exception exception)
        {
            Fail(exception);
        }
        finally
        {
            while (frames.TryRead(out var frame))
            {
                frame.MarkFailed(_failure!);
                frame.Release();
            }
        }
    }

    private void CheckKeepAlive(TimeSpan interval, int count)
    {
        var now = _time.GetTimestamp();
        var lastReceived = Volatile.Read(ref _lastReceivedTimestamp);
        if (lastReceived >= _lastPingTimestamp)
            _unansweredPings = 0; // the peer spoke since our last ping
        var idle = _time.GetElapsedTime(lastReceived, now);
        if (idle < interval)
            return;
        if (_unansweredPings >= count)
        {
            Fail(new LibvirtConnectionException(
                $"libvirt did not answer {count} keepalive pings; no data for {idle.TotalSeconds:0} s, the peer is considered dead."));
            return;
        }
        _unansweredPings++;
        _lastPingTimestamp = now;
        _outgoing.Writer.TryWrite(KeepAliveFrame(RpcConstants.KeepAlivePing));
    }

    private static OutgoingFrame KeepAliveFrame(int procedure) =>
        BuildFrame(new MessageHeader(RpcConstants.KeepAliveProgram, RpcConstants.KeepAliveVersion, procedure,
            MessageType.Message, 0, MessageStatus.Ok), 0, static (_, _) => { }, written: null);

    private void Fail(Exception reason)
    {
        var failure = reason as LibvirtConnectionException
            ?? new LibvirtConnectionException($"The libvirt connection failed: {reason.Message}", reason);
        if (Interlocked.CompareExchange(ref _failure, failure, null) is not null)
            return;
        _keepAliveTimer?.Dispose();
        _outgoing.Writer.TryComplete();
        _shutdown.Cancel();
        foreach (var serial in _pending.Keys)
        {
            if (_pending.TryRemove(serial, out var call))
                call.Fail(ConnectionError(failure, procedure: null));
        }
        foreach (var stream in _streams.Values)
            stream.Fail(ConnectionError(failure, procedure: null));
        try
        {
            _stream.Dispose();
        }
        catch (Exception)
        {
            // The transport is already broken; its dispose errors add nothing.
        }
        _closed.TrySetResult(failure);
    }

    /// <summary>A fresh exception per caller (one instance thrown from many tasks would mix stack traces).</summary>
    private static LibvirtConnectionException ConnectionError(LibvirtConnectionException failure, RemoteProcedure? procedure) =>
        new(procedure is null ? failure.Message : $"{procedure}: {failure.Message}", failure.InnerException ?? failure);

    private readonly record struct OutgoingFrame(byte[] Buffer, int Length, TaskCompletionSource? Written)
    {
        public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);

        public void MarkWritten() => Written?.TrySetResult();

        public void MarkFailed(LibvirtConnectionException failure) => Written?.TrySetException(ConnectionError(failure, null));

        public void Release() => ArrayPool<byte>.Shared.Return(Buffer);
    }
}
