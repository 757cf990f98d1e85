using System.Text.RegularExpressions;
using VMetal.Libvirt;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Libvirt;

/// <summary>Network procedures, DHCP leases and network events, checked against virsh in the sandbox.</summary>
public sealed class NetworkTests(SandboxFixture sandbox)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Network_lifecycle_update_and_events_are_what_virsh_sees()
    {
        var name = TestNames.Unique("lv");
        var octet = LibvirtSandbox.RandomOctet();
        await using var client = await LibvirtSandbox.ConnectAsync(sandbox, LibvirtRoute.Ssh, Ct);
        await using var events = await client.SubscribeNetworkLifecycleEventsAsync(cancellationToken: Ct);
        try
        {
            var network = await client.NetworkDefineXmlAsync(LibvirtSandbox.NetworkXml(name, octet), NetworkDefineFlags.Validate, Ct);

            Assert.Equal(Guid.Parse(Regex.Match(await sandbox.VirshAsync("net-info", name), @"UUID:\s+(\S+)").Groups[1].Value), network.Uuid);
            Assert.Equal(network, await client.NetworkLookupByNameAsync(name, Ct));
            Assert.Equal(network, await client.NetworkLookupByUuidAsync(network.Uuid, Ct));
            Assert.Contains(network, await client.ListAllNetworksAsync(NetworkListFlags.Inactive, Ct));
            Assert.False(await client.NetworkIsActiveAsync(network, Ct));

            await client.NetworkCreateAsync(network, Ct);
            Assert.Matches(@"Active:\s+yes", await sandbox.VirshAsync("net-info", name));
            Assert.True(await client.NetworkIsActiveAsync(network, Ct));
            Assert.Contains(network, await client.ListAllNetworksAsync(NetworkListFlags.Active, Ct));

            await client.NetworkSetAutostartAsync(network, true, Ct);
            Assert.Matches(@"Autostart:\s+yes", await sandbox.VirshAsync("net-info", name));
            Assert.True(await client.NetworkGetAutostartAsync(network, Ct));
            await client.NetworkSetAutostartAsync(network, false, Ct);
            Assert.Matches(@"Autostart:\s+no", await sandbox.VirshAsync("net-info", name));

            var host = $"<host mac='52:54:00:19:{octet:x2}:07' name='node7' ip='198.19.{octet}.7'/>";
            await client.NetworkUpdateAsync(network, NetworkUpdateCommand.AddLast, NetworkUpdateSection.IPDhcpHost, -1, host,
                NetworkUpdateFlags.Live | NetworkUpdateFlags.Config, Ct);
            Assert.Contains($"ip='198.19.{octet}.7'", await sandbox.VirshAsync("net-dumpxml", name));
            Assert.Contains($"ip='198.19.{octet}.7'", await sandbox.VirshAsync("net-dumpxml", "--inactive", name));
            Assert.Equal((await sandbox.VirshAsync("net-dumpxml", name)).Trim(), (await client.NetworkGetXmlDescAsync(network, cancellationToken: Ct)).Trim());

            await client.NetworkUpdateAsync(network, NetworkUpdateCommand.Delete, NetworkUpdateSection.IPDhcpHost, -1, host,
                NetworkUpdateFlags.Live | NetworkUpdateFlags.Config, Ct);
            Assert.DoesNotContain($"198.19.{octet}.7'", await sandbox.VirshAsync("net-dumpxml", name));

            await client.NetworkDestroyAsync(network, Ct);
            Assert.Matches(@"Active:\s+no", await sandbox.VirshAsync("net-info", name));

            await client.NetworkUndefineAsync(network, Ct);
            Assert.NotEqual(0, (await sandbox.VirshResultAsync("net-info", name)).ExitCode);
            Assert.True((await Assert.ThrowsAsync<LibvirtException>(() => client.NetworkLookupByNameAsync(name, Ct))).IsNotFound);

            var seen = new List<NetworkEventType>();
            while (seen.Count < 4)
            {
                var next = await events.Reader.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);
                if (next.Network.Name == name)
                    seen.Add(next.Event);
            }
            Assert.Equal([NetworkEventType.Defined, NetworkEventType.Started, NetworkEventType.Stopped, NetworkEventType.Undefined], seen);
        }
        finally
        {
            await LibvirtSandbox.CleanupAsync(sandbox, $"net-destroy {name}", $"net-undefine {name}");
        }
    }

    [Fact]
    public async Task Dhcp_leases_of_a_pxe_booting_domain_match_virsh()
    {
        var network = TestNames.Unique("lv");
        var domainName = TestNames.Unique("lv");
        var octet = LibvirtSandbox.RandomOctet();
        var mac = $"52:54:00:19:{octet:x2}:42";
        await using var client = await LibvirtSandbox.ConnectAsync(sandbox, LibvirtRoute.Ssh, Ct);
        try
        {
            var net = await client.NetworkDefineXmlAsync(LibvirtSandbox.NetworkXml(network, octet), cancellationToken: Ct);
            await client.NetworkCreateAsync(net, Ct);
            var domain = await client.DomainCreateAsync(await client.DomainDefineXmlAsync(
                LibvirtSandbox.DomainXml(domainName, network, mac), cancellationToken: Ct), cancellationToken: Ct);

            // iPXE asks for a lease some 10-25 s after start under TCG.
            IReadOnlyList<NetworkDhcpLease> leases = [];
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (leases.Count == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), Ct);
                leases = await client.NetworkGetDhcpLeasesAsync(net, mac, Ct);
            }

            var lease = Assert.Single(leases);
            Assert.Equal(mac, lease.MacAddress);
            Assert.Equal(IPAddressType.IPv4, lease.Type);
            Assert.Equal(24u, lease.Prefix);
            Assert.StartsWith($"198.19.{octet}.", lease.IPAddress);
            Assert.True(lease.ExpiryTime > DateTimeOffset.UtcNow);
            var virshLeases = await sandbox.VirshAsync("net-dhcp-leases", network, "--mac", mac);
            Assert.Contains($"{lease.IPAddress}/{lease.Prefix}", virshLeases);
            Assert.Contains(lease.ExpiryTime.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss"), virshLeases);
            Assert.Contains(lease, await client.NetworkGetDhcpLeasesAsync(net, cancellationToken: Ct));

            var iface = Assert.Single(await client.DomainInterfaceAddressesAsync(domain, cancellationToken: Ct));
            Assert.Equal(mac, iface.HardwareAddress);
            var address = Assert.Single(iface.Addresses);
            Assert.Equal(lease.IPAddress, address.Address);
            var domifaddr = await sandbox.VirshAsync("domifaddr", domainName, "--source", "lease");
            Assert.Matches($@"{Regex.Escape(iface.Name)}\s+{mac}\s+ipv4\s+{Regex.Escape(address.Address)}/{address.Prefix}", domifaddr);
        }
        finally
        {
            await LibvirtSandbox.CleanupAsync(sandbox, $"destroy {domainName}", $"undefine {domainName}",
                $"net-destroy {network}", $"net-undefine {network}");
        }
    }
}
