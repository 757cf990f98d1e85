using System.Security.Cryptography;
using VMetal.Bmc.Configuration;
using VMetal.Bmc.Hosting;
using VMetal.Converge;
using VMetal.Hosting;

namespace VMetal.Deployment;

/// <summary>Which BMC protocols a workspace gets (<c>--bmc</c>).</summary>
public enum BmcProtocols
{
    None,
    Ipmi,
    Redfish,
    Both,
}

/// <summary>How `up` asks for the workspace's BMCs.</summary>
/// <param name="ListenAddress">Where Ironic reaches them: an address of the hypervisor (default: the lab's management gateway).</param>
/// <param name="Binary">A self-contained linux-x64 vmetal binary to run on the hypervisor.</param>
public sealed record BmcRequest(BmcProtocols Protocols, string ListenAddress, string Binary, int RedfishPort = BmcDeployer.DefaultRedfishPort,
    BmcCredentials? Credentials = null);

/// <summary>A change the deployment made (or found unnecessary), like a plan line.</summary>
public sealed record BmcStep(string Name, bool Changed, string Detail);

/// <summary>What <c>vmetal status</c> shows of a workspace's BMCs.</summary>
/// <param name="Config">The workspace's configuration on the host; null when it has no BMCs (<c>--bmc none</c>, or never deployed).</param>
/// <param name="ServiceRunning">Whether the host's BMC service (serving every workspace) runs.</param>
public sealed record BmcServiceStatus(BmcWorkspaceConfig? Config, bool ServiceRunning);

public sealed record BmcDeployment(IReadOnlyList<BmcNodeEndpoint> Endpoints, IReadOnlyList<BmcStep> Steps);

/// <summary>The BMC binary to deploy is missing or unusable (bad input: nothing was changed).</summary>
public sealed class BmcBinaryException(string message) : VMetalException(FailureKind.BadInput, message);

/// <summary>
/// Puts vmetal's virtual BMC service on a hypervisor: one process (`vmetal bmc serve`) for every
/// workspace there, run by systemd where systemd is PID 1 and by a small restart loop otherwise.
/// Each workspace has its own configuration file (machines, stable IPMI ports, credentials); the
/// service reloads the directory when a file changes. Everything is idempotent.
/// </summary>
public sealed class BmcDeployer(IHostConnection host)
{
    public const int DefaultRedfishPort = 8000;
    public const string ConfigDirectory = BmcConfigFile.DefaultDirectory;
    private const string BinaryDirectory = "/usr/local/lib/vmetal";
    private const string Unit = "vmetal-bmc.service";
    private const string UnitPath = "/etc/systemd/system/" + Unit;
    private const string SupervisorPidFile = "/run/vmetal-bmc.pid";
    private const string LogFile = "/var/log/vmetal-bmc.log";

    /// <summary>
    /// Stops the restart loop whose pid is in $pid, then the service it runs (its child), by PID:
    /// the loop first, so it cannot start the service again.
    /// </summary>
    private const string StopSupervisor =
        "children=$(ps -o pid= --ppid \"$pid\"); kill -TERM \"$pid\" $children 2>/dev/null || true; " +
        "for i in $(seq 50); do kill -0 $children 2>/dev/null || break; sleep 0.1; done";

    /// <summary>Configures the workspace's BMCs and makes sure the service runs the given binary.</summary>
    public async Task<BmcDeployment> DeployAsync(string workspace, IReadOnlyList<(string Name, Guid Uuid)> machines, BmcRequest request,
        CancellationToken cancellationToken)
    {
        var steps = new List<BmcStep>();
        var configs = await ReadConfigsAsync(cancellationToken);
        var previous = configs.FirstOrDefault(c => c.Workspace == workspace);
        var others = configs.Where(c => c.Workspace != workspace).ToList();
        var ipmi = request.Protocols is BmcProtocols.Ipmi or BmcProtocols.Both;
        var redfish = request.Protocols is BmcProtocols.Redfish or BmcProtocols.Both;
        var ports = ipmi ? IpmiPortAllocator.Allocate(machines.Select(m => m.Name), previous, others) : new Dictionary<string, int>();
        var config = new BmcWorkspaceConfig
        {
            Workspace = workspace,
            // Kept across runs: Ironic and instackenv.json already hold them.
            Credentials = request.Credentials ?? previous?.Credentials ?? BmcCredentials.Generate(),
            Ipmi = ipmi ? new IpmiConfig(request.ListenAddress) : null,
            Redfish = redfish ? new RedfishConfig(request.ListenAddress, request.RedfishPort) : null,
            Machines = [.. machines.Select(m => new BmcMachineConfig(m.Uuid, m.Name, ipmi ? ports[m.Name] : null))],
        };
        var json = BmcConfigFile.Serialize(config);
        BmcConfigFile.Deserialize(json, $"{workspace} BMC configuration"); // validates before anything is written

        var binary = await EnsureBinaryAsync(request.Binary, steps, cancellationToken);
        var path = ConfigPath(workspace);
        if (previous is not null && BmcConfigFile.Serialize(previous) == json)
        {
            steps.Add(new BmcStep("bmc-config", false, path));
        }
        else
        {
            await WriteConfigAsync(path, json, cancellationToken);
            steps.Add(new BmcStep("bmc-config", true, $"{path}: {machines.Count} machine(s)"));
        }
        steps.Add(await EnsureServiceAsync(binary, cancellationToken));
        await WaitUntilServingAsync(config, cancellationToken);
        return new BmcDeployment(BmcEndpoints.Describe(config), steps);
    }

