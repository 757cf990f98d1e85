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
        // Other tests define and remove domains meanwhile: what virsh lists before and after brackets our list.
        var before = await VirshDomainsAsync();
        var domains = (await libvirt.ListAllDomainsAsync()).Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        var after = await VirshDomainsAsync();
        Assert.Subset(before.Union(after).ToHashSet(StringComparer.Ordinal), domains);
        Assert.Superset(before.Intersect(after).ToHashSet(StringComparer.Ordinal), domains);
    }

    private async Task<HashSet<string>> VirshDomainsAsync()
    {
        var virsh = await sandbox.VirshAsync("-q", "list", "--all", "--name");
        return virsh.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Each libvirt session ends with libvirtd hanging up and the helper exiting while vmetal
    /// closes the channel; commands that ignore their input exit while it is still being sent.
    /// An EOF that arrives after the channel's close makes sshd drop the whole connection, so
    /// the connection surviving both, many times over, is what this checks.
    /// </summary>
    [Fact]
    public async Task The_connection_survives_many_libvirt_sessions_and_commands_that_ignore_their_input()
    {
        await using var host = await sandbox.ConnectAsync();
        var input = new byte[64 * 1024];

        for (var round = 0; round < 50; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
            {
                await using var libvirt = await HostLibvirt.ConnectAsync(host, LibvirtAccess.Root);
                Assert.Equal(9, (await libvirt.GetLibVersionAsync()).Major);
            }).Concat(Enumerable.Range(0, 4).Select(async i =>
            {
                var result = await host.RunAsync(new HostCommand($"sh -c 'exit {i}'") { Stdin = input });
                Assert.Equal(i, result.ExitCode);
            })));
        }

        var after = await host.RunAsync(HostCommand.Of("echo still-connected"));
        Assert.Equal("still-connected", after.Stdout.Trim());
    }
}
