using VMetal.Libvirt.Protocol;
using VMetal.Libvirt.Rpc;
using VMetal.Libvirt.Tests.Fakes;
using VMetal.Libvirt.Xdr;

namespace VMetal.Libvirt.Tests.Rpc;

public class EventTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly DomainRef Vm = new("vm1", Guid.Parse("c7a5fdbd-cdaf-9455-926a-d65c16db1809"), 3);

    private static Action<XdrWriter> Lifecycle(int callbackId, DomainEventType type, int detail) => w =>
    {
        w.WriteInt(callbackId);
        RemoteTypes.WriteDomain(w, Vm);
        w.WriteInt((int)type);
        w.WriteInt(detail);
    };

    [Fact]
    public async Task An_event_sent_right_behind_the_registration_reply_is_not_lost()
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.ConnectDomainEventCallbackRegisterAny, async r =>
        {
            // Reply and first event in one write: the client must route the event to the new stream.
            var reply = FakeLibvirtServer.Frame(r.Call.Header with { Type = MessageType.Reply }, w => w.WriteInt(7));
            var @event = FakeLibvirtServer.Frame(new MessageHeader(RpcConstants.RemoteProgram, 1,
                (int)RemoteProcedure.DomainEventCallbackLifecycle, MessageType.Message, 0, MessageStatus.Ok),
                Lifecycle(7, DomainEventType.Started, 0));
            await server.SendRawAsync(reply.Concat(@event).ToArray());
        });
        await using var client = await server.ConnectClientAsync();

        await using var events = await client.SubscribeDomainLifecycleEventsAsync(Vm, Ct);

        var first = await events.Reader.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.Equal(new DomainLifecycleEvent(Vm, DomainEventType.Started, 0), first);
        var register = (await server.NextAsync(RemoteProcedure.ConnectDomainEventCallbackRegisterAny)).Reader();
        Assert.Equal(0, register.ReadInt()); // VIR_DOMAIN_EVENT_ID_LIFECYCLE
        Assert.Equal(Vm, register.ReadOptional(RemoteTypes.ReadDomain));
    }

    [Fact]
    public async Task Events_go_to_the_stream_of_their_callback_id_only()
    {
        await using var server = new FakeLibvirtServer();
        await using var client = await server.ConnectClientAsync();
        await using var lifecycle = await client.SubscribeDomainLifecycleEventsAsync(cancellationToken: Ct);
        await using var reboots = await client.SubscribeDomainRebootEventsAsync(cancellationToken: Ct);
        await using var networks = await client.SubscribeNetworkLifecycleEventsAsync(cancellationToken: Ct);

        await server.SendEventAsync(RemoteProcedure.DomainEventCallbackReboot, w => { w.WriteInt(reboots.CallbackId); RemoteTypes.WriteDomain(w, Vm); });
        await server.SendEventAsync(RemoteProcedure.DomainEventCallbackLifecycle, Lifecycle(lifecycle.CallbackId, DomainEventType.Stopped, 1));
        await server.SendEventAsync(RemoteProcedure.DomainEventCallbackLifecycle, Lifecycle(9999, DomainEventType.Started, 0));
        await server.SendEventAsync(RemoteProcedure.NetworkEventLifecycle, w =>
        {
            w.WriteInt(networks.CallbackId);
            RemoteTypes.WriteNetwork(w, new NetworkRef("n1", Guid.Empty));
            w.WriteInt((int)NetworkEventType.Started);
            w.WriteInt(0);
        });

        Assert.Equal(new DomainRebootEvent(Vm), await reboots.Reader.ReadAsync(Ct));
        Assert.Equal(new DomainLifecycleEvent(Vm, DomainEventType.Stopped, 1), await lifecycle.Reader.ReadAsync(Ct));
        Assert.Equal(new NetworkLifecycleEvent(new NetworkRef("n1", Guid.Empty), NetworkEventType.Started, 0), await networks.Reader.ReadAsync(Ct));
        Assert.False(lifecycle.Reader.TryRead(out _)); // the event for callback 9999 went nowhere
        Assert.NotEqual(lifecycle.CallbackId, reboots.CallbackId);
    }

    [Fact]
    public async Task Disposing_a_stream_deregisters_its_callback_and_completes_it()
    {
        await using var server = new FakeLibvirtServer();
        await using var client = await server.ConnectClientAsync();
        var events = await client.SubscribeDomainLifecycleEventsAsync(cancellationToken: Ct);

        await events.DisposeAsync();

        var deregister = await server.NextAsync(RemoteProcedure.ConnectDomainEventCallbackDeregisterAny);
        Assert.Equal(events.CallbackId, deregister.Reader().ReadInt());
        await events.Reader.Completion.WaitAsync(TimeSpan.FromSeconds(5), Ct);
    }

    [Fact]
    public async Task A_malformed_event_is_dropped_without_harming_the_connection()
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.ConnectGetHostname, r => r.ReplyAsync(w => w.WriteString("h")));
        await using var client = await server.ConnectClientAsync();
        await using var events = await client.SubscribeDomainLifecycleEventsAsync(cancellationToken: Ct);

        await server.SendEventAsync(RemoteProcedure.DomainEventCallbackLifecycle, w => w.WriteInt(events.CallbackId));

        Assert.Equal("h", await client.GetHostnameAsync(Ct));
        Assert.False(events.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Closing_the_client_completes_event_streams_without_error()
    {
        await using var server = new FakeLibvirtServer();
        var client = await server.ConnectClientAsync();
        var events = await client.SubscribeDomainLifecycleEventsAsync(cancellationToken: Ct);

        await client.CloseAsync(Ct);

        await events.Reader.Completion.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        await events.DisposeAsync(); // nothing left to deregister; must not throw
    }
}
