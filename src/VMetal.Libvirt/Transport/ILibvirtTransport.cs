namespace VMetal.Libvirt;

/// <summary>
/// Opens the byte stream that carries libvirt's RPC protocol: a unix socket, a helper
/// process's stdin/stdout, an SSH exec channel... The client owns and disposes the stream.
/// Failures to open should be reported as <see cref="LibvirtConnectionException"/>.
/// A stream over a helper process should throw an <see cref="IOException"/> saying why the
/// helper ended (exit code, stderr) where it would return end-of-stream: the client puts that
/// message into the connection error (see <see cref="ProcessTransport"/>).
/// </summary>
public interface ILibvirtTransport
{
    ValueTask<Stream> OpenAsync(CancellationToken cancellationToken);
}
