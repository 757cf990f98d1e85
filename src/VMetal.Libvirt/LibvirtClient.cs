using System.Collections.Concurrent;
using VMetal.Libvirt.Protocol;
using VMetal.Libvirt.Rpc;
using VMetal.Libvirt.Xdr;

namespace VMetal.Libvirt;

/// <summary>
/// A client for libvirt's remote RPC protocol over any duplex stream (see <see cref="ILibvirtTransport"/>).
/// One instance is one libvirt connection; it is safe to use from many tasks at once, and
/// concurrent calls are pipelined on the connection. Methods mirror libvirt's C API names.
/// </summary>
public sealed partial class LibvirtClient : IAsyncDisposable
{
    private const uint ConnectReadOnly = 1;
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private readonly RpcConnection _rpc;
    private readonly ConcurrentDictionary<int, IEventStreamCompletion> _domainEventStreams = new();
    private readonly ConcurrentDictionary<int, IEventStreamCompletion> _networkEventStreams = new();
    private Task<bool>? _networkUpdateHasCorrectOrder;
    private bool _closing;

    private LibvirtClient(Stream stream, LibvirtClientOptions options)
    {
        Options = options;
        _rpc = new RpcConnection(stream, options.TimeProvider, options.CallTimeout, OnEvent);
        _rpc.Closed.ContinueWith(closed => CompleteEventStreams(closed.Result), TaskScheduler.Default);
    }

    public LibvirtClientOptions Options { get; }

    /// <summary>False once the connection has ended (closed, lost, or found dead by keepalive).</summary>
    public bool IsConnected => _rpc.IsOpen;

    /// <summary>Completes, with the reason, when the connection ends for any cause.</summary>
    public Task<LibvirtConnectionException> Closed => _rpc.Closed;

    /// <summary>
    /// Opens a transport, authenticates (none or polkit), enables keepalive and opens
    /// <see cref="LibvirtClientOptions.Uri"/>. A refusal by polkit throws a
    /// <see cref="LibvirtException"/> whose <see cref="LibvirtException.IsAccessDenied"/> is true.
    /// </summary>
    public static async Task<LibvirtClient> ConnectAsync(ILibvirtTransport transport, LibvirtClientOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new LibvirtClientOptions();
        var stream = await transport.OpenAsync(cancellationToken);
        var client = new LibvirtClient(stream, options);
        try
        {
            await client.AuthenticateAsync(cancellationToken);
            if (options.KeepAliveInterval > TimeSpan.Zero &&
                await client.SupportsFeatureAsync((int)DriverFeature.ProgramKeepAlive, cancellationToken))
            {
                client._rpc.StartKeepAlive(options.KeepAliveInterval, options.KeepAliveCount);
            }
            await client.CallAsync(RemoteProcedure.ConnectOpen, (Uri: options.Uri, Flags: options.ReadOnly ? ConnectReadOnly : 0u),
                static (w, a) => { w.WriteOptionalString(a.Uri); w.WriteUInt(a.Flags); }, cancellationToken);
            return client;
        }
        catch (LibvirtException exception) when (exception.IsAccessDenied && exception is not LibvirtConnectionException)
        {
            await client.DisposeAsync();
            throw new LibvirtException(exception.Code, exception.ErrorDomain,
                $"Access denied: libvirt refused to open '{options.Uri}' over {transport}: {exception.Message}", exception);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>Closes the libvirt connection politely (CONNECT_CLOSE), then the transport.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        Volatile.Write(ref _closing, true);
        if (_rpc.IsOpen)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(CloseTimeout);
            try
            {
                await CallAsync(RemoteProcedure.ConnectClose, timeout.Token);
            }
            catch (Exception exception) when (exception is LibvirtException or OperationCanceledException)
            {
                // The transport is closed next whatever libvirtd answered.
            }
        }
        await _rpc.DisposeAsync();
    }

    public async ValueTask DisposeAsync() => await CloseAsync();

    /// <summary>Hypervisor version (e.g. QEMU's), virConnectGetVersion.</summary>
    public async Task<Version> GetVersionAsync(CancellationToken cancellationToken = default) =>
        ToVersion(await CallAsync(RemoteProcedure.ConnectGetVersion, static (ref XdrReader r) => r.ReadUHyper(), cancellationToken));

