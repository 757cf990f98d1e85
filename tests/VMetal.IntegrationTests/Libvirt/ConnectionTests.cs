using System.Text.RegularExpressions;
using VMetal.Libvirt;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Libvirt;

/// <summary>Connection-level procedures against the sandbox's libvirtd, over SSH and over the local socket.</summary>
public sealed class ConnectionTests(SandboxFixture sandbox)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(LibvirtRoute.Ssh)]
    [InlineData(LibvirtRoute.Socket)]
    public async Task Versions_hostname_uri_and_capabilities_match_what_virsh_reports(LibvirtRoute route)
    {
        await using var client = await LibvirtSandbox.ConnectAsync(sandbox, route, Ct);

        var virshVersion = await sandbox.VirshAsync("version");
        var library = Regex.Match(virshVersion, @"Using library: libvirt (\d+\.\d+\.\d+)").Groups[1].Value;
        var hypervisor = Regex.Match(virshVersion, @"Running hypervisor: QEMU (\d+\.\d+\.\d+)").Groups[1].Value;
        Assert.Equal(Version.Parse(library), await client.GetLibVersionAsync(Ct));
        Assert.Equal(Version.Parse(hypervisor), await client.GetVersionAsync(Ct));
        Assert.Equal((await sandbox.VirshAsync("hostname")).Trim(), await client.GetHostnameAsync(Ct));
        Assert.Equal("qemu:///system", await client.GetUriAsync(Ct));
        var capabilities = await client.GetCapabilitiesAsync(Ct);
        var hostUuid = Regex.Match(await sandbox.VirshAsync("capabilities"), "<uuid>([^<]+)</uuid>").Groups[1].Value;
        Assert.Contains($"<uuid>{hostUuid}</uuid>", capabilities);
        Assert.Contains("<domain type='qemu'", capabilities);
        Assert.True(await client.SupportsFeatureAsync(10, Ct)); // VIR_DRV_FEATURE_PROGRAM_KEEPALIVE
    }

    [Fact]
    public async Task Many_concurrent_calls_on_one_ssh_connection_all_get_their_own_answers()
    {
        await using var client = await LibvirtSandbox.ConnectAsync(sandbox, LibvirtRoute.Ssh, Ct);
        var networks = await client.ListAllNetworksAsync(cancellationToken: Ct);
        var network = Assert.Single(networks, n => n.Name == "default");

        var lookups = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => i % 2 == 0
            ? client.NetworkLookupByNameAsync("default", Ct)
            : client.NetworkLookupByUuidAsync(network.Uuid, Ct)));

        Assert.All(lookups, n => Assert.Equal(network, n));
    }

    [Fact]
    public async Task A_closed_client_refuses_further_calls_with_a_connection_error()
    {
        var client = await LibvirtSandbox.ConnectAsync(sandbox, LibvirtRoute.Socket, Ct);

        await client.CloseAsync(Ct);

        Assert.False(client.IsConnected);
        await Assert.ThrowsAsync<LibvirtConnectionException>(() => client.GetHostnameAsync(Ct));
    }

    [Fact]
    public async Task A_missing_remote_helper_is_a_clear_connection_error()
    {
        sandbox.Require();

        // The pause keeps the command alive until its stdin is attached: SshHostConnection.StartAsync
        // cannot yet start a command that ends at once ("The input stream can be used only during execution").
        var error = await Assert.ThrowsAsync<LibvirtConnectionException>(() =>
            LibvirtSandbox.ConnectOverSshAsync(sandbox, "sleep 0.5; vmetal-no-such-helper qemu:///system", Ct));

        Assert.Contains("exited with code 127", error.Message);
        Assert.Contains("vmetal-no-such-helper: command not found", error.Message);
    }
}
