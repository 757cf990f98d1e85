using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using VMetal.Converge;
using VMetal.Hosting;
using VMetal.Rendering;
using VMetal.Topology;

namespace VMetal.Bench;

/// <summary>What one floor script took: SSH connect, then the sums of its steps by label.</summary>
internal sealed record FloorRun(TimeSpan Elapsed, TimeSpan Connect, IReadOnlyDictionary<string, double> StepMilliseconds)
{
    /// <summary>Phases that add up to <see cref="Elapsed"/>: SSH connect, the groups of steps, the rest.</summary>
    public IReadOnlyList<(string Phase, double Milliseconds)> Phases(params (string Phase, string[] Labels)[] groups)
    {
        var phases = new List<(string Phase, double Milliseconds)> { ("SSH connect", Connect.TotalMilliseconds) };
        phases.AddRange(groups.Select(group => (group.Phase, group.Labels.Sum(label => StepMilliseconds.GetValueOrDefault(label)))));
        phases.Add(("upload, sudo, disconnect", Elapsed.TotalMilliseconds - phases.Sum(p => p.Milliseconds)));
        return phases;
    }
}

/// <summary>
/// The floor vmetal is measured against: the same libvirt objects (vmetal's own rendered XML,
/// under another prefix) created by a plain bash script of one <c>virsh</c> call per step, run
/// serially as a typical script would, sent over one SSH connection; and its teardown.
/// </summary>
internal sealed class VirshFloor
{
    private const string XmlEnd = "VMETAL_BENCH_XML";

    // Each step prints its label and bash's clock (a builtin: no process per mark).
    private const string Preamble = """
        set -eu
        v() { virsh -q -c qemu:///system "$@" >/dev/null; }
        mark() { echo "T $1 $EPOCHREALTIME"; }
        mark begin

        """;

    private readonly DesiredState _desired;
    private readonly string _pool;

    private VirshFloor(DesiredState desired, string pool)
    {
        _desired = desired;
        _pool = pool;
    }

    public int NodeCount => _desired.Domains.Count;

    public string Prefix => _desired.Topology.Prefix ?? "";

    /// <summary>
    /// Renders the lab exactly as vmetal's engine does, on the first free pair of subnet octets
    /// counted down from the top, so it stays clear of prefixed vmetal labs, which count up.
    /// </summary>
    public static async Task<VirshFloor> RenderAsync(TopologyRequest request, LibvirtHypervisor hypervisor, RenderOptions render,
        string pool, CancellationToken cancellationToken)
    {
        var used = (await hypervisor.ObserveAsync("", "", [], cancellationToken)).Networks.SelectMany(n => n.Subnets).ToList();
        for (var net = 241; net > 0; net -= 10)
        {
            var topology = await ConvergeEngine.LoadTopologyAsync(request with { Octets = new NetworkOctets(net, net + 2) }, null, cancellationToken);
            var subnets = topology.Networks.Select(n => n.Ipv4?.Subnet).OfType<IPNetwork>();
            if (subnets.Any(subnet => used.Any(other => subnet.Contains(other.BaseAddress) || other.Contains(subnet.BaseAddress))))
                continue;
            return new VirshFloor(DesiredState.From(topology, render, startBareMetal: true), pool);
        }
        throw new InvalidOperationException("no free subnets on the host for the floor's lab");
    }

    /// <summary>Networks (define, start, autostart), disks, then each domain defined and started.</summary>
    public string UpScript()
    {
        var script = new StringBuilder(Preamble);
        foreach (var network in _desired.Networks)
        {
            WithXml(script, "net-define /dev/stdin", network.Xml, "net-define");
            Step(script, $"net-start {Quote(network.Name)}", "net-start");
            Step(script, $"net-autostart {Quote(network.Name)}", "net-autostart");
        }
        foreach (var volume in _desired.Volumes)
        {
            // vmetal passes the same flag to storageVolCreateXML (thin qcow2 with metadata).
            var preallocation = volume.Flags != 0 ? " --prealloc-metadata" : "";
            WithXml(script, $"vol-create {Quote(_pool)} /dev/stdin{preallocation}", volume.Xml, "vol-create");
        }
        foreach (var domain in _desired.Domains)
        {
            WithXml(script, "define /dev/stdin", domain.Xml, "define");
            Step(script, $"start {Quote(domain.Name)}", "start");
        }
        return script.ToString();
    }

    /// <summary>What `vmetal down` removes: domains (destroyed, undefined), disks, networks.</summary>
    public string TeardownScript(bool lenient)
    {
        var script = new StringBuilder(Preamble);
        foreach (var domain in _desired.Domains)
        {
            Step(script, $"destroy {Quote(domain.Name)}", "destroy", lenient);
            Step(script, $"undefine {Quote(domain.Name)}", "undefine", lenient);
        }
        foreach (var volume in _desired.Volumes)
            Step(script, $"vol-delete --pool {Quote(_pool)} {Quote(volume.Name)}", "vol-delete", lenient);
        foreach (var network in _desired.Networks)
        {
            Step(script, $"net-destroy {Quote(network.Name)}", "net-destroy", lenient);
            Step(script, $"net-undefine {Quote(network.Name)}", "net-undefine", lenient);
        }
        return script.ToString();
    }

    /// <summary>Connects (as vmetal does: a new SSH connection), runs the script as root, disconnects.</summary>
    public static async Task<FloorRun> RunAsync(HostSettings settings, string script, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan connected;
        CommandResult result;
        // The script goes on stdin into a file, so the commands in it cannot read the rest of it.
        var command = HostCommand.AsRoot("f=$(mktemp) && cat >\"$f\" && bash \"$f\"; rc=$?; rm -f \"$f\"; exit $rc").WithStdin(script);
        await using (var host = await new HostConnector().ConnectAsync(settings, cancellationToken))
        {
            connected = clock.Elapsed;
            result = await host.RunAsync(command, cancellationToken);
            result.EnsureSuccess(command, host.Target);
        }
        return new FloorRun(clock.Elapsed, connected, StepSums(result.Stdout));
    }

    private static Dictionary<string, double> StepSums(string output)
    {
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        double? previous = null;
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length != 3 || parts[0] != "T")
                continue;
            var seconds = double.Parse(parts[2].Replace(',', '.'), CultureInfo.InvariantCulture);
            if (previous is { } start)
                sums[parts[1]] = sums.GetValueOrDefault(parts[1]) + ((seconds - start) * 1000);
            previous = seconds;
        }
        return sums;
    }

    private static void WithXml(StringBuilder script, string virshArguments, string xml, string label) =>
        script.Append(CultureInfo.InvariantCulture, $"v {virshArguments} <<'{XmlEnd}'\n{xml.TrimEnd()}\n{XmlEnd}\nmark {label}\n");

    private static void Step(StringBuilder script, string virshArguments, string label, bool lenient = false) =>
        script.Append(lenient ? $"v {virshArguments} 2>/dev/null || true\n" : $"v {virshArguments}\nmark {label}\n");

    private static string Quote(string value) => ShellQuote.Quote(value);
}
