namespace VMetal.Libvirt;

/// <summary>
/// Opens the byte stream that carries libvirt's RPC protocol: a unix socket, a helper
/// process's stdin/stdout, an SSH exec channel... The client owns and disposes the stream.
/// Failures to open should be reported as <see cref="LibvirtConnectionException"/>.
/// </summary>
public interface ILibvirtTransport
{
    ValueTask<Stream> OpenAsync(CancellationToken cancellationToken);
}