    /// <summary>Removes the workspace's configuration; the last workspace out stops the service.</summary>
    public async Task<IReadOnlyList<BmcStep>> RemoveAsync(string workspace, CancellationToken cancellationToken)
    {
        WorkspaceRecord.RequireValidName(workspace);
        var path = ConfigPath(workspace);
        var quoted = ShellQuote.Quote(path);
        var certificate = ShellQuote.Quote(BmcHostOptions.SelfSignedCertificatePath(BmcHostOptions.DefaultStateDirectory, workspace));
        var result = await host.RunCheckedAsync(HostCommand.AsRoot(
            $"if [ -e {quoted} ]; then rm -f {quoted}; echo removed; fi; rm -f {certificate}; ls {ConfigDirectory}/*.json 2>/dev/null | wc -l"),
            cancellationToken);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var steps = new List<BmcStep>();
        if (lines.Contains("removed"))
            steps.Add(new BmcStep("bmc-config", true, $"removed {path}"));
        if (lines.LastOrDefault()?.Trim() == "0")
            steps.Add(await StopServiceAsync(cancellationToken));
        return steps;
    }

    /// <summary>
    /// Takes machines out of the workspace's BMC configuration (remove-nodes): the running service drops their endpoints
    /// and the freed IPMI ports can go to later nodes. No configuration, or none of the names in it: nothing to do.
    /// </summary>
    public async Task<IReadOnlyList<BmcStep>> RemoveMachinesAsync(string workspace, IReadOnlySet<string> names, CancellationToken cancellationToken)
    {
        WorkspaceRecord.RequireValidName(workspace);
        var current = (await ReadConfigsAsync(cancellationToken)).FirstOrDefault(c => c.Workspace == workspace);
        if (current is null || !current.Machines.Any(m => names.Contains(m.Name)))
            return [];
        var remaining = current with { Machines = [.. current.Machines.Where(m => !names.Contains(m.Name))] };
        var path = ConfigPath(workspace);
        await WriteConfigAsync(path, BmcConfigFile.Serialize(remaining), cancellationToken);
        var removed = current.Machines.Count - remaining.Machines.Count;
        return [new BmcStep("bmc-config", true, $"{path}: {removed} machine(s) removed, {remaining.Machines.Count} left")];
    }

    private static string ConfigPath(string workspace) => $"{ConfigDirectory}/{BmcConfigFile.FileName(workspace)}";

    /// <summary>Root-only: it holds the BMC password.</summary>
    private Task WriteConfigAsync(string path, string json, CancellationToken cancellationToken) =>
        host.WriteFileAsync(path, json, new FileWriteOptions { Sudo = true, Mode = Convert.ToInt32("600", 8) }, cancellationToken);

    /// <summary>The configurations of every workspace on the host, in one round trip.</summary>
    public async Task<IReadOnlyList<BmcWorkspaceConfig>> ReadConfigsAsync(CancellationToken cancellationToken)
    {
        var result = await host.RunCheckedAsync(HostCommand.AsRoot(PrintConfigs), cancellationToken);
        return ParseConfigs(result.Stdout);
    }

    /// <summary>The workspace's BMC configuration (null: it has none) and whether the service runs, in one round trip.</summary>
    public async Task<BmcServiceStatus> ReadStatusAsync(string workspace, CancellationToken cancellationToken)
    {
        var script = $$"""
            {{PrintConfigs}}
            printf '\036service\n'
            if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
              systemctl is-active --quiet {{Unit}} && echo running || echo stopped
            else
              pid=$(cat {{SupervisorPidFile}} 2>/dev/null || true)
              [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -qF 'bmc serve' /proc/$pid/cmdline && echo running || echo stopped
            fi
            """;
        var result = await host.RunCheckedAsync(HostCommand.AsRoot(script), cancellationToken);
        var marker = result.Stdout.LastIndexOf("\u001eservice\n", StringComparison.Ordinal);
        var configs = ParseConfigs(marker < 0 ? result.Stdout : result.Stdout[..marker]);
        var running = marker >= 0 && result.Stdout[marker..].Contains("running", StringComparison.Ordinal);
        return new BmcServiceStatus(configs.FirstOrDefault(c => c.Workspace == workspace), running);
    }

