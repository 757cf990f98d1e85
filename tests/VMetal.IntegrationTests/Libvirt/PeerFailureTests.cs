using System.Diagnostics;
using VMetal.Libvirt;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Libvirt;

/// <summary>
/// The real daemon reached through a local socat whose process the test controls by PID:
/// frozen (SIGSTOP) it stands for a hung peer, killed for a dropped connection.
/// </summary>
public sealed class PeerFailureTests(SandboxFixture sandbox) : IDisposable
{
    private readonly string _pidFile = Path.Combine(Path.GetTempPath(), $"vmetal-lv-socat-{Guid.NewGuid():N}.pid");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        if (File.Exists(_pidFile))
        {
            Signal("KILL");
            File.Delete(_pidFile);
        }
    }

    private ProcessTransport SocatTransport() => new("sh", "-c",
        $"echo $$ > '{_pidFile}'; exec socat STDIO 'UNIX-CONNECT:{sandbox.Require().LibvirtSocket}'");

    private void Signal(string signal)
    {
        var pid = File.ReadAllText(_pidFile).Trim();
        using var kill = Process.Start("kill", ["-" + signal, pid]);
        kill.WaitForExit();
    }

    [Fact]
    public async Task Killing_the_transport_fails_every_pending_call_promptly()
    {
        await using var client = await LibvirtClient.ConnectAsync(SocatTransport(), cancellationToken: Ct);
        Assert.NotEmpty(await client.ListAllNetworksAsync(cancellationToken: Ct));
        Signal("STOP"); // calls queue up behind a frozen peer

        var pending = Enumerable.Range(0, 50).Select(_ => client.ListAllNetworksAsync(cancellationToken: Ct)).ToArray();
        await Task.Delay(200, Ct);
        Assert.All(pending, call => Assert.False(call.IsCompleted));
        var clock = Stopwatch.StartNew();
        Signal("KILL");

        foreach (var call in pending)
            await Assert.ThrowsAsync<LibvirtConnectionException>(() => call.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"pending calls took {clock.Elapsed} to fail");
        var reason = await client.Closed.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.Contains("exited with code", reason.Message);
    }

    [Fact]
    public async Task Keepalive_finds_a_hung_peer_dead_without_any_call_timeout()
    {
        await using var client = await LibvirtClient.ConnectAsync(SocatTransport(), new LibvirtClientOptions
        {
            KeepAliveInterval = TimeSpan.FromSeconds(1), KeepAliveCount = 2, CallTimeout = Timeout.InfiniteTimeSpan,
        }, Ct);
        await client.GetHostnameAsync(Ct);
        Signal("STOP");

        var pending = client.GetHostnameAsync(Ct);

        var error = await Assert.ThrowsAsync<LibvirtConnectionException>(() => pending.WaitAsync(TimeSpan.FromSeconds(20), Ct));
        Assert.Contains("keepalive", error.Message);
    }
}
