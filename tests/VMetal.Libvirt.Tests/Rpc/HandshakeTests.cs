using VMetal.Libvirt.Protocol;
using VMetal.Libvirt.Tests.Fakes;
using VMetal.Libvirt.Xdr;

namespace VMetal.Libvirt.Tests.Rpc;

public class HandshakeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Connect_lists_auth_asks_for_keepalive_then_opens_the_uri()
    {
        await using var server = new FakeLibvirtServer();

        await using var client = await LibvirtClient.ConnectAsync(server,
            new LibvirtClientOptions { Uri = "qemu:///session", ReadOnly = true }, Ct);

        Assert.Equal(RemoteProcedure.AuthList, (await server.NextAsync(RemoteProcedure.AuthList)).Procedure);
        var feature = await server.NextAsync(RemoteProcedure.ConnectSupportsFeature);
        Assert.Equal((int)DriverFeature.ProgramKeepAlive, feature.Reader().ReadInt());
        var open = (await server.NextAsync(RemoteProcedure.ConnectOpen)).Reader();
        Assert.Equal("qemu:///session", open.ReadOptionalString());
        Assert.Equal(1u, open.ReadUInt()); // VIR_CONNECT_RO
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task Polkit_is_used_when_it_is_the_only_method_offered()
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.AuthList, r => r.ReplyAsync(w => w.WriteArray([(int)AuthType.Polkit], static (x, v) => x.WriteInt(v))));
        server.Handle(RemoteProcedure.AuthPolkit, r => r.ReplyAsync(w => w.WriteInt(1)));

        await using var client = await server.ConnectClientAsync();

        await server.NextAsync(RemoteProcedure.AuthPolkit);
        await server.NextAsync(RemoteProcedure.ConnectOpen);
    }

    [Fact]
    public async Task Polkit_refusal_is_a_clear_access_denied_error_with_libvirts_message()
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.AuthList, r => r.ReplyAsync(w => w.WriteArray([(int)AuthType.Polkit], static (x, v) => x.WriteInt(v))));
        server.Handle(RemoteProcedure.AuthPolkit, r => r.ReplyErrorAsync(LibvirtErrorCode.AuthUnavailable, LibvirtErrorDomain.Polkit,
            "authentication unavailable: no polkit agent available to authenticate action 'org.libvirt.unix.manage'"));

        var error = await Assert.ThrowsAsync<LibvirtException>(() => server.ConnectClientAsync());

        Assert.True(error.IsAccessDenied);
        Assert.IsNotType<LibvirtConnectionException>(error);
        Assert.Equal(LibvirtErrorCode.AuthUnavailable, error.Code);
        Assert.StartsWith("Access denied", error.Message);
        Assert.Contains("no polkit agent available", error.Message);
    }

    [Fact]
    public async Task Sasl_only_servers_are_refused_with_an_explanation()
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.AuthList, r => r.ReplyAsync(w => w.WriteArray([(int)AuthType.Sasl], static (x, v) => x.WriteInt(v))));

        var error = await Assert.ThrowsAsync<LibvirtException>(() => server.ConnectClientAsync());

        Assert.Contains("Sasl", error.Message);
        Assert.Contains("only none and polkit", error.Message);
    }

    [Fact]
    public async Task Keepalive_is_not_started_when_the_server_does_not_support_it()
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.ConnectSupportsFeature, r => r.ReplyAsync(w => w.WriteInt(0)));
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();

        await using var client = await server.ConnectClientAsync(new LibvirtClientOptions
        {
            KeepAliveInterval = TimeSpan.FromSeconds(5), KeepAliveCount = 1, TimeProvider = time,
        });
        time.Advance(TimeSpan.FromMinutes(5));

        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task Close_sends_connect_close_and_ends_the_connection()
    {
        await using var server = new FakeLibvirtServer();
        var client = await server.ConnectClientAsync();

        await client.CloseAsync(Ct);

        await server.NextAsync(RemoteProcedure.ConnectClose);
        Assert.False(client.IsConnected);
        var error = await Assert.ThrowsAsync<LibvirtConnectionException>(() => client.GetHostnameAsync(Ct));
        Assert.Contains("closed by the client", error.Message);
    }

    [Fact]
    public async Task Versions_are_decoded_from_libvirts_integer_encoding()
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.ConnectGetLibVersion, r => r.ReplyAsync(w => w.WriteUHyper(9_000_000)));
        server.Handle(RemoteProcedure.ConnectGetVersion, r => r.ReplyAsync(w => w.WriteUHyper(7_002_022)));
        await using var client = await server.ConnectClientAsync();

        Assert.Equal(new Version(9, 0, 0), await client.GetLibVersionAsync(Ct));
        Assert.Equal(new Version(7, 2, 22), await client.GetVersionAsync(Ct));
    }

    [Fact]
    public async Task Unwrapped_procedures_can_be_called_by_number()
    {
        await using var server = new FakeLibvirtServer();
        const int connectGetType = 3;
        server.Handle((RemoteProcedure)connectGetType, r => r.ReplyAsync(w => w.WriteString("QEMU")));
        await using var client = await server.ConnectClientAsync();

        var type = await client.CallAsync(connectGetType, 0, static (_, _) => { }, static (ref XdrReader r) => r.ReadString(), Ct);

        Assert.Equal("QEMU", type);
    }
}