    /// <summary>Each configuration file as a record separator (0x1e), its path, a newline and its content.</summary>
    private const string PrintConfigs =
        $"for f in {ConfigDirectory}/*.json; do [ -e \"$f\" ] || continue; printf '\\036%s\\n' \"$f\"; cat \"$f\"; done";

    private static List<BmcWorkspaceConfig> ParseConfigs(string output)
    {
        var configs = new List<BmcWorkspaceConfig>();
        foreach (var chunk in output.Split('\u001e', StringSplitOptions.RemoveEmptyEntries))
        {
            var newline = chunk.IndexOf('\n', StringComparison.Ordinal);
            if (newline > 0)
                configs.Add(BmcConfigFile.Deserialize(chunk[(newline + 1)..], chunk[..newline]));
        }
        return configs;
    }

    /// <summary>Uploads the binary under a name derived from its content, unless that version is there already.</summary>
    private async Task<string> EnsureBinaryAsync(string localBinary, List<BmcStep> steps, CancellationToken cancellationToken)
    {
        if (!File.Exists(localBinary))
            throw new BmcBinaryException($"the BMC needs a self-contained linux-x64 vmetal binary; '{localBinary}' does not exist (set VMETAL_BMC_BINARY or --bmc-binary)");
        var hash = await ContentHashAsync(localBinary, cancellationToken);
        var remote = $"{BinaryDirectory}/vmetal-{hash}";
        var present = await host.RunAsync(HostCommand.AsRoot($"test -x {remote}"), cancellationToken);
        if (present.Succeeded)
        {
            steps.Add(new BmcStep("bmc-binary", false, remote));
            return remote;
        }
        await using (var content = File.OpenRead(localBinary))
            await host.WriteFileAsync(remote, content, new FileWriteOptions { Sudo = true, Mode = Convert.ToInt32("755", 8) }, cancellationToken);
        steps.Add(new BmcStep("bmc-binary", true, $"uploaded {new FileInfo(localBinary).Length >> 20} MiB to {remote}"));
        return remote;
    }

