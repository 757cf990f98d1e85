using System.Text;
using VMetal.Libvirt.Protocol;
using VMetal.Libvirt.Rpc;
using VMetal.Libvirt.Tests.Fakes;

namespace VMetal.Libvirt.Tests.Rpc;

public class ConsoleStreamTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly DomainRef Domain = new("vm", Guid.NewGuid(), 7);

    /// <summary>Answers DOMAIN_OPEN_CONSOLE, then sends <paramref name="output"/> as STREAM CONTINUE packets right behind the reply.</summary>
    private static void OpenConsoleSending(FakeLibvirtServer server, params string[] output)
    {
        server.ConfirmStreamCloses = true;
        server.Handle(RemoteProcedure.DomainOpenConsole, async r =>
        {
            await r.ReplyAsync();
            foreach (var text in output)
                await SendDataAsync(server, r.Call, text);
        });
    }

    private static Task SendDataAsync(FakeLibvirtServer server, ReceivedFrame call, string text) =>
        server.SendAsync(call.Header with { Type = MessageType.Stream, Status = MessageStatus.Continue }, w => w.WriteRaw(Encoding.ASCII.GetBytes(text)));

    private static Task SendEndAsync(FakeLibvirtServer server, ReceivedFrame call) =>
        server.SendAsync(call.Header with { Type = MessageType.Stream, Status = MessageStatus.Ok });

    private static async Task<string> ReadToEndAsync(LibvirtStream stream)
    {
        var text = new StringBuilder();
        var buffer = new byte[3]; // smaller than a packet: reads must continue inside one
        int read;
        while ((read = await stream.ReadAsync(buffer, Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Ct)) > 0)
            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        return text.ToString();
    }

    [Fact]
    public async Task Open_console_sends_the_domain_device_and_flags_and_reads_the_guests_output_until_the_end_of_data()
    {
        await using var server = new FakeLibvirtServer();
        OpenConsoleSending(server, "SeaBIOS (version 1.16)\r\n", "iPXE 1.21\r\n");
        await using var client = await server.ConnectClientAsync();

        await using var console = await client.DomainOpenConsoleAsync(Domain, null, DomainConsoleFlags.Force, cancellationToken: Ct);

        var call = await server.NextAsync(RemoteProcedure.DomainOpenConsole);
        var args = call.Reader();
        Assert.Equal(Domain, RemoteTypes.ReadDomain(ref args));
        Assert.Null(args.ReadOptionalString());
        Assert.Equal((uint)DomainConsoleFlags.Force, args.ReadUInt());
        await SendEndAsync(server, call);
        Assert.Equal("SeaBIOS (version 1.16)\r\niPXE 1.21\r\n", await ReadToEndAsync(console));
        Assert.Equal(0, await console.ReadAsync(new byte[10], Ct)); // stays at the end
    }

    [Fact]
    public async Task Writes_go_out_as_stream_data_packets_with_the_calls_serial()
    {
        await using var server = new FakeLibvirtServer();
        OpenConsoleSending(server);
        await using var client = await server.ConnectClientAsync();
        await using var console = await client.DomainOpenConsoleAsync(Domain, "serial0", cancellationToken: Ct);
        var call = await server.NextAsync(RemoteProcedure.DomainOpenConsole);

        await console.WriteAsync("root\r"u8.ToArray(), Ct);

        var data = await server.NextAsync(RemoteProcedure.DomainOpenConsole, MessageType.Stream);
        Assert.Equal(call.Header.Serial, data.Header.Serial);
        Assert.Equal(MessageStatus.Continue, data.Header.Status);
        Assert.Equal("root\r"u8.ToArray(), data.Payload);
    }

    [Fact]
    public async Task Abort_sends_a_stream_error_packet_waits_for_libvirtds_confirmation_and_discards_unread_data()
    {
        await using var server = new FakeLibvirtServer();
        OpenConsoleSending(server, "never read");
        server.ConfirmStreamCloses = false;
        server.Handle(RemoteProcedure.ConnectGetVersion, r => r.ReplyAsync(w => w.WriteUHyper(9_000_000)));
        await using var client = await server.ConnectClientAsync();
        var console = await client.DomainOpenConsoleAsync(Domain, cancellationToken: Ct);
        var call = await server.NextAsync(RemoteProcedure.DomainOpenConsole);
        await client.GetVersionAsync(Ct); // answered after the data: it has been received

        var abort = console.AbortAsync(Ct);

        var packet = await server.NextAsync(RemoteProcedure.DomainOpenConsole, MessageType.Stream);
        Assert.Equal((call.Header.Serial, MessageStatus.Error), (packet.Header.Serial, packet.Header.Status));
        Assert.Empty(packet.Payload);
        await Task.Delay(50, Ct);
        Assert.False(abort.IsCompleted);
        await SendEndAsync(server, call); // libvirtd confirms with an empty OK packet
        await abort.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.Equal(0, await console.ReadAsync(new byte[10], Ct));
        await Assert.ThrowsAsync<LibvirtException>(() => console.WriteAsync("x"u8.ToArray(), Ct));
        await console.DisposeAsync(); // closed already: completes at once
    }

    [Fact]
    public async Task Finish_after_the_guest_hung_up_sends_the_end_marker_and_completes_on_confirmation()
    {
        await using var server = new FakeLibvirtServer();
        OpenConsoleSending(server, "bye");
        server.ConfirmStreamCloses = false;
        await using var client = await server.ConnectClientAsync();
        var console = await client.DomainOpenConsoleAsync(Domain, cancellationToken: Ct);
        var call = await server.NextAsync(RemoteProcedure.DomainOpenConsole);
        await SendEndAsync(server, call); // the domain stopped
        Assert.Equal("bye", await ReadToEndAsync(console));

        var finish = console.FinishAsync(Ct);

        var packet = await server.NextAsync(RemoteProcedure.DomainOpenConsole, MessageType.Stream);
        Assert.Equal(MessageStatus.Ok, packet.Header.Status);
        await SendEndAsync(server, call);
        await finish.WaitAsync(TimeSpan.FromSeconds(5), Ct);
    }

    [Fact]
    public async Task A_stream_error_fails_reads_and_writes_with_libvirts_message()
    {
        await using var server = new FakeLibvirtServer();
        OpenConsoleSending(server, "partial ");
        await using var client = await server.ConnectClientAsync();
        await using var console = await client.DomainOpenConsoleAsync(Domain, cancellationToken: Ct);
        var call = await server.NextAsync(RemoteProcedure.DomainOpenConsole);

        await server.SendAsync(call.Header with { Type = MessageType.Stream, Status = MessageStatus.Error },
            w => FakeLibvirtServer.WriteError(w, LibvirtErrorCode.SystemError, LibvirtErrorDomain.Streams, "cannot read from pty: I/O error"));

        var error = await Assert.ThrowsAsync<LibvirtException>(() => ReadToEndAsync(console));
        Assert.Equal("cannot read from pty: I/O error", error.Message);
        Assert.Equal(LibvirtErrorCode.SystemError, error.Code);
        await Assert.ThrowsAsync<LibvirtException>(() => console.WriteAsync("x"u8.ToArray(), Ct));
    }

    [Fact]
    public async Task An_error_reply_with_the_streams_serial_after_it_opened_fails_the_stream()
    {
        await using var server = new FakeLibvirtServer();
        OpenConsoleSending(server);
        await using var client = await server.ConnectClientAsync();
        await using var console = await client.DomainOpenConsoleAsync(Domain, cancellationToken: Ct);
        var call = await server.NextAsync(RemoteProcedure.DomainOpenConsole);

        // How libvirtd reports a write to the guest that failed.
        await server.ReplyErrorAsync(call, LibvirtErrorCode.SystemError, LibvirtErrorDomain.Streams, "cannot write to pty");

        var error = await Assert.ThrowsAsync<LibvirtException>(async () => await console.ReadAsync(new byte[4], Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Ct));
        Assert.Equal("cannot write to pty", error.Message);
    }

    [Fact]
    public async Task A_domain_that_is_not_running_is_refused_as_an_invalid_operation()
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.DomainOpenConsole,
            r => r.ReplyErrorAsync(LibvirtErrorCode.OperationInvalid, LibvirtErrorDomain.Qemu, "domain is not running"));
        await using var client = await server.ConnectClientAsync();

        var error = await Assert.ThrowsAsync<LibvirtException>(() => client.DomainOpenConsoleAsync(Domain, cancellationToken: Ct));

        Assert.True(error.IsOperationInvalid);
        Assert.Equal("domain is not running", error.Message);
    }

    [Fact]
    public async Task Unread_output_beyond_the_buffer_drops_the_oldest_packets_and_keeps_the_connection_serving_calls()
    {
        await using var server = new FakeLibvirtServer();
        OpenConsoleSending(server, [.. Enumerable.Range(0, 10).Select(i => $"<{i}>")]);
        server.Handle(RemoteProcedure.ConnectGetVersion, r => r.ReplyAsync(w => w.WriteUHyper(9_000_000)));
        await using var client = await server.ConnectClientAsync();
        await using var console = await client.DomainOpenConsoleAsync(Domain, bufferedPackets: 4, cancellationToken: Ct);
        var call = await server.NextAsync(RemoteProcedure.DomainOpenConsole);

        Assert.Equal(new Version(9, 0, 0), await client.GetVersionAsync(Ct)); // answered after the ten packets
        await SendEndAsync(server, call);

        Assert.Equal("<6><7><8><9>", await ReadToEndAsync(console));
    }

    [Fact]
    public async Task A_lost_connection_ends_reads_with_a_connection_error()
    {
        await using var server = new FakeLibvirtServer();
        OpenConsoleSending(server);
        await using var client = await server.ConnectClientAsync();
        await using var console = await client.DomainOpenConsoleAsync(Domain, cancellationToken: Ct);

        await server.CloseAsync();

        await Assert.ThrowsAsync<LibvirtConnectionException>(async () => await console.ReadAsync(new byte[4], Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Ct));
    }
}
