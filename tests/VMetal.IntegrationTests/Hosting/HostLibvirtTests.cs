using VMetal.Hosting;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Hosting;

/// <summary>libvirt's protocol carried by a command on vmetal's one SSH connection to the sandbox.</summary>
public sealed class HostLibvirtTests(SandboxFixture sandbox)
{
    [Theory]
    [InlineData(LibvirtAccess.Root)]
    [InlineData(LibvirtAccess.LoginUser)]
    public async Task Libvirt_and_shell_commands_share_one_connection(LibvirtAccess access)
    {
        await using var host = await sandbox.ConnectAsync();
        await using var libvirt = await HostLibvirt.ConnectAsync(host, access);

        var hostname = await libvirt.GetHostnameAsync();
        var shell = await host.RunAsync(HostCommand.Of("hostname"));
        var version = await libvirt.GetLibVersionAsync();

        Assert.Equal(shell.Stdout.Trim(), hostname);
        Assert.Equal(9, version.Major);
        var virsh = await sandbox.VirshAsync("-q", "list", "--all", "--name");
        var domains = await libvirt.ListAllDomainsAsync();
        Assert.Equal(virsh.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal),
            domains.Select(d => d.Name).Order(StringComparer.Ordinal));
    }
}
