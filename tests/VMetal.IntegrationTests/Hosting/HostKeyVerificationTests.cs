using VMetal.Hosting;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Hosting;

/// <summary>Host keys are checked against OpenSSH known_hosts files, against the sandbox's real sshd.</summary>
public sealed class HostKeyVerificationTests(SandboxFixture sandbox)
{
    private HostSettings Settings(string knownHosts, bool acceptNew = false) =>
        sandbox.Require().HostSettings with { KnownHostsPath = knownHosts, AcceptNewHostKey = acceptNew };

    [Fact]
    public async Task Unknown_host_key_is_refused_with_its_fingerprint()
    {
        using var directory = new TempDirectory();
        var knownHosts = directory.File("known_hosts");

        var error = await Assert.ThrowsAsync<HostConnectionException>(() => new HostConnector().ConnectAsync(Settings(knownHosts)));

        Assert.Equal(ConnectFailure.HostKeyUnknown, error.Failure);
        var fingerprints = await SandboxKeys.HostKeyFingerprintsAsync();
        Assert.Contains(fingerprints, fingerprint => error.Message.Contains(fingerprint, StringComparison.Ordinal));
        Assert.False(File.Exists(knownHosts), "a refused key must not be recorded");
    }

    [Fact]
    public async Task Cli_exits_4_on_an_unknown_host_key_and_shows_the_fingerprint()
    {
        var environment = sandbox.Require();
        using var directory = new TempDirectory();

        var result = await CliRunner.RunAsync("exec", "--host", environment.Host, "--key", environment.KeyPath,
            "--known-hosts", directory.File("known_hosts"), "--", "true");

        Assert.Equal(4, result.ExitCode);
        Assert.Contains("SHA256:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--accept-new-host-key", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Accept_new_host_key_records_it_once_and_trusts_it_afterwards()
    {
        using var directory = new TempDirectory();
        var knownHosts = directory.File("known_hosts");

        await using (var first = await new HostConnector().ConnectAsync(Settings(knownHosts, acceptNew: true)))
            Assert.Equal("ok", (await first.RunAsync(HostCommand.Of("echo ok"))).Stdout.Trim());
        var recorded = await File.ReadAllLinesAsync(knownHosts);
        Assert.Single(recorded);
        Assert.StartsWith("198.18.90.2 ", recorded[0], StringComparison.Ordinal);

        await using (var second = await new HostConnector().ConnectAsync(Settings(knownHosts)))
            Assert.True((await second.RunAsync(HostCommand.Of("true"))).Succeeded);
        Assert.Equal(recorded, await File.ReadAllLinesAsync(knownHosts));
    }

    [Fact]
    public async Task Changed_host_key_is_refused_even_with_accept_new_host_key()
    {
        var environment = sandbox.Require();
        using var directory = new TempDirectory();
        var impostor = await SandboxKeys.GenerateAsync(directory, "ed25519");
        var impostorPublic = (await File.ReadAllTextAsync(impostor + ".pub")).Split(' ');
        var knownHosts = directory.File("known_hosts");
        await File.WriteAllTextAsync(knownHosts, $"198.18.90.2 {impostorPublic[0]} {impostorPublic[1]}\n");
        var before = await File.ReadAllBytesAsync(knownHosts);

        var error = await Assert.ThrowsAsync<HostConnectionException>(() =>
            new HostConnector().ConnectAsync(Settings(knownHosts, acceptNew: true)));
        var cli = await CliRunner.RunAsync("exec", "--host", environment.Host, "--key", environment.KeyPath,
            "--known-hosts", knownHosts, "--accept-new-host-key", "--", "true");

        Assert.Equal(ConnectFailure.HostKeyChanged, error.Failure);
        Assert.Contains("MISMATCH", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{knownHosts}:1", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, cli.ExitCode);
        Assert.Contains("MISMATCH", cli.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(knownHosts));
    }

    [Fact]
    public async Task Hashed_known_hosts_entries_are_honoured()
    {
        var environment = sandbox.Require();
        using var directory = new TempDirectory();
        var knownHosts = directory.File("known_hosts");
        File.Copy(environment.KnownHostsPath, knownHosts);
        (await ProcessRunner.RunAsync("ssh-keygen", "-H", "-f", knownHosts)).EnsureSuccess("ssh-keygen -H");
        Assert.All(await File.ReadAllLinesAsync(knownHosts), line => Assert.StartsWith("|1|", line, StringComparison.Ordinal));

        await using var host = await new HostConnector().ConnectAsync(Settings(knownHosts));

        Assert.True((await host.RunAsync(HostCommand.Of("true"))).Succeeded);
    }
}
