using System.Net;
using System.Xml.Linq;
using Microsoft.Extensions.Logging.Abstractions;
using VMetal.Bmc.Configuration;
using VMetal.Bmc.Hosting;
using VMetal.Bmc.Libvirt;
using VMetal.Libvirt;
using VMetal.Testing;
using VMetal.Testing.Bmc;

namespace VMetal.IntegrationTests.Bmc;

/// <summary>
/// Tiny TCG domains in the sandbox (64 MiB, a 16 MiB disk, a user-mode NIC; boot order NIC first then disk, as
/// vmetal defines nodes) and a BMC host in this process: libvirt backend through the sandbox libvirtd's socket,
/// IPMI and HTTPS Redfish on 127.0.0.1. Everything it creates is named t-bmc-… and removed on dispose.
/// </summary>
internal sealed class SandboxBmcLab : IAsyncDisposable
{
    private readonly SandboxFixture _sandbox;
    private readonly TempDirectory _directory;

    private SandboxBmcLab(SandboxFixture sandbox, TempDirectory directory, BmcWorkspaceConfig config, LibvirtMachineBackend backend, BmcHost host)
    {
        _sandbox = sandbox;
        _directory = directory;
        Config = config;
        Backend = backend;
        Host = host;
    }

    public BmcWorkspaceConfig Config { get; }

    public LibvirtMachineBackend Backend { get; }

    public BmcHost Host { get; }

    public Uri RedfishBase => new($"https://127.0.0.1:{Config.Redfish!.Port}");

    public string Name(int machine) => Config.Machines[machine].Name;

    public Guid Uuid(int machine) => Config.Machines[machine].Uuid;

    public Ipmitool Ipmitool(int machine, int cipherSuite, string? password = null) =>
        new(new IPEndPoint(IPAddress.Loopback, Config.Machines[machine].IpmiPort!.Value), Config.Credentials.Username, password ?? Config.Credentials.Password, cipherSuite);

    public SushyClient Sushy(string? password = null) => new(RedfishBase, Config.Credentials.Username, password ?? Config.Credentials.Password);

    public static async Task<SandboxBmcLab> StartAsync(SandboxFixture sandbox, int machines, CancellationToken cancellationToken)
    {
        var socket = sandbox.Require().LibvirtSocket;
        var prefix = TestNames.Unique("bmc");
        var directory = new TempDirectory(prefix);
        File.SetUnixFileMode(directory.Path, (UnixFileMode)0b111_101_101); // the sandbox's qemu user must reach the disks
        var defined = new List<BmcMachineConfig>();
        try
        {
            await using (var client = await LibvirtClient.ConnectAsync(new UnixSocketTransport(socket), cancellationToken: cancellationToken))
            {
                for (var i = 0; i < machines; i++)
                {
                    var name = $"{prefix}-{i}";
                    var disk = directory.File($"{name}.qcow2");
                    (await ProcessRunner.RunAsync("qemu-img", "create", "-q", "-f", "qcow2", disk, "16M")).EnsureSuccess("qemu-img create");
                    File.SetUnixFileMode(disk, (UnixFileMode)0b110_110_110);
                    var domain = await client.DomainDefineXmlAsync(DomainXml(name, disk, i), DomainDefineFlags.Validate, cancellationToken);
                    defined.Add(new BmcMachineConfig(domain.Uuid, name, FreePort.Udp()));
                }
            }

            var config = new BmcWorkspaceConfig
            {
                Workspace = prefix,
                Credentials = BmcCredentials.Generate(),
                Ipmi = new IpmiConfig("127.0.0.1"),
                Redfish = new RedfishConfig("127.0.0.1", FreePort.Tcp()),
                Machines = defined,
            };
            var configFile = directory.File(BmcConfigFile.FileName(prefix));
            BmcConfigFile.Write(configFile, config);
            var backend = await LibvirtMachineBackend.ConnectAsync(
                new UnixSocketTransport(socket), NullLoggerFactory.Instance, cancellationToken, mediaDirectory: directory.File("state/media"));
            var host = await BmcHost.StartAsync(
                new BmcHostOptions(configFile, directory.File("state")) { WatchConfiguration = false }, backend, NullLoggerFactory.Instance, cancellationToken);
            return new SandboxBmcLab(sandbox, directory, config, backend, host);
        }
        catch
        {
            await RemoveDomainsAsync(sandbox, defined.Select(m => m.Name));
            directory.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads until the value is <paramref name="expected"/> or 30 s passed, and returns the last value read. The BMC
    /// answers IPMI within 1.5 s and lets a slower action finish in the background, as real BMCs do.
    /// </summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, T expected)
    {
        var value = await read();
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); !Equals(value, expected) && clock.Elapsed < TimeSpan.FromSeconds(30);)
        {
            await Task.Delay(200);
            value = await read();
        }

        return value;
    }

