using System.Collections.Concurrent;
using VMetal.Libvirt.Protocol;
using VMetal.Libvirt.Xdr;

namespace VMetal.Libvirt;

public sealed partial class LibvirtClient
{
    private const int DomainEventIdLifecycle = 0;
    private const int DomainEventIdReboot = 1;
    private const int NetworkEventIdLifecycle = 0;

    /// <summary>Lifecycle events (defined, started, stopped, undefined...) of one domain, or of all when null.</summary>
    public Task<LibvirtEventStream<DomainLifecycleEvent>> SubscribeDomainLifecycleEventsAsync(DomainRef? domain = null,
        CancellationToken cancellationToken = default) =>
        SubscribeDomainEventsAsync<DomainLifecycleEvent>(DomainEventIdLifecycle, domain, cancellationToken);

    /// <summary>Guest reboots of one domain, or of all when null.</summary>
    public Task<LibvirtEventStream<DomainRebootEvent>> SubscribeDomainRebootEventsAsync(DomainRef? domain = null,
        CancellationToken cancellationToken = default) =>
        SubscribeDomainEventsAsync<DomainRebootEvent>(DomainEventIdReboot, domain, cancellationToken);

    /// <summary>Lifecycle events of one network, or of all when null.</summary>
    public Task<LibvirtEventStream<NetworkLifecycleEvent>> SubscribeNetworkLifecycleEventsAsync(NetworkRef? network = null,
        CancellationToken cancellationToken = default) =>
        SubscribeAsync<NetworkLifecycleEvent, NetworkRef>(RemoteProcedure.ConnectNetworkEventRegisterAny,
            RemoteProcedure.ConnectNetworkEventDeregisterAny, _networkEventStreams, NetworkEventIdLifecycle, network,
            RemoteTypes.WriteNetwork, cancellationToken);

    private Task<LibvirtEventStream<T>> SubscribeDomainEventsAsync<T>(int eventId, DomainRef? domain,
        CancellationToken cancellationToken) =>
        SubscribeAsync<T, DomainRef>(RemoteProcedure.ConnectDomainEventCallbackRegisterAny,
            RemoteProcedure.ConnectDomainEventCallbackDeregisterAny, _domainEventStreams, eventId, domain,
            RemoteTypes.WriteDomain, cancellationToken);

    private async Task<LibvirtEventStream<T>> SubscribeAsync<T, TObject>(RemoteProcedure register, RemoteProcedure deregister,
        ConcurrentDictionary<int, IEventStreamCompletion> streams, int eventId, TObject? filter, XdrEncoder<TObject> writeFilter,
        CancellationToken cancellationToken) where TObject : class
    {
        var stream = new LibvirtEventStream<T>(s => DeregisterAsync(deregister, streams, s.CallbackId));
        // The reply is decoded on the reader loop, so the stream is registered before the
        // next frame (possibly its first event) is dispatched.
        await CallAsync(register, (EventId: eventId, Filter: filter, Write: writeFilter),
            static (w, a) => { w.WriteInt(a.EventId); w.WriteOptional(a.Filter, a.Write); },
            (ref XdrReader r) =>
            {
                stream.CallbackId = r.ReadInt();
                streams[stream.CallbackId] = stream;
                return true;
            }, cancellationToken);
        return stream;
    }

    private async ValueTask DeregisterAsync(RemoteProcedure deregister, ConcurrentDictionary<int, IEventStreamCompletion> streams, int callbackId)
    {
        if (!streams.TryRemove(callbackId, out _) || !_rpc.IsOpen)
            return;
        try
        {
            await CallAsync(deregister, callbackId, static (w, id) => w.WriteInt(id), CancellationToken.None);
        }
        catch (LibvirtException)
        {
            // The connection ended meanwhile (libvirtd dropped the callback with it), or the
            // callback is gone already: either way nothing is left to deregister.
        }
    }

    /// <summary>Routes an event frame to its stream by callback id; runs on the reader loop.</summary>
    private void OnEvent(RemoteProcedure procedure, ReadOnlySpan<byte> payload)
    {
        var reader = new XdrReader(payload);
        try
        {
            switch (procedure)
            {
                case RemoteProcedure.DomainEventCallbackLifecycle:
                {
                    var callbackId = reader.ReadInt();
                    var domain = RemoteTypes.ReadDomain(ref reader);
                    var lifecycle = new DomainLifecycleEvent(domain, (DomainEventType)reader.ReadInt(), reader.ReadInt());
                    Publish(_domainEventStreams, callbackId, lifecycle);
                    break;
                }
                case RemoteProcedure.DomainEventCallbackReboot:
                {
                    var callbackId = reader.ReadInt();
                    Publish(_domainEventStreams, callbackId, new DomainRebootEvent(RemoteTypes.ReadDomain(ref reader)));
                    break;
                }
                case RemoteProcedure.NetworkEventLifecycle:
                {
                    var callbackId = reader.ReadInt();
                    var network = RemoteTypes.ReadNetwork(ref reader);
                    var lifecycle = new NetworkLifecycleEvent(network, (NetworkEventType)reader.ReadInt(), reader.ReadInt());
                    Publish(_networkEventStreams, callbackId, lifecycle);
                    break;
                }
            }
        }
        catch (LibvirtException)
        {
            // A malformed event is dropped; it must not take the connection down.
        }
    }

    private static void Publish<T>(ConcurrentDictionary<int, IEventStreamCompletion> streams, int callbackId, T item)
    {
        if (streams.TryGetValue(callbackId, out var stream) && stream is LibvirtEventStream<T> typed)
            typed.Publish(item);
    }

    /// <summary>Ends every event stream: cleanly after <see cref="CloseAsync"/>, with the reason after a failure.</summary>
    private void CompleteEventStreams(LibvirtConnectionException reason)
    {
        var error = Volatile.Read(ref _closing) ? null : reason;
        foreach (var streams in new[] { _domainEventStreams, _networkEventStreams })
        {
            foreach (var stream in streams.Values)
                stream.Complete(error);
            streams.Clear();
        }
    }
}
