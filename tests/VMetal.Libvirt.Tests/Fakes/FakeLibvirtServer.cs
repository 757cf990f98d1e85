using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Threading.Channels;
using VMetal.Libvirt.Protocol;
using VMetal.Libvirt.Rpc;
using VMetal.Libvirt.Xdr;

namespace VMetal.Libvirt.Tests.Fakes;

/// <summary>A frame the client sent to the fake server.</summary>
internal sealed record ReceivedFrame(MessageHeader Header, byte[] Payload)
{
    public RemoteProcedure Procedure => (RemoteProcedure)Header.Procedure;

    public XdrReader Reader() => new(Payload);
}

/// <summary>
/// An in-memory libvirtd for unit tests: speaks the RPC framing over two pipes, answers the
/// connection handshake by default, and lets a test register per-procedure handlers, inspect
/// every frame the client sent, and push replies, events, pings or raw (broken) bytes.
/// </summary>
internal sealed class FakeLibvirtServer : ILibvirtTransport, IAsyncDisposable
{
    private readonly Pipe _toServer = new();
    private readonly Pipe _toClient = new();
    private readonly Stream _serverOutput;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<RemoteProcedure, Func<FakeRequest, ValueTask>> _handlers = new();
    private readonly Channel<ReceivedFrame> _received = Channel.CreateUnbounded<ReceivedFrame>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _lastCallbackId = 100;