    /// <summary><c>virsh domstate</c> in the sandbox: "running", "shut off"…</summary>
    public async Task<string> DomStateAsync(int machine) => (await _sandbox.VirshAsync("domstate", Name(machine))).Trim();

    /// <summary>The running domain's id, which changes when the domain is really restarted.</summary>
    public async Task<string> DomIdAsync(int machine) => (await _sandbox.VirshAsync("domid", Name(machine))).Trim();

    /// <summary>
    /// The persistent boot order as virsh shows it (<c>dumpxml --inactive</c>): "nic", "disk", "cdrom" in order, and
    /// whether a boot-once note is pending. With <paramref name="running"/>, the order the running instance booted with.
    /// </summary>
    public async Task<(IReadOnlyList<string> Order, bool OncePending, string Firmware)> BootAsync(int machine, bool running = false)
    {
        var xml = XDocument.Parse(running ? await _sandbox.VirshAsync("dumpxml", Name(machine)) : await _sandbox.VirshAsync("dumpxml", "--inactive", Name(machine)));
        var order = xml.Root!.Element("devices")!.Elements()
            .Where(device => device.Element("boot")?.Attribute("order") is not null)
            .OrderBy(device => int.Parse(device.Element("boot")!.Attribute("order")!.Value, System.Globalization.CultureInfo.InvariantCulture))
            .Select(device => device.Name.LocalName == "interface" ? "nic" : device.Attribute("device")?.Value ?? "disk")
            .ToList();
        var once = xml.Root.Element("metadata")?.Elements().Any(e => e.Name.NamespaceName == DomainDefinition.MetadataNamespace) ?? false;
        var os = xml.Root.Element("os")!;
        var firmware = os.Attribute("firmware")?.Value ?? (os.Element("loader") is null ? "bios" : "efi");
        return (order, once, firmware);
    }

    /// <summary>The file in the persistent definition's CD-ROM drive, or null when it is empty or missing.</summary>
    public async Task<string?> CdromFileAsync(int machine) =>
        XDocument.Parse(await _sandbox.VirshAsync("dumpxml", "--inactive", Name(machine))).Root!.Element("devices")!.Elements("disk")
            .FirstOrDefault(d => d.Attribute("device")?.Value == "cdrom")?.Element("source")?.Attribute("file")?.Value;

    /// <summary>The medium in the running domain's CD-ROM drive as QEMU has it (<c>virsh domblklist</c>): a path, "-" when empty, null without a drive.</summary>
    public async Task<string?> LiveCdromAsync(int machine) =>
        (await _sandbox.VirshAsync("domblklist", "--details", Name(machine)))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(columns => columns.Length == 4 && columns[1] == "cdrom")?[3];

    /// <summary>
    /// Redefines the domain, behind the BMC's back, as vmetal defines UEFI nodes (OVMF loader, a per-domain variable store
    /// named in the definition, here in the lab directory), and starts and stops it once so libvirt creates the store.
    /// </summary>
    /// <returns>The variable store's path.</returns>
    public async Task<string> MakeUefiAsync(int machine)
    {
        var nvram = _directory.File($"{Name(machine)}_VARS.fd");
        var xml = XDocument.Parse(await _sandbox.VirshAsync("dumpxml", "--inactive", Name(machine)));
        xml.Root!.Element("os")!.Add(
            new XElement("loader", new XAttribute("readonly", "yes"), new XAttribute("type", "pflash"), "/usr/share/OVMF/OVMF_CODE_4M.fd"),
            new XElement("nvram", new XAttribute("template", "/usr/share/OVMF/OVMF_VARS_4M.fd"), nvram));
        var defined = await _sandbox.VirshResultAsync(["define", "/dev/stdin"], xml.ToString());
        Assert.True(defined.ExitCode == 0, $"virsh define: {defined.Stderr}");
        await _sandbox.VirshAsync("start", Name(machine));
        await _sandbox.VirshAsync("destroy", Name(machine));
        return nvram;
    }

