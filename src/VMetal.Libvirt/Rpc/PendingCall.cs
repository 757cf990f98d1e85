using VMetal.Libvirt.Protocol;
using VMetal.Libvirt.Xdr;

namespace VMetal.Libvirt.Rpc;

/// <summary>A call waiting for its reply; the reader loop completes it by serial.</summary>
internal abstract class PendingCall
{
    /// <summary>Decodes the reply payload on the reader loop, so the frame buffer can be reused at once.</summary>
    public abstract void Complete(MessageStatus status, ReadOnlySpan<byte> payload);

    public abstract void Fail(Exception exception);
}

internal sealed class PendingCall<T>(RemoteProcedure procedure, XdrDecoder<T> decode) : PendingCall
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _completion.Task;

    public override void Complete(MessageStatus status, ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new XdrReader(payload);
            switch (status)
            {
                case MessageStatus.Ok:
                    var result = decode(ref reader);
                    reader.EnsureEnd();
                    _completion.TrySetResult(result);
                    break;
                case MessageStatus.Error:
                    _completion.TrySetException(RemoteError.Read(ref reader));
                    break;
                default:
                    throw new LibvirtException(LibvirtErrorCode.Rpc, LibvirtErrorDomain.Rpc,
                        $"Reply to {procedure} has unexpected status {status}.");
            }
        }
        catch (Exception exception)
        {
            var code = (exception as LibvirtException)?.Code ?? LibvirtErrorCode.Rpc;
            _completion.TrySetException(new LibvirtException(code, LibvirtErrorDomain.Rpc,
                $"Cannot decode the reply to {procedure}: {exception.Message}", exception));
        }
    }

    public override void Fail(Exception exception) => _completion.TrySetException(exception);
}

/// <summary>The client side of a libvirt stream; the reader loop routes the stream's packets to it by serial.</summary>
internal abstract class RpcStreamState
{
    /// <summary>A STREAM packet, or an ERROR reply libvirtd sent with the stream's serial after the opening call.</summary>
    public abstract void OnPacket(MessageStatus status, ReadOnlySpan<byte> payload);

    public abstract void Fail(Exception exception);

    protected static LibvirtException ReadError(ReadOnlySpan<byte> payload)
    {
        var reader = new XdrReader(payload);
        try
        {
            return RemoteError.Read(ref reader);
        }
        catch (LibvirtException exception)
        {
            return exception;
        }
    }
}

/// <summary>An upload stream: libvirtd confirms the end of data (or reports an error) with a STREAM packet.</summary>
internal sealed class StreamState : RpcStreamState
{
    private readonly TaskCompletionSource<bool> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<bool> Finished => _finished.Task;

    public override void OnPacket(MessageStatus status, ReadOnlySpan<byte> payload)
    {
        switch (status)
        {
            case MessageStatus.Ok:
                _finished.TrySetResult(true);
                break;
            case MessageStatus.Error:
                _finished.TrySetException(ReadError(payload));
                break;
            // Data packets (CONTINUE) only flow towards the server in an upload.
        }
    }

    /// <summary>Throws the error libvirtd reported while data was still being sent.</summary>
    public void ThrowIfFailed()
    {
        if (_finished.Task.IsFaulted)
            _finished.Task.GetAwaiter().GetResult();
    }

    public override void Fail(Exception exception) => _finished.TrySetException(exception);
}
