using System.Text.RegularExpressions;
using VMetal.Libvirt;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Libvirt;

/// <summary>Domain procedures, each checked against what virsh sees in the sandbox.</summary>
public sealed class DomainTests(SandboxFixture sandbox)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> DomStateAsync(string name) => (await sandbox.VirshAsync("domstate", name, "--reason")).Trim();

    [Theory]
    [InlineData(LibvirtRoute.Ssh)]
    [InlineData(LibvirtRoute.Socket)]
    public async Task Define_start_destroy_undefine_are_what_virsh_sees(LibvirtRoute route)
    {
        var name = TestNames.Unique("lv");
        await using var client = await LibvirtSandbox.ConnectAsync(sandbox, route, Ct);
        try
        {
            var domain = await client.DomainDefineXmlAsync(LibvirtSandbox.DomainXml(name), DomainDefineFlags.Validate, Ct);

            Assert.Equal(name, domain.Name);
            Assert.Equal(-1, domain.Id);
            Assert.Equal(Guid.Parse((await sandbox.VirshAsync("domuuid", name)).Trim()), domain.Uuid);
            Assert.Contains($"<name>{name}</name>", await sandbox.VirshAsync("dumpxml", name));
            Assert.Equal("shut off (unknown)", await DomStateAsync(name));

            var running = await client.DomainCreateAsync(domain, cancellationToken: Ct);

            Assert.Equal(int.Parse((await sandbox.VirshAsync("domid", name)).Trim()), running.Id);
            Assert.Equal("running (booted)", await DomStateAsync(name));
            Assert.Equal(new DomainStateInfo(DomainState.Running, 1), await client.DomainGetStateAsync(running, Ct));
            Assert.True(await client.DomainIsActiveAsync(running, Ct));

            await client.DomainDestroyAsync(running, cancellationToken: Ct);

            Assert.Equal("shut off (destroyed)", await DomStateAsync(name));
            Assert.Equal(new DomainStateInfo(DomainState.Shutoff, 2), await client.DomainGetStateAsync(domain, Ct));

            await client.DomainUndefineAsync(domain, cancellationToken: Ct);

            Assert.DoesNotContain(name, await sandbox.VirshAsync("list", "--all", "--name"));
            var error = await Assert.ThrowsAsync<LibvirtException>(() => client.DomainLookupByNameAsync(name, Ct));
            Assert.Equal(LibvirtErrorCode.NoDomain, error.Code);
            Assert.True(error.IsNotFound);
        }
        finally
        {
            await LibvirtSandbox.CleanupAsync(sandbox, $"destroy {name}", $"undefine {name}");
        }
    }

    [Fact]
    public async Task Lookups_listing_info_and_xml_agree_with_virsh()
    {
        var name = TestNames.Unique("lv");
        await using var client = await LibvirtSandbox.ConnectAsync(sandbox, LibvirtRoute.Ssh, Ct);
        try
        {
            var domain = await client.DomainDefineXmlAsync(LibvirtSandbox.DomainXml(name), cancellationToken: Ct);

            Assert.Equal(domain, await client.DomainLookupByNameAsync(name, Ct));
            Assert.Equal(domain, await client.DomainLookupByUuidAsync(domain.Uuid, Ct));
            Assert.Contains(domain, await client.ListAllDomainsAsync(cancellationToken: Ct));
            Assert.Contains(domain, await client.ListAllDomainsAsync(DomainListFlags.Inactive, Ct));
            Assert.DoesNotContain(domain, await client.ListAllDomainsAsync(DomainListFlags.Active, Ct));
            var virshNames = (await sandbox.VirshAsync("list", "--all", "--name")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var ourNames = (await client.ListAllDomainsAsync(cancellationToken: Ct)).Select(d => d.Name);
            Assert.Subset(ourNames.ToHashSet(), virshNames.Where(n => n == name).ToHashSet());

            Assert.Equal((await sandbox.VirshAsync("dumpxml", "--inactive", name)).Trim(),
                (await client.DomainGetXmlDescAsync(domain, DomainXmlFlags.Inactive, Ct)).Trim());
            var info = await client.DomainGetInfoAsync(domain, Ct);
            var dominfo = await sandbox.VirshAsync("dominfo", name);
            Assert.Equal(DomainState.Shutoff, info.State);
            Assert.Equal(ulong.Parse(Regex.Match(dominfo, @"Max memory:\s+(\d+) KiB").Groups[1].Value), info.MaxMemoryKiB);
            Assert.Equal(65536ul, info.MaxMemoryKiB);
            Assert.Equal(int.Parse(Regex.Match(dominfo, @"CPU\(s\):\s+(\d+)").Groups[1].Value), info.VirtualCpus);
        }
        finally
        {
            await LibvirtSandbox.CleanupAsync(sandbox, $"undefine {name}");
        }
    }

    [Fact]
    public async Task Autostart_and_metadata_are_stored_where_virsh_reads_them()
    {
        var name = TestNames.Unique("lv");
        await using var client = await LibvirtSandbox.ConnectAsync(sandbox, LibvirtRoute.Ssh, Ct);
        try
        {
            var domain = await client.DomainDefineXmlAsync(LibvirtSandbox.DomainXml(name), cancellationToken: Ct);

            await client.DomainSetAutostartAsync(domain, true, Ct);
            Assert.Matches(@"Autostart:\s+enable", await sandbox.VirshAsync("dominfo", name));
            Assert.True(await client.DomainGetAutostartAsync(domain, Ct));
            await client.DomainSetAutostartAsync(domain, false, Ct);
            Assert.Matches(@"Autostart:\s+disable", await sandbox.VirshAsync("dominfo", name));
            Assert.False(await client.DomainGetAutostartAsync(domain, Ct));

            const string uri = "https://vmetal.example/topology/1";
            await client.DomainSetMetadataAsync(domain, DomainMetadataType.Element, "<node role='controller'/>", "vmetal", uri,
                DomainModificationImpact.Config, Ct);
            await client.DomainSetMetadataAsync(domain, DomainMetadataType.Title, "controller-0", null, null,
                DomainModificationImpact.Config, Ct);

            var virshMetadata = await sandbox.VirshAsync("metadata", name, uri, "--config");
            Assert.Contains("role=\"controller\"", virshMetadata);
            Assert.Contains("<title>controller-0</title>", await sandbox.VirshAsync("dumpxml", "--inactive", name));
            Assert.Equal(virshMetadata.Trim(), (await client.DomainGetMetadataAsync(domain, DomainMetadataType.Element, uri,
                DomainModificationImpact.Config, Ct)).Trim());
            Assert.Equal("controller-0", await client.DomainGetMetadataAsync(domain, DomainMetadataType.Title, null,
                DomainModificationImpact.Config, Ct));
            var missing = await Assert.ThrowsAsync<LibvirtException>(() =>
                client.DomainGetMetadataAsync(domain, DomainMetadataType.Element, "https://vmetal.example/none", cancellationToken: Ct));
            Assert.Equal(LibvirtErrorCode.NoDomainMetadata, missing.Code);
        }
        finally
        {
            await LibvirtSandbox.CleanupAsync(sandbox, $"undefine {name}");
        }
    }

    [Fact]
    public async Task Power_actions_on_a_running_domain_are_accepted_by_qemu()
    {
        var name = TestNames.Unique("lv");
        await using var client = await LibvirtSandbox.ConnectAsync(sandbox, LibvirtRoute.Ssh, Ct);
        await using var reboots = await client.SubscribeDomainRebootEventsAsync(cancellationToken: Ct);
        try
        {
            var domain = await client.DomainCreateAsync(
                await client.DomainDefineXmlAsync(LibvirtSandbox.DomainXml(name), cancellationToken: Ct), cancellationToken: Ct);

            // Reset is a hard reset: QEMU reports it, and libvirt turns that into a reboot event.
            await client.DomainResetAsync(domain, Ct);
            var reboot = await reboots.Reader.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.Equal(domain.Uuid, reboot.Domain.Uuid);

            // NMI and keys go to the guest; with no OS in it, the proof is QEMU accepting them.
            await client.DomainInjectNmiAsync(domain, Ct);
            await client.DomainSendKeyAsync(domain, KeycodeSet.Linux, 50, [29, 56, 111], Ct); // ctrl-alt-delete
            // ACPI requests are accepted even though no guest OS acts on them.
            await client.DomainShutdownAsync(domain, GuestPowerMethods.AcpiPowerButton, Ct);
            await client.DomainRebootAsync(domain, GuestPowerMethods.AcpiPowerButton, Ct);
            Assert.StartsWith("running", await DomStateAsync(name));

            var tooMany = Enumerable.Repeat(30u, 17).ToArray();
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.DomainSendKeyAsync(domain, KeycodeSet.Linux, 0, tooMany, Ct));
        }
        finally
        {
            await LibvirtSandbox.CleanupAsync(sandbox, $"destroy {name}", $"undefine {name}");
        }
    }

    [Fact]
    public async Task Updating_a_cdrom_of_a_running_domain_changes_the_medium_qemu_sees_and_the_definition()
    {
        var name = TestNames.Unique("lv");
        var image = $"/var/lib/libvirt/images/{name}.iso";
        const string drive = "<target dev='hdc' bus='ide'/><readonly/>";
        await using var client = await LibvirtSandbox.ConnectAsync(sandbox, LibvirtRoute.Ssh, Ct);
        try
        {
            Assert.Equal(0, (await sandbox.RunAsync($"truncate -s 1M '{image}'", sudo: true)).ExitCode);
            var xml = LibvirtSandbox.DomainXml(name, extraDevices: $"<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>{drive}</disk>");
            var domain = await client.DomainCreateAsync(await client.DomainDefineXmlAsync(xml, cancellationToken: Ct), cancellationToken: Ct);
            // Forced both ways: SeaBIOS locks the tray while it probes the drive at boot, and QEMU then keeps it closed.
            const DomainDeviceModifyFlags both = DomainDeviceModifyFlags.Live | DomainDeviceModifyFlags.Config | DomainDeviceModifyFlags.Force;

            await client.DomainChangeMediumAsync(domain, $"<disk type='file' device='cdrom'><source file='{image}'/>{drive}</disk>", both, Ct);
            Assert.Matches($@"hdc\s+{Regex.Escape(image)}", await sandbox.VirshAsync("domblklist", name));
            Assert.Contains($"<source file='{image}'", await sandbox.VirshAsync("dumpxml", "--inactive", name));

            await client.DomainChangeMediumAsync(domain, $"<disk type='file' device='cdrom'>{drive}</disk>", both, Ct);

            Assert.Matches(@"hdc\s+-", await sandbox.VirshAsync("domblklist", name));
            Assert.DoesNotContain(image, await sandbox.VirshAsync("dumpxml", "--inactive", name));
        }
        finally
        {
            await LibvirtSandbox.CleanupAsync(sandbox, $"destroy {name}", $"undefine {name}");
            await sandbox.RunAsync($"rm -f '{image}'", sudo: true);
        }
    }

    [Fact]
    public async Task Undefining_a_uefi_domain_needs_the_nvram_flag_which_removes_its_variable_store()
    {
        var name = TestNames.Unique("lv");
        await using var client = await LibvirtSandbox.ConnectAsync(sandbox, LibvirtRoute.Ssh, Ct);
        try
        {
            var xml = LibvirtSandbox.DomainXml(name).Replace("<os>", "<os firmware='efi'>", StringComparison.Ordinal);
            var domain = await client.DomainDefineXmlAsync(xml, cancellationToken: Ct);
            var running = await client.DomainCreateAsync(domain, cancellationToken: Ct); // creates the variable store
            // With firmware auto-selection only the live XML names the store.
            var nvram = Regex.Match(await sandbox.VirshAsync("dumpxml", name), "<nvram[^>]*>([^<]+)</nvram>").Groups[1].Value;
            await client.DomainDestroyAsync(running, cancellationToken: Ct);
            Assert.StartsWith("/", nvram);
            Assert.Equal(0, (await sandbox.RunAsync($"test -f '{nvram}'", sudo: true)).ExitCode);

            var refused = await Assert.ThrowsAsync<LibvirtException>(() => client.DomainUndefineAsync(domain, cancellationToken: Ct));
            Assert.Contains("nvram", refused.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Contains(name, await sandbox.VirshAsync("list", "--all", "--name"));

            await client.DomainUndefineAsync(domain, DomainUndefineFlags.Nvram, Ct);

            Assert.DoesNotContain(name, await sandbox.VirshAsync("list", "--all", "--name"));
            Assert.NotEqual(0, (await sandbox.RunAsync($"test -e '{nvram}'", sudo: true)).ExitCode);
        }
        finally
        {
            await LibvirtSandbox.CleanupAsync(sandbox, $"destroy {name}", $"undefine --nvram {name}");
        }
    }

    [Fact]
    public async Task Malformed_xml_surfaces_libvirts_error_code_and_message_and_defines_nothing()
    {
        var name = TestNames.Unique("lv");
        await using var client = await LibvirtSandbox.ConnectAsync(sandbox, LibvirtRoute.Ssh, Ct);
        var broken = $"<domain type='qemu'><name>{name}</name><memory>64</memory";

        var error = await Assert.ThrowsAsync<LibvirtException>(() => client.DomainDefineXmlAsync(broken, cancellationToken: Ct));

        Assert.Equal(LibvirtErrorCode.XmlDetail, error.Code);
        Assert.True(error.IsInvalidXml);
        Assert.Equal(LibvirtErrorDomain.Domain, error.ErrorDomain);
        var virsh = await sandbox.VirshResultAsync(["define", "/dev/stdin"], broken);
        Assert.NotEqual(0, virsh.ExitCode);
        Assert.Contains(error.Message.Split('\n')[0], virsh.Stderr);
        Assert.DoesNotContain(name, await sandbox.VirshAsync("list", "--all", "--name"));
        Assert.True(client.IsConnected);
    }
}