    /// <summary>
    /// Makes the lab directory a (transient) libvirt storage pool, so the disks become volumes libvirt knows the size
    /// of, as vmetal's pool volumes are. Removed on dispose.
    /// </summary>
    public async Task AddDiskPoolAsync()
    {
        var created = await _sandbox.VirshResultAsync("pool-create-as", PoolName, "dir", "--target", _directory.Path);
        Assert.True(created.ExitCode == 0, $"virsh pool-create-as: {created.Stderr}");
    }

    /// <summary>
    /// Adds a second qcow2 disk (vdb, <paramref name="mebibytes"/> MiB, in the lab directory) to the persistent definition,
    /// behind the BMC's back; with the lab's pool active, libvirt knows its size once the pool is refreshed.
    /// </summary>
    public async Task AddSecondDiskAsync(int machine, int mebibytes)
    {
        var disk = _directory.File($"{Name(machine)}-vdb.qcow2");
        (await ProcessRunner.RunAsync("qemu-img", "create", "-q", "-f", "qcow2", disk, $"{mebibytes}M")).EnsureSuccess("qemu-img create");
        File.SetUnixFileMode(disk, (UnixFileMode)0b110_110_110);
        await _sandbox.VirshResultAsync("pool-refresh", PoolName);
        // define, not attach-disk --config: only a definition raises the lifecycle event the BMC follows.
        var xml = XDocument.Parse(await _sandbox.VirshAsync("dumpxml", "--inactive", Name(machine)));
        xml.Root!.Element("devices")!.Add(new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "disk"),
            new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "qcow2")),
            new XElement("source", new XAttribute("file", disk)),
            new XElement("target", new XAttribute("dev", "vdb"), new XAttribute("bus", "virtio"))));
        var defined = await _sandbox.VirshResultAsync(["define", "/dev/stdin"], xml.ToString());
        Assert.True(defined.ExitCode == 0, $"virsh define: {defined.Stderr}");
    }

    private string PoolName => Config.Workspace + "-pool";

    public Task UndefineAsync(int machine) => _sandbox.VirshAsync("undefine", "--nvram", Name(machine));

    /// <summary>Runs <c>virsh COMMAND &lt;machine's domain&gt;</c> in the sandbox, behind the BMC's back.</summary>
    public Task<string> VirshOnAsync(string command, int machine) => _sandbox.VirshAsync(command, Name(machine));

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Backend.DisposeAsync();
        await RemoveDomainsAsync(_sandbox, Config.Machines.Select(m => m.Name));
        await _sandbox.VirshResultAsync("pool-destroy", PoolName);
        _directory.Dispose();
    }

    private static async Task RemoveDomainsAsync(SandboxFixture sandbox, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            await sandbox.VirshResultAsync("destroy", name);
            await sandbox.VirshResultAsync("undefine", "--nvram", name);
        }
    }

    private static string DomainXml(string name, string disk, int index) => $"""
        <domain type='qemu'>
          <name>{name}</name>
          <memory unit='MiB'>64</memory>
          <vcpu>1</vcpu>
          <os><type arch='x86_64' machine='pc'>hvm</type></os>
          <features><acpi/></features>
          <devices>
            <disk type='file' device='disk'>
              <driver name='qemu' type='qcow2'/><source file='{disk}'/><target dev='vda' bus='virtio'/><boot order='2'/>
            </disk>
            <interface type='user'><mac address='52:54:00:b3:{index / 256:x2}:{index % 256:x2}'/><model type='virtio'/><boot order='1'/></interface>
          </devices>
        </domain>
        """;
}