    /// <summary>libvirt's version on the server, virConnectGetLibVersion.</summary>
    public async Task<Version> GetLibVersionAsync(CancellationToken cancellationToken = default) =>
        ToVersion(await CallAsync(RemoteProcedure.ConnectGetLibVersion, static (ref XdrReader r) => r.ReadUHyper(), cancellationToken));

    public Task<string> GetHostnameAsync(CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.ConnectGetHostname, RemoteTypes.ReadString, cancellationToken);

    /// <summary>The capabilities XML (host CPU, guest architectures and domain types).</summary>
    public Task<string> GetCapabilitiesAsync(CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.ConnectGetCapabilities, RemoteTypes.ReadString, cancellationToken);

    /// <summary>The URI libvirtd opened for this connection.</summary>
    public Task<string> GetUriAsync(CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.ConnectGetUri, RemoteTypes.ReadString, cancellationToken);

    /// <summary>virConnectSupportsFeature with a virDrvFeature number.</summary>
    public Task<bool> SupportsFeatureAsync(int feature, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.ConnectSupportsFeature, feature, static (w, f) => w.WriteInt(f),
            RemoteTypes.ReadIntAsBool, cancellationToken);

    /// <summary>
    /// Calls any procedure of libvirt's REMOTE_PROGRAM by number, for procedures this client
    /// does not wrap. The reply is decoded on the connection's reader loop: keep the decoder fast.
    /// </summary>
    public Task<TResult> CallAsync<TArgs, TResult>(int procedure, TArgs args, XdrEncoder<TArgs> encode,
        XdrDecoder<TResult> decode, CancellationToken cancellationToken = default) =>
        _rpc.CallAsync((RemoteProcedure)procedure, args, encode, decode, cancellationToken);

    private async Task AuthenticateAsync(CancellationToken cancellationToken)
    {
        var offered = await CallAsync(RemoteProcedure.AuthList,
            static (ref XdrReader r) => r.ReadArray(static (ref XdrReader e) => (AuthType)e.ReadInt(), 20), cancellationToken);
        // libvirtd lists what it accepts; an empty list means no authentication is needed.
        if (offered.Length == 0 || offered.Contains(AuthType.None))
            return;
        if (!offered.Contains(AuthType.Polkit))
            throw new LibvirtException(LibvirtErrorCode.AuthFailed, LibvirtErrorDomain.Auth,
                $"libvirtd requires authentication by {string.Join(", ", offered)}, which this client does not support (only none and polkit).");
        await CallAsync(RemoteProcedure.AuthPolkit, RemoteTypes.ReadInt, cancellationToken);
    }

    /// <summary>libvirt encodes versions as major * 1,000,000 + minor * 1,000 + release.</summary>
    internal static Version ToVersion(ulong encoded) =>
        new((int)(encoded / 1_000_000), (int)(encoded / 1_000 % 1_000), (int)(encoded % 1_000));

    private Task<TResult> CallAsync<TArgs, TResult>(RemoteProcedure procedure, TArgs args, XdrEncoder<TArgs> encode,
        XdrDecoder<TResult> decode, CancellationToken cancellationToken) =>
        _rpc.CallAsync(procedure, args, encode, decode, cancellationToken);

    private Task<TResult> CallAsync<TResult>(RemoteProcedure procedure, XdrDecoder<TResult> decode,
        CancellationToken cancellationToken) =>
        _rpc.CallAsync(procedure, (byte)0, RemoteTypes.WriteNothing, decode, cancellationToken);

    private Task CallAsync<TArgs>(RemoteProcedure procedure, TArgs args, XdrEncoder<TArgs> encode,
        CancellationToken cancellationToken) =>
        _rpc.CallAsync(procedure, args, encode, RemoteTypes.ReadNothing, cancellationToken);

    private Task CallAsync(RemoteProcedure procedure, CancellationToken cancellationToken) =>
        _rpc.CallAsync(procedure, (byte)0, RemoteTypes.WriteNothing, RemoteTypes.ReadNothing, cancellationToken);
}
