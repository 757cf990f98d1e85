using System.Net.Sockets;
using VMetal.Libvirt.Protocol;
using VMetal.Libvirt.Tests.Fakes;

namespace VMetal.Libvirt.Tests.Transport;

public sealed class TransportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("vmetal-lv-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_missing_helper_command_is_a_connection_error_naming_it()
    {
        var transport = new ProcessTransport("vmetal-no-such-helper", "qemu:///system");

        var error = await Assert.ThrowsAsync<LibvirtConnectionException>(() => LibvirtClient.ConnectAsync(transport, cancellationToken: Ct));

        Assert.Contains("Cannot start the libvirt helper 'vmetal-no-such-helper'", error.Message);
    }

    [Fact]
    public async Task A_helper_that_dies_reports_its_exit_code_and_stderr()
    {
        var transport = new ProcessTransport("sh", "-c", "echo 'error: Failed to connect socket: No such file or directory' >&2; exit 3");

        var error = await Assert.ThrowsAsync<LibvirtConnectionException>(() => LibvirtClient.ConnectAsync(transport, cancellationToken: Ct));

        Assert.Contains("exited with code 3", error.Message);
        Assert.Contains("Failed to connect socket", error.Message);
    }

    [Fact]
    public async Task A_missing_socket_is_reported_as_such()
    {
        var path = Path.Combine(_directory, "nothing-here");

        var error = await Assert.ThrowsAsync<LibvirtConnectionException>(() =>
            LibvirtClient.ConnectAsync(new UnixSocketTransport(path), cancellationToken: Ct));

        Assert.Contains($"'{path}'", error.Message);
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public async Task A_socket_nobody_listens_on_is_reported_as_refused()
    {
        var path = Path.Combine(_directory, "stale-sock");
        using var bound = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bound.Bind(new UnixDomainSocketEndPoint(path)); // a socket file nobody listens on, like a dead daemon's

        var error = await Assert.ThrowsAsync<LibvirtConnectionException>(() =>
            LibvirtClient.ConnectAsync(new UnixSocketTransport(path), cancellationToken: Ct));

        Assert.Contains("connection refused", error.Message);
    }

    [Fact]
    public async Task The_client_speaks_over_a_real_unix_socket()
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.ConnectGetHostname, r => r.ReplyAsync(w => w.WriteString("fake-host")));
        var path = Path.Combine(_directory, "libvirt-sock");
        using var bridge = UnixSocketBridge.Start(path, server);

        await using var client = await LibvirtClient.ConnectAsync(new UnixSocketTransport(path),
            new LibvirtClientOptions { KeepAliveInterval = TimeSpan.Zero }, Ct);

        Assert.Equal("fake-host", await client.GetHostnameAsync(Ct));
    }

    [Fact]
    public async Task The_client_speaks_through_a_helper_process_stdin_and_stdout()
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.ConnectGetHostname, r => r.ReplyAsync(w => w.WriteString("via-socat")));
        var path = Path.Combine(_directory, "libvirt-sock");
        using var bridge = UnixSocketBridge.Start(path, server);

        await using var client = await LibvirtClient.ConnectAsync(new ProcessTransport("socat", "STDIO", $"UNIX-CONNECT:{path}"),
            new LibvirtClientOptions { KeepAliveInterval = TimeSpan.Zero }, Ct);

        Assert.Equal("via-socat", await client.GetHostnameAsync(Ct));
        var all = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => client.GetHostnameAsync(Ct)));
        Assert.All(all, h => Assert.Equal("via-socat", h));
    }

    /// <summary>Accepts one connection on a unix socket and pipes it to a transport (the fake server).</summary>
    private sealed class UnixSocketBridge : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

        public static UnixSocketBridge Start(string path, ILibvirtTransport target)
        {
            var bridge = new UnixSocketBridge();
            bridge._listener.Bind(new UnixDomainSocketEndPoint(path));
            bridge._listener.Listen(1);
            _ = bridge.PumpAsync(target);
            return bridge;
        }

        private async Task PumpAsync(ILibvirtTransport target)
        {
            using var accepted = await _listener.AcceptAsync();
            await using var socket = new NetworkStream(accepted, ownsSocket: false);
            await using var inner = await target.OpenAsync(default);
            await Task.WhenAny(socket.CopyToAsync(inner), inner.CopyToAsync(socket));
        }

        public void Dispose() => _listener.Dispose();
    }
}
