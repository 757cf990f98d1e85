using VMetal.Hosting;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Sandbox;

/// <summary>
/// Takes the shared sandbox down and up again, so run-tests runs these after every other
/// integration test (trait SandboxLifecycle).
/// </summary>
[Trait("Category", "SandboxLifecycle")]
public sealed class SandboxLifecycleTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task Down_removes_exactly_what_up_added_to_the_host_namespace_and_up_is_idempotent()
    {
        sandbox.Require();

        await RunVmetal("sandbox", "down");
        var afterDown = await HostNamespace.SnapshotAsync();
        await RunVmetal("sandbox", "up");
        var afterUp = await HostNamespace.SnapshotAsync();
        var again = await CliRunner.RunAsync("sandbox", "up");
        await RunVmetal("sandbox", "down");
        var afterSecondDown = await HostNamespace.SnapshotAsync();
        await RunVmetal("sandbox", "up");

        Assert.Equal(0, again.ExitCode);
        Assert.Equal(["vmsbx0"], afterUp.Links.Except(afterDown.Links));
        Assert.Contains(afterUp.Addresses, address => address.StartsWith("vmsbx0 inet 198.18.90.1/30", StringComparison.Ordinal));
        Assert.Contains("vmetal-sbx", afterUp.NetworkNamespaces);
        Assert.Equal(afterDown, afterSecondDown);
        Assert.DoesNotContain("vmetal-sbx", afterSecondDown.NetworkNamespaces);
        Assert.DoesNotContain(afterSecondDown.Links, link => link.StartsWith("vm", StringComparison.Ordinal) || link.StartsWith("virbr", StringComparison.Ordinal));
        Assert.Empty(afterSecondDown.VmetalMounts);
        Assert.Equal(afterDown.PrivateAddresses, afterUp.PrivateAddresses); // up adds no RFC 1918 address to the host
    }

    [Fact]
    public async Task After_a_down_and_up_the_sandbox_serves_ssh_libvirt_and_polkit_again()
    {
        sandbox.Require();
        await RunVmetal("sandbox", "down");
        await RunVmetal("sandbox", "up");

        await using var host = await sandbox.ConnectAsync();
        var asRoot = await host.RunAsync(HostCommand.AsRoot("virsh -c qemu:///system -q list --all --name | grep -c . || true"));
        var asUser = await host.RunAsync(HostCommand.Of("virsh -c qemu:///system uri"));

        Assert.Equal("0", asRoot.Stdout.Trim());
        Assert.Equal("qemu:///system", asUser.Stdout.Trim());
    }

    private static async Task RunVmetal(params string[] args)
    {
        var result = await CliRunner.RunAsync(args);
        Assert.True(result.ExitCode == 0, $"vmetal {string.Join(' ', args)} exited {result.ExitCode}: {result.Output}");
    }

    /// <summary>What the host network namespace looks like, as iproute2 and mountinfo report it.</summary>
    private sealed record HostNamespace(
        IReadOnlyList<string> Links,
        IReadOnlyList<string> Addresses,
        IReadOnlyList<string> NetworkNamespaces,
        IReadOnlyList<string> VmetalMounts,
        IReadOnlyList<string> PrivateAddresses)
    {
        public static async Task<HostNamespace> SnapshotAsync()
        {
            var links = Lines((await ProcessRunner.RunAsync("ip", "-o", "link", "show")).Stdout)
                .Select(line => line.Split(": ")[1].Split('@')[0]).Order(StringComparer.Ordinal).ToList();
            var addresses = Lines((await ProcessRunner.RunAsync("ip", "-o", "addr", "show")).Stdout)
                .Select(line => string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(3)))
                .Order(StringComparer.Ordinal).ToList();
            var namespaces = Lines((await ProcessRunner.RunAsync("ip", "netns", "list")).Stdout)
                .Select(line => line.Split(' ')[0]).ToList();
            var mounts = Lines(await File.ReadAllTextAsync("/proc/self/mountinfo"))
                .Where(line => line.Contains("vmetal", StringComparison.Ordinal)).ToList();
            var privateAddresses = addresses.Where(a => a.Contains(" inet 10.", StringComparison.Ordinal)
                || a.Contains(" inet 192.168.", StringComparison.Ordinal)
                || System.Text.RegularExpressions.Regex.IsMatch(a, @" inet 172\.(1[6-9]|2\d|3[01])\.")).ToList();
            return new HostNamespace(links, addresses, namespaces, mounts, privateAddresses);
        }

        public bool Equals(HostNamespace? other) =>
            other is not null && Links.SequenceEqual(other.Links) && Addresses.SequenceEqual(other.Addresses)
            && NetworkNamespaces.SequenceEqual(other.NetworkNamespaces) && VmetalMounts.SequenceEqual(other.VmetalMounts);

        public override int GetHashCode() => Links.Count;

        private static IEnumerable<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