    public FakeLibvirtServer()
    {
        _serverOutput = _toClient.Writer.AsStream();
        Handle(RemoteProcedure.AuthList, r => r.ReplyAsync(w => w.WriteArray([(int)AuthType.None], static (x, v) => x.WriteInt(v))));
        Handle(RemoteProcedure.ConnectSupportsFeature, r => r.ReplyAsync(w => w.WriteInt(1)));
        Handle(RemoteProcedure.ConnectOpen, r => r.ReplyAsync());
        Handle(RemoteProcedure.ConnectClose, r => r.ReplyAsync());
        Handle(RemoteProcedure.ConnectDomainEventCallbackRegisterAny, r => r.ReplyAsync(w => w.WriteInt(Interlocked.Increment(ref _lastCallbackId))));
        Handle(RemoteProcedure.ConnectNetworkEventRegisterAny, r => r.ReplyAsync(w => w.WriteInt(Interlocked.Increment(ref _lastCallbackId))));
        Handle(RemoteProcedure.ConnectDomainEventCallbackDeregisterAny, r => r.ReplyAsync());
        Handle(RemoteProcedure.ConnectNetworkEventDeregisterAny, r => r.ReplyAsync());
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>When set, the server confirms a client's stream finish or abort at once (empty STREAM OK), as libvirtd does.</summary>
    public bool ConfirmStreamCloses { get; set; }

    /// <summary>Every frame the client sent, in order (calls, keepalive messages, stream packets).</summary>
    public ChannelReader<ReceivedFrame> Received => _received.Reader;

    /// <summary>Replaces the handler of a procedure; calls without a handler get a NoSupport error.</summary>
    public void Handle(RemoteProcedure procedure, Func<FakeRequest, ValueTask> handler) => _handlers[procedure] = handler;

    public ValueTask<Stream> OpenAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<Stream>(new DuplexStream(_toClient.Reader.AsStream(), _toServer.Writer.AsStream()));

    /// <summary>Connects a client with keepalive off unless the options say otherwise.</summary>
    public Task<LibvirtClient> ConnectClientAsync(LibvirtClientOptions? options = null) =>
        LibvirtClient.ConnectAsync(this, options ?? new LibvirtClientOptions { KeepAliveInterval = TimeSpan.Zero });

    /// <summary>The next frame the client sent for <paramref name="procedure"/>, skipping others.</summary>
    public Task<ReceivedFrame> NextAsync(RemoteProcedure procedure, MessageType type = MessageType.Call) =>
        NextAsync(f => f.Header.Program == RpcConstants.RemoteProgram && f.Procedure == procedure && f.Header.Type == type);

    /// <summary>The next keepalive message (PING or PONG) the client sent.</summary>
    public Task<ReceivedFrame> NextKeepAliveAsync(int procedure) =>
        NextAsync(f => f.Header.Program == RpcConstants.KeepAliveProgram && f.Header.Procedure == procedure);

    private async Task<ReceivedFrame> NextAsync(Func<ReceivedFrame, bool> match)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var frame in _received.Reader.ReadAllAsync(timeout.Token))
        {
            if (match(frame))
                return frame;
        }
        throw new InvalidOperationException("The client closed the connection.");
    }

    public Task SendAsync(MessageHeader header, Action<XdrWriter>? body = null) => SendRawAsync(Frame(header, body));

    public Task ReplyAsync(ReceivedFrame call, Action<XdrWriter>? body = null) =>
        SendAsync(call.Header with { Type = MessageType.Reply, Status = MessageStatus.Ok }, body);

    public Task ReplyErrorAsync(ReceivedFrame call, LibvirtErrorCode code, LibvirtErrorDomain domain, string message) =>
        SendAsync(call.Header with { Type = MessageType.Reply, Status = MessageStatus.Error }, w => WriteError(w, code, domain, message));

    public Task SendEventAsync(RemoteProcedure procedure, Action<XdrWriter> body) =>
        SendAsync(new MessageHeader(RpcConstants.RemoteProgram, RpcConstants.RemoteVersion, (int)procedure,
            MessageType.Message, 0, MessageStatus.Ok), body);

    public Task SendKeepAliveAsync(int procedure) =>
        SendAsync(new MessageHeader(RpcConstants.KeepAliveProgram, RpcConstants.KeepAliveVersion, procedure,
            MessageType.Message, 0, MessageStatus.Ok));

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        await _writeLock.WaitAsync();
        try
        {
            await _serverOutput.WriteAsync(bytes);
            await _serverOutput.FlushAsync();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Ends the server→client direction: the client reads end-of-stream.</summary>
    public async Task CloseAsync() => await _toClient.Writer.CompleteAsync();

    public static byte[] Frame(MessageHeader header, Action<XdrWriter>? body = null)
    {
        using var writer = new XdrWriter();
        writer.WriteUInt(0);
        header.Write(writer);
        body?.Invoke(writer);
        writer.PatchUInt(0, (uint)writer.Length);
        return writer.WrittenSpan.ToArray();
    }

    public static void WriteError(XdrWriter writer, LibvirtErrorCode code, LibvirtErrorDomain domain, string message)
    {
        writer.WriteInt((int)code);
        writer.WriteInt((int)domain);
        writer.WriteOptionalString(message);
        writer.WriteInt(2); // level: error
        writer.WriteBool(false); // dom
        writer.WriteOptionalString(message);
        writer.WriteOptionalString(null);
        writer.WriteOptionalString(null);
        writer.WriteInt(-1);
        writer.WriteInt(-1);
        writer.WriteBool(false); // net
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _toClient.Writer.CompleteAsync();
        await _toServer.Reader.CompleteAsync();
        await _loop;
        _stop.Dispose();
        _writeLock.Dispose();
    }

    private async Task ServeAsync()
    {
        var input = _toServer.Reader.AsStream();
        var frames = new FrameReader(input);
        try
        {
            while (await frames.ReadFrameAsync(_stop.Token) is { } frame)
            {
                var reader = new XdrReader(frame.Span[RpcConstants.LengthWordSize..]);
                var header = MessageHeader.Read(ref reader);
                var received = new ReceivedFrame(header, frame.Span[(RpcConstants.LengthWordSize + MessageHeader.Size)..].ToArray());
                await _received.Writer.WriteAsync(received);
                if (header.Type == MessageType.Stream && header.Status != MessageStatus.Continue && ConfirmStreamCloses)
                    await SendAsync(header with { Status = MessageStatus.Ok });
                if (header.Type != MessageType.Call)
                    continue;
                if (_handlers.TryGetValue(received.Procedure, out var handler))
                    await handler(new FakeRequest(this, received));
                else
                    await ReplyErrorAsync(received, LibvirtErrorCode.NoSupport, LibvirtErrorDomain.Rpc, $"fake: no handler for {received.Procedure}");
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The test ended the connection.
        }
        finally
        {
            frames.Dispose();
            _received.Writer.TryComplete();
        }
    }
}

/// <summary>A call received by the fake server, with helpers to answer it.</summary>
internal sealed record FakeRequest(FakeLibvirtServer Server, ReceivedFrame Call)
{
    public ValueTask ReplyAsync(Action<XdrWriter>? body = null) => new(Server.ReplyAsync(Call, body));

    public ValueTask ReplyErrorAsync(LibvirtErrorCode code, LibvirtErrorDomain domain, string message) =>
        new(Server.ReplyErrorAsync(Call, code, domain, message));
}
