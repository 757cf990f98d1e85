using VMetal.Libvirt.Protocol;
using VMetal.Libvirt.Rpc;
using VMetal.Libvirt.Tests.Fakes;

namespace VMetal.Libvirt.Tests.Rpc;

public class UploadAndUpdateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly StorageVolumeRef Volume = new("pool", "disk.img", "/pool/disk.img");

    [Fact]
    public async Task Upload_sends_data_as_stream_packets_with_the_calls_serial_then_waits_for_confirmation()
    {
        await using var server = new FakeLibvirtServer();
        var received = new MemoryStream();
        server.Handle(RemoteProcedure.StorageVolUpload, r => r.ReplyAsync());
        await using var client = await server.ConnectClientAsync();
        var content = Enumerable.Range(0, 700_000).Select(i => (byte)(i * 7)).ToArray();

        var upload = client.StorageVolUploadAsync(Volume, new MemoryStream(content), offset: 0, length: 0, Ct);

        var call = await server.NextAsync(RemoteProcedure.StorageVolUpload);
        var args = call.Reader();
        Assert.Equal(Volume, RemoteTypes.ReadStorageVolume(ref args));
        ReceivedFrame packet;
        var packets = 0;
        do
        {
            packet = await server.NextAsync(RemoteProcedure.StorageVolUpload, MessageType.Stream);
            Assert.Equal(call.Header.Serial, packet.Header.Serial);
            received.Write(packet.Payload);
            packets++;
        }
        while (packet.Header.Status == MessageStatus.Continue);
        Assert.Equal(MessageStatus.Ok, packet.Header.Status);
        Assert.Empty(packet.Payload);
        Assert.False(upload.IsCompleted); // waits for libvirtd's confirmation
        await server.SendAsync(packet.Header with { Status = MessageStatus.Ok });

        await upload.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.Equal(content, received.ToArray());
        Assert.Equal(4, packets); // three data chunks of at most 256 KiB, then the end marker
    }

    [Fact]
    public async Task Upload_sends_no_more_than_the_requested_length()
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.StorageVolUpload, r => r.ReplyAsync());
        await using var client = await server.ConnectClientAsync();

        var upload = client.StorageVolUploadAsync(Volume, new MemoryStream(new byte[1000]), offset: 10, length: 300, Ct);

        var data = await server.NextAsync(RemoteProcedure.StorageVolUpload, MessageType.Stream);
        Assert.Equal(300, data.Payload.Length);
        var end = await server.NextAsync(RemoteProcedure.StorageVolUpload, MessageType.Stream);
        Assert.Equal(MessageStatus.Ok, end.Header.Status);
        await server.SendAsync(end.Header);
        await upload.WaitAsync(TimeSpan.FromSeconds(5), Ct);
    }

    [Fact]
    public async Task A_stream_error_from_libvirtd_fails_the_upload_with_its_message()
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.StorageVolUpload, r => r.ReplyAsync());
        await using var client = await server.ConnectClientAsync();

        var upload = client.StorageVolUploadAsync(Volume, new MemoryStream(new byte[10]), cancellationToken: Ct);
        var end = await server.NextAsync(RemoteProcedure.StorageVolUpload, MessageType.Stream);
        end = end.Header.Status == MessageStatus.Ok ? end : await server.NextAsync(RemoteProcedure.StorageVolUpload, MessageType.Stream);
        await server.SendAsync(end.Header with { Status = MessageStatus.Error },
            w => FakeLibvirtServer.WriteError(w, LibvirtErrorCode.SystemError, LibvirtErrorDomain.Streams, "No space left on device"));

        var error = await Assert.ThrowsAsync<LibvirtException>(() => upload.WaitAsync(TimeSpan.FromSeconds(5), Ct));
        Assert.Equal("No space left on device", error.Message);
        Assert.Equal(LibvirtErrorDomain.Streams, error.ErrorDomain);
    }

    [Fact]
    public async Task Cancelling_an_upload_aborts_the_stream_on_the_server()
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.StorageVolUpload, r => r.ReplyAsync());
        await using var client = await server.ConnectClientAsync();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var endless = new EndlessStream(afterFirstChunk: cancel.Cancel);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.StorageVolUploadAsync(Volume, endless, cancellationToken: cancel.Token));

        ReceivedFrame packet;
        do
            packet = await server.NextAsync(RemoteProcedure.StorageVolUpload, MessageType.Stream);
        while (packet.Header.Status == MessageStatus.Continue);
        Assert.Equal(MessageStatus.Error, packet.Header.Status); // abort, not a normal end of data
        Assert.True(client.IsConnected);
    }

    /// <summary>Never ends; runs <paramref name="afterFirstChunk"/> when asked for a second chunk.</summary>
    private sealed class EndlessStream(Action afterFirstChunk) : MemoryStream
    {
        private int _reads;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (++_reads == 2)
                afterFirstChunk();
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(buffer.Length);
        }
    }

    [Fact]
    public async Task A_refused_upload_call_sends_no_data()
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.StorageVolUpload, r => r.ReplyErrorAsync(LibvirtErrorCode.NoStorageVolume, LibvirtErrorDomain.Storage, "no vol"));
        server.Handle(RemoteProcedure.ConnectGetHostname, r => r.ReplyAsync(w => w.WriteString("h")));
        await using var client = await server.ConnectClientAsync();

        var error = await Assert.ThrowsAsync<LibvirtException>(() => client.StorageVolUploadAsync(Volume, new MemoryStream(new byte[10]), cancellationToken: Ct));

        Assert.True(error.IsNotFound);
        Assert.Equal("h", await client.GetHostnameAsync(Ct));
        while (server.Received.TryRead(out var frame))
            Assert.NotEqual(MessageType.Stream, frame.Header.Type); // not even an abort: libvirtd opened no stream
    }

    [Theory]
    [InlineData(1, 3u, 4u)]
    [InlineData(0, 4u, 3u)]
    public async Task Network_update_swaps_command_and_section_only_for_servers_without_the_fix(
        int serverHasFix, uint firstOnWire, uint secondOnWire)
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.ConnectSupportsFeature, r =>
            r.ReplyAsync(w => w.WriteInt(r.Call.Reader().ReadInt() == (int)DriverFeature.NetworkUpdateHasCorrectOrder ? serverHasFix : 1)));
        server.Handle(RemoteProcedure.NetworkUpdate, r => r.ReplyAsync());
        await using var client = await server.ConnectClientAsync();
        var network = new NetworkRef("net", Guid.NewGuid());

        await client.NetworkUpdateAsync(network, NetworkUpdateCommand.AddLast, NetworkUpdateSection.IPDhcpHost, -1,
            "<host mac='52:54:00:00:00:01' ip='198.18.100.10'/>", NetworkUpdateFlags.Live | NetworkUpdateFlags.Config, Ct);

        var args = (await server.NextAsync(RemoteProcedure.NetworkUpdate)).Reader();
        Assert.Equal(network, RemoteTypes.ReadNetwork(ref args));
        Assert.Equal(firstOnWire, args.ReadUInt());
        Assert.Equal(secondOnWire, args.ReadUInt());
        Assert.Equal(-1, args.ReadInt());
        Assert.Equal("<host mac='52:54:00:00:00:01' ip='198.18.100.10'/>", args.ReadString());
        Assert.Equal(3u, args.ReadUInt());
        args.EnsureEnd();
    }

    [Fact]
    public async Task Update_device_sends_the_domain_the_device_xml_and_the_flags()
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.DomainUpdateDeviceFlags, r => r.ReplyAsync());
        await using var client = await server.ConnectClientAsync();
        var domain = new DomainRef("vm", Guid.NewGuid(), 3);
        const string cdrom = "<disk type='file' device='cdrom'><target dev='sda' bus='sata'/></disk>";

        await client.DomainUpdateDeviceAsync(domain, cdrom, DomainDeviceModifyFlags.Live | DomainDeviceModifyFlags.Config, Ct);

        var args = (await server.NextAsync(RemoteProcedure.DomainUpdateDeviceFlags)).Reader();
        Assert.Equal(domain, RemoteTypes.ReadDomain(ref args));
        Assert.Equal(cdrom, args.ReadString());
        Assert.Equal(3u, args.ReadUInt());
        args.EnsureEnd();
    }

    [Fact]
    public async Task A_refused_device_update_throws_libvirts_error()
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.DomainUpdateDeviceFlags, r =>
            r.ReplyErrorAsync(LibvirtErrorCode.OperationInvalid, LibvirtErrorDomain.Domain, "domain is not running"));
        await using var client = await server.ConnectClientAsync();

        var error = await Assert.ThrowsAsync<LibvirtException>(() =>
            client.DomainUpdateDeviceAsync(new DomainRef("vm", Guid.NewGuid(), -1), "<disk/>", DomainDeviceModifyFlags.Live, Ct));

        Assert.True(error.IsOperationInvalid);
        Assert.Equal("domain is not running", error.Message);
    }
}
