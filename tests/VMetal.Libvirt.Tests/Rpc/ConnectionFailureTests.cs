using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using VMetal.Libvirt.Protocol;
using VMetal.Libvirt.Rpc;
using VMetal.Libvirt.Tests.Fakes;

namespace VMetal.Libvirt.Tests.Rpc;

public class ConnectionFailureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Starts <paramref name="count"/> lookups the server never answers, and waits until all arrived.</summary>
    private static async Task<Task<DomainRef>[]> StartUnansweredLookupsAsync(FakeLibvirtServer server, LibvirtClient client, int count)
    {
        var arrived = 0;
        var allArrived = new TaskCompletionSource();
        server.Handle(RemoteProcedure.DomainLookupByName, _ =>
        {
            if (Interlocked.Increment(ref arrived) == count)
                allArrived.SetResult();
            return ValueTask.CompletedTask;
        });
        var lookups = Enumerable.Range(0, count).Select(i => client.DomainLookupByNameAsync($"vm{i}", Ct)).ToArray();
        await allArrived.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        return lookups;
    }

    private static async Task AssertAllFailPromptlyAsync(Task<DomainRef>[] calls, string expectedText)
    {
        var clock = Stopwatch.StartNew();
        foreach (var call in calls)
        {
            var error = await Assert.ThrowsAsync<LibvirtConnectionException>(() => call.WaitAsync(TimeSpan.FromSeconds(5), Ct));
            Assert.Contains(expectedText, error.ToString());
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"pending calls took {clock.Elapsed} to fail");
    }

    [Fact]
    public async Task A_peer_that_closes_mid_frame_fails_every_pending_call_with_a_connection_error()
    {
        await using var server = new FakeLibvirtServer();
        await using var client = await server.ConnectClientAsync();
        var pending = await StartUnansweredLookupsAsync(server, client, 10);
        await using var events = await client.SubscribeDomainLifecycleEventsAsync(cancellationToken: Ct);

        var frame = FakeLibvirtServer.Frame(new MessageHeader(RpcConstants.RemoteProgram, 1,
            (int)RemoteProcedure.DomainLookupByName, MessageType.Reply, 1, MessageStatus.Ok), w => w.WriteString(new string('x', 500)));
        await server.SendRawAsync(frame.AsMemory(0, 100));
        await server.CloseAsync();

        await AssertAllFailPromptlyAsync(pending, "middle of a");
        Assert.False(client.IsConnected);
        var reason = await client.Closed.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.IsType<EndOfStreamException>(reason.InnerException);
        await Assert.ThrowsAsync<LibvirtConnectionException>(async () => await events.Reader.Completion);
        await Assert.ThrowsAsync<LibvirtConnectionException>(() => client.GetHostnameAsync(Ct));
    }

    [Fact]
    public async Task A_peer_that_closes_between_frames_fails_pending_calls()
    {
        await using var server = new FakeLibvirtServer();
        await using var client = await server.ConnectClientAsync();
        var pending = await StartUnansweredLookupsAsync(server, client, 3);

        await server.CloseAsync();

        await AssertAllFailPromptlyAsync(pending, "closed the connection");
    }

    [Fact]
    public async Task A_garbage_length_word_fails_the_connection()
    {
        await using var server = new FakeLibvirtServer();
        await using var client = await server.ConnectClientAsync();
        var pending = await StartUnansweredLookupsAsync(server, client, 2);

        await server.SendRawAsync(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0 });

        await AssertAllFailPromptlyAsync(pending, "outside");
    }

    [Fact]
    public async Task Keepalive_declares_a_silent_peer_dead_and_fails_pending_calls()
    {
        await using var server = new FakeLibvirtServer();
        var time = new FakeTimeProvider();
        await using var client = await server.ConnectClientAsync(new LibvirtClientOptions
        {
            KeepAliveInterval = TimeSpan.FromSeconds(5), KeepAliveCount = 3, TimeProvider = time,
            CallTimeout = Timeout.InfiniteTimeSpan,
        });
        var pending = await StartUnansweredLookupsAsync(server, client, 2);

        for (var i = 0; i < 3; i++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
            await server.NextKeepAliveAsync(RpcConstants.KeepAlivePing); // sent, never answered
        }
        Assert.True(client.IsConnected);
        time.Advance(TimeSpan.FromSeconds(5));

        await AssertAllFailPromptlyAsync(pending, "keepalive");
    }

    [Fact]
    public async Task Keepalive_keeps_a_peer_alive_while_it_answers()
    {
        await using var server = new FakeLibvirtServer();
        var time = new FakeTimeProvider();
        await using var client = await server.ConnectClientAsync(new LibvirtClientOptions
        {
            KeepAliveInterval = TimeSpan.FromSeconds(5), KeepAliveCount = 1, TimeProvider = time,
        });

        for (var i = 0; i < 10; i++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
            await server.NextKeepAliveAsync(RpcConstants.KeepAlivePing);
            await server.SendKeepAliveAsync(RpcConstants.KeepAlivePong);
            // Frames are handled in order: once the client answered this ping, it has seen the pong.
            await server.SendKeepAliveAsync(RpcConstants.KeepAlivePing);
            await server.NextKeepAliveAsync(RpcConstants.KeepAlivePong);
        }

        Assert.True(client.IsConnected);
    }
}
