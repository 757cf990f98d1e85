using System.Collections.Concurrent;
using VMetal.Libvirt.Protocol;
using VMetal.Libvirt.Rpc;
using VMetal.Libvirt.Tests.Fakes;

namespace VMetal.Libvirt.Tests.Rpc;

public class MultiplexingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void WriteDomain(VMetal.Libvirt.Xdr.XdrWriter writer, string name, int id) =>
        RemoteTypes.WriteDomain(writer, new DomainRef(name, Guid.Empty, id));

    [Fact]
    public async Task Replies_sent_in_reverse_order_with_events_between_them_reach_their_own_callers()
    {
        await using var server = new FakeLibvirtServer();
        var waiting = new ConcurrentQueue<FakeRequest>();
        const int callers = 50;
        var allArrived = new TaskCompletionSource();
        server.Handle(RemoteProcedure.DomainLookupByName, r =>
        {
            waiting.Enqueue(r);
            if (waiting.Count == callers)
                allArrived.SetResult();
            return ValueTask.CompletedTask;
        });
        await using var client = await server.ConnectClientAsync();
        await using var events = await client.SubscribeDomainLifecycleEventsAsync(cancellationToken: Ct);
        var callbackId = events.CallbackId;

        var lookups = Enumerable.Range(0, callers).Select(i => client.DomainLookupByNameAsync($"vm{i}", Ct)).ToArray();
        await allArrived.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        foreach (var request in waiting.Reverse())
        {
            var name = request.Call.Reader().ReadString();
            await request.ReplyAsync(w => WriteDomain(w, name, int.Parse(name[2..])));
            await server.SendEventAsync(RemoteProcedure.DomainEventCallbackLifecycle, w =>
            {
                w.WriteInt(callbackId);
                WriteDomain(w, name, -1);
                w.WriteInt((int)DomainEventType.Defined);
                w.WriteInt(0);
            });
        }

        var results = await Task.WhenAll(lookups);
        for (var i = 0; i < callers; i++)
        {
            Assert.Equal($"vm{i}", results[i].Name);
            Assert.Equal(i, results[i].Id);
        }
        var received = new List<string>();
        for (var i = 0; i < callers; i++)
            received.Add((await events.Reader.ReadAsync(Ct)).Domain.Name);
        Assert.Equal(waiting.Reverse().Select(r => r.Call.Reader().ReadString()), received);
    }

    [Fact]
    public async Task Concurrent_callers_get_distinct_serials()
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.ConnectGetHostname, r => r.ReplyAsync(w => w.WriteString("h")));
        await using var client = await server.ConnectClientAsync();

        await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => client.GetHostnameAsync(Ct), Ct)));

        var serials = new List<uint>();
        while (server.Received.TryRead(out var frame))
            serials.Add(frame.Header.Serial);
        Assert.Equal(serials.Count, serials.Distinct().Count());
        Assert.True(serials.Count >= 200);
    }

    [Fact]
    public async Task Error_replies_carry_libvirts_code_domain_and_message()
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.DomainLookupByName, r => r.ReplyErrorAsync(LibvirtErrorCode.NoDomain, LibvirtErrorDomain.Qemu,
            "Domain not found: no domain with matching name 'ghost'"));
        await using var client = await server.ConnectClientAsync();

        var error = await Assert.ThrowsAsync<LibvirtException>(() => client.DomainLookupByNameAsync("ghost", Ct));

        Assert.Equal(LibvirtErrorCode.NoDomain, error.Code);
        Assert.Equal(42, (int)error.Code);
        Assert.Equal(LibvirtErrorDomain.Qemu, error.ErrorDomain);
        Assert.Equal("Domain not found: no domain with matching name 'ghost'", error.Message);
        Assert.True(error.IsNotFound);
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task A_reply_that_does_not_match_the_procedure_fails_only_that_call()
    {
        await using var server = new FakeLibvirtServer();
        server.Handle(RemoteProcedure.ConnectGetHostname, r => r.ReplyAsync(w => { w.WriteString("h"); w.WriteInt(7); }));
        server.Handle(RemoteProcedure.ConnectGetUri, r => r.ReplyAsync(w => w.WriteString("qemu:///system")));
        await using var client = await server.ConnectClientAsync();

        var error = await Assert.ThrowsAsync<LibvirtException>(() => client.GetHostnameAsync(Ct));

        Assert.Equal(LibvirtErrorCode.Rpc, error.Code);
        Assert.Contains("ConnectGetHostname", error.Message);
        Assert.Equal("qemu:///system", await client.GetUriAsync(Ct));
    }

    [Fact]
    public async Task Cancelling_a_call_leaves_the_connection_usable_and_drops_the_late_reply()
    {
        await using var server = new FakeLibvirtServer();
        var held = new TaskCompletionSource<FakeRequest>();
        server.Handle(RemoteProcedure.DomainLookupByName, r => { held.SetResult(r); return ValueTask.CompletedTask; });
        server.Handle(RemoteProcedure.ConnectGetHostname, r => r.ReplyAsync(w => w.WriteString("host")));
        await using var client = await server.ConnectClientAsync();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var lookup = client.DomainLookupByNameAsync("slow", cancel.Token);
        var request = await held.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => lookup);
        await request.ReplyAsync(w => WriteDomain(w, "slow", 1)); // arrives after the caller gave up
        Assert.Equal("host", await client.GetHostnameAsync(Ct));
    }

    [Fact]
    public async Task A_call_without_reply_times_out_with_a_timeout_error()
    {
        await using var server = new FakeLibvirtServer();
        var arrived = new TaskCompletionSource();
        server.Handle(RemoteProcedure.DomainLookupByName, _ => { arrived.SetResult(); return ValueTask.CompletedTask; });
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var client = await server.ConnectClientAsync(new LibvirtClientOptions
        {
            KeepAliveInterval = TimeSpan.Zero, CallTimeout = TimeSpan.FromSeconds(30), TimeProvider = time,
        });

        var lookup = client.DomainLookupByNameAsync("stuck", Ct);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        time.Advance(TimeSpan.FromSeconds(31));

        var error = await Assert.ThrowsAsync<LibvirtException>(() => lookup);
        Assert.True(error.IsTimeout);
        Assert.Contains("DomainLookupByName", error.Message);
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task Server_pings_are_answered_with_pongs()
    {
        await using var server = new FakeLibvirtServer();
        await using var client = await server.ConnectClientAsync();

        await server.SendKeepAliveAsync(RpcConstants.KeepAlivePing);

        var pong = await server.NextKeepAliveAsync(RpcConstants.KeepAlivePong);
        Assert.Equal(MessageType.Message, pong.Header.Type);
        Assert.Empty(pong.Payload);
    }
}
