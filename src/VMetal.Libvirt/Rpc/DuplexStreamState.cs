using System.Threading.Channels;

namespace VMetal.Libvirt.Rpc;

/// <summary>
/// A stream that carries data both ways (a console): libvirtd sends the guest's output as STREAM CONTINUE packets,
/// an empty STREAM OK when its end hangs up (end of data), or STREAM ERROR. Once the client has asked to finish or
/// abort, the next STREAM OK is libvirtd's confirmation.
/// </summary>
/// <remarks>
/// libvirtd does not wait for the client to read, so received data is buffered; past <c>bufferedPackets</c> unread
/// packets the oldest are dropped, as a serial line drops what nobody reads, rather than stalling the connection's
/// reader loop (which also carries every other call's reply).
/// </remarks>
internal sealed class DuplexStreamState(int bufferedPackets) : RpcStreamState
{
    private readonly Channel<byte[]> _incoming = Channel.CreateBounded<byte[]>(
        new BoundedChannelOptions(bufferedPackets) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true });
    private readonly TaskCompletionSource _closeConfirmed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _closing;
    private volatile Exception? _failure;

    public ChannelReader<byte[]> Incoming => _incoming.Reader;

    /// <summary>Completes when libvirtd has confirmed a finish or abort, or fails with its error.</summary>
    public Task CloseConfirmed => _closeConfirmed.Task;

    /// <summary>Set when libvirtd reported an error on the stream or the connection failed.</summary>
    public Exception? Failure => _failure;

    /// <summary>Ends reads on this side (the stream is closed), whether or not libvirtd confirms.</summary>
    public void EndReads() => _incoming.Writer.TryComplete();

    /// <summary>From now on an OK packet confirms the client's finish or abort instead of marking the end of data.</summary>
    public void MarkClosing() => _closing = true;

    public override void OnPacket(MessageStatus status, ReadOnlySpan<byte> payload)
    {
        switch (status)
        {
            case MessageStatus.Continue when !payload.IsEmpty:
                _incoming.Writer.TryWrite(payload.ToArray());
                break;
            case MessageStatus.Ok when _closing:
                _incoming.Writer.TryComplete();
                _closeConfirmed.TrySetResult();
                break;
            case MessageStatus.Ok:
                _incoming.Writer.TryComplete();
                break;
            case MessageStatus.Error:
                Fail(ReadError(payload));
                break;
        }
    }

    public override void Fail(Exception exception)
    {
        _failure ??= exception;
        _incoming.Writer.TryComplete(exception);
        _closeConfirmed.TrySetException(exception);
        // Nobody may be waiting for the confirmation; the failure is reported to readers and writers.
        _ = _closeConfirmed.Task.Exception;
    }
}
