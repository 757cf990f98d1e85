using VMetal.Libvirt;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Libvirt;

/// <summary>Domain lifecycle events from the real daemon.</summary>
public sealed class EventTests(SandboxFixture sandbox)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<(DomainEventType Event, int Detail)>> TakeAsync(
        LibvirtEventStream<DomainLifecycleEvent> events, string name, DomainEventType last)
    {
        var seen = new List<(DomainEventType, int)>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await foreach (var next in events.ReadAllAsync(timeout.Token))
        {
            if (next.Domain.Name != name)
                continue; // other engineers' tests share the daemon
            seen.Add((next.Event, next.Detail));
            if (next.Event == last)
                break;
        }
        return seen;
    }

    [Theory]
    [InlineData(LibvirtRoute.Ssh)]
    [InlineData(LibvirtRoute.Socket)]
    public async Task Define_start_destroy_undefine_each_deliver_a_lifecycle_event(LibvirtRoute route)
    {
        var name = TestNames.Unique("lv");
        await using var client = await LibvirtSandbox.ConnectAsync(sandbox, route, Ct);
        await using var all = await client.SubscribeDomainLifecycleEventsAsync(cancellationToken: Ct);
        try
        {
            // Changes made by someone else (virsh) are seen too: that is what lets the BMC track power state.
            await sandbox.VirshResultAsync(["define", "/dev/stdin"], LibvirtSandbox.DomainXml(name));
            var domain = await client.DomainLookupByNameAsync(name, Ct);
            await using var filtered = await client.SubscribeDomainLifecycleEventsAsync(domain, Ct);
            await client.DomainCreateAsync(domain, cancellationToken: Ct);
            await client.DomainDestroyAsync(domain, cancellationToken: Ct);
            await client.DomainUndefineAsync(domain, cancellationToken: Ct);

            var events = await TakeAsync(all, name, DomainEventType.Undefined);
            Assert.Equal((DomainEventType.Defined, 0), events[0]); // added
            Assert.Contains((DomainEventType.Started, 0), events); // booted
            Assert.Contains((DomainEventType.Stopped, 1), events); // destroyed
            Assert.Equal((DomainEventType.Undefined, 0), events[^1]); // removed
            Assert.True(events.IndexOf((DomainEventType.Started, 0)) < events.IndexOf((DomainEventType.Stopped, 1)));

            var ofThisDomain = await TakeAsync(filtered, name, DomainEventType.Undefined);
            Assert.Equal(events.Skip(1), ofThisDomain);
        }
        finally
        {
            await LibvirtSandbox.CleanupAsync(sandbox, $"destroy {name}", $"undefine {name}");
        }
    }
}
