using System.Diagnostics;
using VMetal.Hosting;
using VMetal.Libvirt;
using VMetal.Sandbox;

namespace VMetal.Bench;

/// <summary>
/// The managed libvirt client against virsh on the sandbox, both over one SSH connection:
/// the client keeps one exec channel running virt-ssh-helper, virsh runs as one
/// <c>sudo virsh</c> process per call on its own exec channel (what a tool shelling out does).
/// </summary>
internal static class LibvirtBenchmark
{
    private const int WarmUp = 5;

    public static async Task<int> RunAsync(string[] args)
    {
        if (!TryParse(args, out var rounds, out var cycles))
        {
            Console.Error.WriteLine("usage: VMetal.Bench libvirt [--rounds N (default 200)] [--cycles M (default 20)]");
            return BenchExitCodes.Usage;
        }
        if (!SandboxManager.LooksUp())
        {
            Console.Error.WriteLine("the sandbox hypervisor is not up (run: ./vmetal sandbox up)");
            return BenchExitCodes.NoTarget;
        }
        var sandbox = SandboxManager.DefaultEnvironment;
        await using var host = await new HostConnector().ConnectAsync(sandbox.HostSettings);
        var transport = new HostHelperTransport(host, HostCommand.Of("virt-ssh-helper qemu:///system"));

        var connectClock = Stopwatch.StartNew();
        await using var client = await LibvirtClient.ConnectAsync(transport);
        Console.WriteLine($"target: {sandbox.Host} (libvirt {await client.GetLibVersionAsync()}), client connected in {connectClock.Elapsed.TotalMilliseconds:0} ms");

        var name = $"b-lv-{Guid.NewGuid().ToString("N")[..6]}";
        var xml = $"<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>";
        await client.DomainDefineXmlAsync(xml);
        try
        {
            var clientLookup = await MeasureAsync($"lookup + get XML ({rounds}x)", rounds, async () =>
                await client.DomainGetXmlDescAsync(await client.DomainLookupByNameAsync(name)));
            var virshLookup = await MeasureAsync($"lookup + get XML ({rounds}x)", rounds, () =>
                VirshAsync(host, $"dumpxml {name}"));

            var cycleName = name + "c";
            var cycleXml = xml.Replace(name, cycleName, StringComparison.Ordinal);
            var clientCycle = await MeasureAsync($"define + undefine ({cycles}x)", cycles, async () =>
                await client.DomainUndefineAsync(await client.DomainDefineXmlAsync(cycleXml)));
            var virshCycle = await MeasureAsync($"define + undefine ({cycles}x)", cycles, async () =>
            {
                await VirshAsync(host, "define /dev/stdin", cycleXml);
                await VirshAsync(host, $"undefine {cycleName}");
            });

            var pipelined = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, rounds).Select(async _ =>
                await client.DomainGetXmlDescAsync(await client.DomainLookupByNameAsync(name))));
            pipelined.Stop();

            Console.WriteLine();
            Console.WriteLine($"{"operation",-32} {"client median",14} {"virsh median",13} {"virsh/client",13} {"client p90",11} {"virsh p90",10}");
            Print(clientLookup, virshLookup);
            Print(clientCycle, virshCycle);
            Console.WriteLine();
            Console.WriteLine($"client, {rounds} lookup + get XML issued at once on one connection: {pipelined.Elapsed.TotalMilliseconds:0} ms total, " +
                $"{pipelined.Elapsed.TotalMilliseconds / rounds:0.00} ms per round trip");
        }
        finally
        {
            await client.DomainUndefineAsync(await client.DomainLookupByNameAsync(name));
        }
        return BenchExitCodes.Ok;
    }

    private static void Print(Measurements client, Measurements virsh) =>
        Console.WriteLine($"{client.Name,-32} {client.Median,11:0.00} ms {virsh.Median,10:0.00} ms {virsh.Median / client.Median,12:0.0}x {client.P90,8:0.00} ms {virsh.P90,7:0.00} ms");

    private static async Task<Measurements> MeasureAsync(string name, int count, Func<Task> operation)
    {
        for (var i = 0; i < WarmUp; i++)
            await operation();
        var measurements = new Measurements(name);
        for (var i = 0; i < count; i++)
            await measurements.TimeAsync(operation);
        return measurements;
    }

    private static async Task VirshAsync(IHostConnection host, string arguments, string? stdin = null)
    {
        var command = HostCommand.AsRoot($"virsh -c qemu:///system {arguments}");
        if (stdin is not null)
            command = command.WithStdin(stdin);
        (await host.RunAsync(command)).EnsureSuccess(command, host.Target);
    }

    private static bool TryParse(string[] args, out int rounds, out int cycles)
    {
        rounds = 200;
        cycles = 20;
        for (var i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length || !int.TryParse(args[i + 1], out var value) || value <= 0)
                return false;
            switch (args[i])
            {
                case "--rounds":
                    rounds = value;
                    break;
                case "--cycles":
                    cycles = value;
                    break;
                default:
                    return false;
            }
        }
        return true;
    }

    /// <summary>Runs the libvirt helper on the SSH connection; the connection itself stays open for virsh.</summary>
    private sealed class HostHelperTransport(IHostConnection host, HostCommand command) : ILibvirtTransport
    {
        public async ValueTask<Stream> OpenAsync(CancellationToken cancellationToken)
        {
            var process = await host.StartAsync(command, cancellationToken);
            return new DuplexStream(process.StandardOutput, process.StandardInput, owner: process);
        }

        public override string ToString() => $"ssh {host.Target} {command}";
    }
}