    /// <summary>
    /// The binary's content hash names its copy on hypervisors. Hashing 100 MB takes half a second,
    /// so the result is cached per (path, size, modification time) under ~/.vmetal/cache.
    /// </summary>
    private static async Task<string> ContentHashAsync(string path, CancellationToken cancellationToken)
    {
        var file = new FileInfo(path);
        var key = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            $"{file.FullName}|{file.Length}|{file.LastWriteTimeUtc.Ticks}")))[..16];
        var cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".vmetal", "cache", $"sha256-{key}");
        if (File.Exists(cache) && (await File.ReadAllTextAsync(cache, cancellationToken)).Trim() is { Length: 16 } cached)
            return cached;
        string hash;
        await using (var stream = File.OpenRead(path))
            hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken))[..16];
        Directory.CreateDirectory(Path.GetDirectoryName(cache)!);
        await File.WriteAllTextAsync(cache, hash, cancellationToken);
        return hash;
    }

    private async Task<BmcStep> EnsureServiceAsync(string binary, CancellationToken cancellationToken)
    {
        var serve = $"{binary} bmc serve --config {ConfigDirectory} --state-dir {BmcHostOptions.DefaultStateDirectory}";
        var unit = $"""
            [Unit]
            Description=vmetal virtual BMC (IPMI and Redfish for vmetal's VMs)
            After=network-online.target libvirtd.service virtqemud.service

            [Service]
            ExecStart={serve}
            Restart=always
            RestartSec=2

            [Install]
            WantedBy=multi-user.target

            """;
        // systemd where it is PID 1; else a restart loop in its own session, found again by its pid file.
        var script = $$"""
            set -e
            if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
              if ! cmp -s {{UnitPath}} - <<'UNIT'
            {{unit}}UNIT
              then
                cat > {{UnitPath}} <<'UNIT'
            {{unit}}UNIT
                systemctl daemon-reload; systemctl enable {{Unit}} >/dev/null 2>&1; systemctl restart {{Unit}}; echo changed systemd
              elif ! systemctl is-active --quiet {{Unit}}; then
                systemctl enable {{Unit}} >/dev/null 2>&1; systemctl start {{Unit}}; echo changed systemd
              else
                echo unchanged systemd
              fi
              exit 0
            fi
            pid=$(cat {{SupervisorPidFile}} 2>/dev/null || true)
            if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -qF {{binary}} /proc/$pid/cmdline; then
              echo unchanged supervisor; exit 0
            fi
            if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -qF 'bmc serve' /proc/$pid/cmdline; then
              {{StopSupervisor}}
            fi
            setsid sh -c 'echo $$ > {{SupervisorPidFile}}; while :; do {{serve}}; sleep 2; done' </dev/null >>{{LogFile}} 2>&1 &
            echo changed supervisor
            """;
        var result = await host.RunCheckedAsync(HostCommand.AsRoot(script), cancellationToken);
        var outcome = result.Stdout.Trim().Split('\n').Last();
        return new BmcStep("bmc-service", outcome.StartsWith("changed", StringComparison.Ordinal),
            outcome.EndsWith("systemd", StringComparison.Ordinal) ? $"systemd unit {Unit}" : $"supervised process (pid file {SupervisorPidFile}, log {LogFile})");
    }

    private async Task<BmcStep> StopServiceAsync(CancellationToken cancellationToken)
    {
        var script = $$"""
            if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
              if [ -e {{UnitPath}} ]; then systemctl disable --now {{Unit}} >/dev/null 2>&1 || true; rm -f {{UnitPath}}; systemctl daemon-reload; echo stopped; fi
              exit 0
            fi
            pid=$(cat {{SupervisorPidFile}} 2>/dev/null || true)
            if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -qF 'bmc serve' /proc/$pid/cmdline; then
              {{StopSupervisor}}
              echo stopped
            fi
            rm -f {{SupervisorPidFile}}
            """;
        var result = await host.RunCheckedAsync(HostCommand.AsRoot(script), cancellationToken);
        var stopped = result.Stdout.Contains("stopped", StringComparison.Ordinal);
        return new BmcStep("bmc-service", stopped, stopped ? "stopped: no workspace uses it any more" : "not running (no workspace uses it)");
    }

    /// <summary>Waits until every IPMI port and the Redfish port of the workspace listen (the service reloads within a second or two).</summary>
    private async Task WaitUntilServingAsync(BmcWorkspaceConfig config, CancellationToken cancellationToken)
    {
        var udp = config.Ipmi is null ? [] : config.Machines.Select(m => $":{m.IpmiPort} ").ToList();
        var tcp = config.Redfish is { } redfish ? [$":{redfish.Port} "] : new List<string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var sockets = await host.RunAsync(HostCommand.AsRoot("ss -H -lnu; echo ---; ss -H -lnt"), cancellationToken);
            var parts = sockets.Stdout.Split("---");
            if (parts.Length == 2 && udp.All(port => parts[0].Contains(port, StringComparison.Ordinal)) && tcp.All(port => parts[1].Contains(port, StringComparison.Ordinal)))
                return;
            if (DateTime.UtcNow > deadline)
            {
                var log = await host.RunAsync(HostCommand.AsRoot($"tail -n 20 {LogFile} 2>/dev/null || journalctl -u {Unit} -n 20 --no-pager"), cancellationToken);
                throw new VMetalException(FailureKind.OperationFailed,
                    $"the BMC service on {host.Target} did not start listening within 30 s: {HostCommandException.FirstLines(log.Stdout, 5)}");
            }
            await Task.Delay(250, cancellationToken);
        }
    }
}

/// <summary>Picks what the BMC deployment needs from a lab.</summary>
public static class LabBmc
{
    /// <summary>Bare-metal nodes get BMCs (OS nodes are not Ironic's).</summary>
    public static IReadOnlyList<(string Name, Guid Uuid)> Machines(Topology.LabTopology topology, IReadOnlySet<string> removed) =>
        [.. topology.Nodes.Where(n => !n.DeployOs && !removed.Contains(n.Name)).Select(n => (n.Name, n.Uuid))];

    /// <summary>
    /// Where Ironic reaches the BMCs by default: the hypervisor's address on the lab's management
    /// network (infrared/virtualbmc's choice when the undercloud runs on the hypervisor), else on
    /// the nodes' external network, else on any network of the lab with an IPv4 address.
    /// </summary>
    public static string? DefaultListenAddress(Topology.LabTopology topology)
    {
        var withAddress = topology.Networks.Where(n => n.Ipv4 is not null).ToList();
        var chosen = withAddress.FirstOrDefault(n => n.BaseName == "management")
                     ?? withAddress.FirstOrDefault(n => topology.Nodes.Any(node => node.ExternalNetwork == n.Name))
                     ?? withAddress.FirstOrDefault();
        return chosen?.Ipv4!.Address.ToString();
    }
}
