using VMetal.Hosting;
using VMetal.Libvirt;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Libvirt;

/// <summary>How a test reaches the sandbox's libvirtd.</summary>
public enum LibvirtRoute
{
    /// <summary>vmetal's own SSH transport as the login user (virt-ssh-helper): polkit authorises it (group libvirt).</summary>
    Ssh,

    /// <summary>The daemon's unix socket from this machine, as root: no authentication.</summary>
    Socket,
}

/// <summary>Opens <see cref="LibvirtClient"/>s to the sandbox and runs virsh there to check their effects.</summary>
internal static class LibvirtSandbox
{
    public const string HelperCommand = "virt-ssh-helper qemu:///system";

    public static Task<LibvirtClient> ConnectAsync(SandboxFixture sandbox, LibvirtRoute route, CancellationToken cancellationToken) =>
        route == LibvirtRoute.Ssh
            ? ConnectOverOwnSshAsync(sandbox, host => new HostLibvirtTransport(host, LibvirtAccess.LoginUser), cancellationToken)
            : LibvirtClient.ConnectAsync(new UnixSocketTransport(sandbox.Require().LibvirtSocket), cancellationToken: cancellationToken);

    /// <summary>A client running <paramref name="helperCommand"/> (e.g. as another user) on the sandbox over SSH.</summary>
    public static Task<LibvirtClient> ConnectOverSshAsync(SandboxFixture sandbox, string helperCommand, CancellationToken cancellationToken) =>
        ConnectOverOwnSshAsync(sandbox, host => new HelperCommandTransport(host, HostCommand.Of(helperCommand)), cancellationToken);

    /// <summary>Each client gets its own SSH connection, closed with it, so parallel tests do not compete for channels.</summary>
    private static async Task<LibvirtClient> ConnectOverOwnSshAsync(SandboxFixture sandbox,
        Func<IHostConnection, ILibvirtTransport> transportOn, CancellationToken cancellationToken)
    {
        var host = await sandbox.ConnectAsync(cancellationToken);
        var transport = new HostOwningTransport(transportOn(host), host);
        try
        {
            return await LibvirtClient.ConnectAsync(transport, cancellationToken: cancellationToken);
        }
        catch when (!transport.Opened)
        {
            await host.DisposeAsync(); // once opened, the client's stream owns the SSH connection
            throw;
        }
    }

    /// <summary>Runs virsh commands as root and ignores failures: for cleaning up after a test.</summary>
    public static async Task CleanupAsync(SandboxFixture sandbox, params string[] virshCommands)
    {
        foreach (var command in virshCommands)
            await sandbox.RunAsync($"virsh -c qemu:///system {command} >/dev/null 2>&1 || true", sudo: true);
    }

    /// <summary>A tiny TCG domain; with a network it PXE-boots from it (iPXE then asks for a DHCP lease).</summary>
    public static string DomainXml(string name, string? network = null, string? mac = null, string extraDevices = "") => $"""
        <domain type='qemu'>
          <name>{name}</name>
          <memory unit='MiB'>64</memory>
          <vcpu>1</vcpu>
          <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='network'/></os>
          <features><acpi/></features>
          <devices>
            {(network is null ? "" : $"<interface type='network'><source network='{network}'/><mac address='{mac}'/><model type='virtio'/></interface>")}
            {extraDevices}
          </devices>
        </domain>
        """;

    /// <summary>An isolated network (no forward) with DHCP in 198.19.<paramref name="octet"/>.0/24, inside the sandbox.</summary>
    public static string NetworkXml(string name, int octet) => $"""
        <network>
          <name>{name}</name>
          <bridge name='{name}' stp='off'/>
          <ip address='198.19.{octet}.1' netmask='255.255.255.0'>
            <dhcp><range start='198.19.{octet}.100' end='198.19.{octet}.200'/></dhcp>
          </ip>
        </network>
        """;

    /// <summary>A random third octet, so concurrent tests rarely pick the same subnet.</summary>
    public static int RandomOctet() => Random.Shared.Next(1, 255);

    /// <summary>Hands the SSH connection to the stream, so disposing the client closes it.</summary>
    private sealed class HostOwningTransport(ILibvirtTransport inner, IHostConnection host) : ILibvirtTransport
    {
        public bool Opened { get; private set; }

        public async ValueTask<Stream> OpenAsync(CancellationToken cancellationToken)
        {
            var stream = await inner.OpenAsync(cancellationToken);
            Opened = true;
            return new DuplexStream(stream, stream, owner: host);
        }

        public override string ToString() => inner.ToString() ?? nameof(HostOwningTransport);
    }

    /// <summary>
    /// Runs an arbitrary helper command (vmetal's transport picks its own), and says why the
    /// helper ended where its output would just stop.
    /// </summary>
    private sealed class HelperCommandTransport(IHostConnection host, HostCommand command) : ILibvirtTransport
    {
        public async ValueTask<Stream> OpenAsync(CancellationToken cancellationToken) =>
            new ExitReportingStream(await host.StartAsync(command, cancellationToken));

        public override string ToString() => $"ssh {host.Target} {command}";

        private sealed class ExitReportingStream(IHostProcess process)
            : DuplexStream(process.StandardOutput, process.StandardInput, owner: process)
        {
            public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            {
                var read = await base.ReadAsync(buffer, cancellationToken);
                if (read == 0 && buffer.Length > 0)
                {
                    var exitCode = await process.Completion.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
                    throw new IOException($"the remote helper exited with code {exitCode}: {process.StandardErrorText.Trim()}");
                }
                return read;
            }
        }
    }
}
