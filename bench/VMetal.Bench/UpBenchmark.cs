using System.Globalization;
using VMetal.Converge;
using VMetal.Hosting;
using VMetal.Libvirt;
using VMetal.Rendering;
using VMetal.Sandbox;
using VMetal.Topology;

namespace VMetal.Bench;

/// <summary>
/// `vmetal up` / re-`up` / `down` of infrared's 10-node bare-metal lab on the sandbox, against
/// the floor: the same libvirt objects created and removed by a serial virsh script in one SSH
/// call. vmetal runs in-process through its real command tree (<see cref="TimedCli"/>): what a
/// user's `vmetal up` does, SSH and libvirt connection included, minus .NET start-up, which the
/// rows timing the binary as a process show.
/// </summary>
internal static class UpBenchmark
{
    private const string Layout = "3_nets";

    // infrared's timings are for this work: every node 512 MiB, 1 vCPU, one 8G thin disk, 3 NICs.
    private static readonly string[] Sizing =
    [
        "override.controller.memory=512", "override.controller.cpu=1", "override.controller.disks.disk1.size=8G",
        "override.compute.memory=512", "override.compute.cpu=1", "override.compute.disks.disk1.size=8G",
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        if (!BenchOptions.TryParse(args, out var options))
        {
            Console.Error.WriteLine("usage: VMetal.Bench up [--reps N (cold up/down, default 3)] [--noop-reps M (default 5)] [--settle SECONDS (default 5)]");
            return BenchExitCodes.Usage;
        }
        if (!SandboxManager.LooksUp())
        {
            Console.Error.WriteLine("the sandbox hypervisor is not up (run: ./vmetal sandbox up)");
            return BenchExitCodes.NoTarget;
        }
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // Stop at the next step, then clean up in the finally block.
            e.Cancel = true;
            cancellation.Cancel();
        };
        var sandbox = SandboxManager.DefaultEnvironment;
        var directory = Directory.CreateTempSubdirectory("vmetal-bench-up-");
        var lab = new BenchLab(sandbox, "bench-up", "bu", "controller:4,compute:6", Path.Combine(directory.FullName, "lab10"));
        var big = new BenchLab(sandbox, "bench-up20", "bu20", "controller:8,compute:12", Path.Combine(directory.FullName, "lab20"));
        await using var host = await new HostConnector().ConnectAsync(sandbox.HostSettings);
        await using var libvirt = await HostLibvirt.ConnectAsync(host);
        var run = new BenchRun(options, sandbox.HostSettings, libvirt, cancellation.Token);
        VirshFloor? floor = null;
        try
        {
            Console.WriteLine($"target: {sandbox.Host} (libvirt {await libvirt.GetLibVersionAsync()}); load: {Load.Describe()}");
            Console.WriteLine($"lab: {lab.Nodes} on {Layout}, 512 MiB, 1 vCPU, 8G thin disk each; {options.Reps} cold up/down, {options.NoOpReps} no-op runs, {options.Settle} s settle");
            // Leftovers of an interrupted earlier run.
            await lab.DownAsync(asProcess: false, CancellationToken.None);
            await big.DownAsync(asProcess: false, CancellationToken.None);

            // Warm-up (not counted): vmetal's first run creates the pool if missing and JIT-compiles the paths.
            run.Say("warm-up: vmetal up + down");
            await lab.UpAsync(start: true, asProcess: false, cancellation.Token);
            var render = new RenderOptions { DomainType = DomainType.Qemu };
            var pool = (await new LibvirtHypervisor(libvirt).ObserveAsync(render.PoolName, render.PoolPath, [], cancellation.Token)).Pool?.Name
                ?? throw new InvalidOperationException($"no storage pool for {render.PoolPath} after vmetal up");
            await lab.DownAsync(asProcess: false, cancellation.Token);
            var floorRequest = new TopologyRequest { Workspace = "bench-floor", NodeCounts = lab.Nodes, NetworkLayout = Layout, ExtraVars = Sizing, Prefix = "bf" };
            floor = await VirshFloor.RenderAsync(floorRequest, new LibvirtHypervisor(libvirt), render with { PoolName = pool }, pool, cancellation.Token);
            await VirshFloor.RunAsync(sandbox.HostSettings, floor.TeardownScript(lenient: true), cancellation.Token);
            run.Say("warm-up: floor up + teardown");
            await run.FloorUpAsync(floor, record: false);
            await run.FloorDownAsync(floor, record: false);

            Func<Task>[] contenders =
            [
                () => run.VmetalUpDownAsync(lab, asProcess: false),
                () => run.VmetalUpDownAsync(lab, asProcess: true),
                () => run.FloorUpAndDownAsync(floor),
            ];
            for (var rep = 0; rep < options.Reps; rep++)
            {
                // Rotate who goes first, so drift in the host's load hits all alike.
                run.Say($"repetition {rep + 1}/{options.Reps}");
                for (var i = 0; i < contenders.Length; i++)
                    await contenders[(rep + i) % contenders.Length]();
            }

            await run.NoOpAsync(lab, start: true, "no-op re-up, 10 nodes running");
            await run.NoOpAsync(big, start: false, "no-op re-up, 20 nodes defined, off");
        }
        finally
        {
            // Every step is tried, also after an earlier one failed.
            await CleanUpAsync(() => lab.DownAsync(asProcess: false, CancellationToken.None));
            await CleanUpAsync(() => big.DownAsync(asProcess: false, CancellationToken.None));
            if (floor is not null)
                await CleanUpAsync(() => VirshFloor.RunAsync(sandbox.HostSettings, floor.TeardownScript(lenient: true), CancellationToken.None));
            directory.Delete(recursive: true);
        }
        run.Print();
        return BenchExitCodes.Ok;
    }

    private static async Task CleanUpAsync(Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"cleanup failed: {ex.Message}");
        }
    }

    /// <summary>One vmetal workspace of the benchmark, run through vmetal's CLI.</summary>
    private sealed class BenchLab(SandboxEnvironment sandbox, string workspace, string prefix, string nodes, string directory)
    {
        // `vmetal down` fails (after tearing down) when the workspace directory does not exist.
        private readonly string _directory = Directory.CreateDirectory(directory).FullName;

        public string Prefix { get; } = prefix;

        public string Nodes { get; } = nodes;

        public int NodeCount { get; } = nodes.Split(',').Sum(item => int.Parse(item.Split(':')[1], CultureInfo.InvariantCulture));

        public string[] UpArgs(bool start) =>
        [
            .. Args("up"), "--topology-nodes", Nodes, "--topology-network", Layout, "--prefix", Prefix,
            .. Sizing.SelectMany(value => new[] { "-e", value }), .. start ? new[] { "--start" } : [],
            // The sandbox's libvirt lists kvm (/dev/kvm exists) but the CPU has no vmx/svm: KVM guests die at start.
            "--domain-type", "qemu",
        ];

        public async Task<CliRun> UpAsync(bool start, bool asProcess, CancellationToken cancellationToken) =>
            (await RunAsync(UpArgs(start), asProcess, cancellationToken)).EnsureSuccess();

        public async Task<CliRun> DownAsync(bool asProcess, CancellationToken cancellationToken) =>
            (await RunAsync(Args("down"), asProcess, cancellationToken)).EnsureSuccess();

        private static Task<CliRun> RunAsync(string[] args, bool asProcess, CancellationToken cancellationToken) =>
            asProcess ? TimedCli.RunProcessAsync(args, cancellationToken) : TimedCli.RunInProcessAsync(args, cancellationToken);

        private string[] Args(string command) =>
        [
            command, "--host", sandbox.Host, "--key", sandbox.KeyPath, "--known-hosts", sandbox.KnownHostsPath,
            "--workspace", workspace, "--workspace-dir", _directory, "-v",
        ];
    }

    /// <summary>The measurements of one benchmark run, and the checks between them.</summary>
    private sealed class BenchRun(BenchOptions options, HostSettings settings, LibvirtClient libvirt, CancellationToken cancellationToken)
    {
        private const string Process = "  same, vmetal binary as a process";

        private readonly SeriesSet _totals = new();
        private readonly SeriesSet _vmetalUp = new();
        private readonly SeriesSet _floorUp = new();
        private readonly SeriesSet _vmetalDown = new();
        private readonly SeriesSet _floorDown = new();
        private readonly Dictionary<string, SeriesSet> _noOpPhases = [];
        private readonly Series _load = new();
        private readonly string _startLoad = Load.Describe();

        public void Say(string message) => Console.WriteLine($"  {DateTime.Now:HH:mm:ss} {message} (load {Load.Describe()})");

        /// <summary>Cold `up --start`, then `down`; phases are kept for the in-process runs.</summary>
        public async Task VmetalUpDownAsync(BenchLab lab, bool asProcess)
        {
            var how = asProcess ? ", process" : "";
            _load.Add(Load.OneMinute());
            var up = await lab.UpAsync(start: true, asProcess, cancellationToken);
            if (!up.Output.Contains("converged", StringComparison.Ordinal))
                throw new InvalidOperationException($"cold up did not converge anything:\n{up.Output}");
            await ExpectRunningAsync(lab.Prefix, lab.NodeCount);
            _totals["vmetal cold up" + how].Add(up.Elapsed);

            var down = await lab.DownAsync(asProcess, cancellationToken);
            await ExpectGoneAsync(lab.Prefix);
            _totals["vmetal down" + how].Add(down.Elapsed);
            if (!asProcess)
            {
                _vmetalUp.Add(VerbosePhases.Up(up));
                _vmetalDown.Add(VerbosePhases.Down(down));
            }
            Say($"vmetal{how}: up {Series.Seconds(up.Elapsed.TotalMilliseconds)}, down {Series.Seconds(down.Elapsed.TotalMilliseconds)}");
            await SettleAsync();
        }

        public async Task FloorUpAndDownAsync(VirshFloor floor)
        {
            _load.Add(Load.OneMinute());
            var up = await FloorUpAsync(floor, record: true);
            var down = await FloorDownAsync(floor, record: true);
            Say($"floor: up {Series.Seconds(up.Elapsed.TotalMilliseconds)}, teardown {Series.Seconds(down.Elapsed.TotalMilliseconds)}");
        }

        public async Task<FloorRun> FloorUpAsync(VirshFloor floor, bool record)
        {
            var up = await VirshFloor.RunAsync(settings, floor.UpScript(), cancellationToken);
            await ExpectRunningAsync(floor.Prefix, floor.NodeCount);
            if (record)
            {
                _totals["floor cold up"].Add(up.Elapsed);
                _floorUp.Add(up.Phases(("networks (define, start, autostart)", ["net-define", "net-start", "net-autostart"]),
                    ("volumes", ["vol-create"]), ("define domains", ["define"]), ("start domains", ["start"])));
            }
            return up;
        }

        public async Task<FloorRun> FloorDownAsync(VirshFloor floor, bool record)
        {
            var down = await VirshFloor.RunAsync(settings, floor.TeardownScript(lenient: false), cancellationToken);
            await ExpectGoneAsync(floor.Prefix);
            if (record)
            {
                _totals["floor down"].Add(down.Elapsed);
                _floorDown.Add(down.Phases(("destroy + undefine domains", ["destroy", "undefine"]), ("delete volumes", ["vol-delete"]),
                    ("destroy + undefine networks", ["net-destroy", "net-undefine"])));
            }
            await SettleAsync();
            return down;
        }

        /// <summary>Creates the lab (not counted), then re-runs the same `up` in-process and as a process.</summary>
        public async Task NoOpAsync(BenchLab lab, bool start, string name)
        {
            Say($"{name}: creating the lab");
            await lab.UpAsync(start, asProcess: false, cancellationToken);
            await ExpectRunningAsync(lab.Prefix, start ? lab.NodeCount : 0);
            await SettleAsync();
            foreach (var asProcess in new[] { false, true })
            {
                var key = name + (asProcess ? ", process" : "");
                var phases = _noOpPhases[key] = new SeriesSet();
                for (var i = 0; i < options.NoOpReps; i++)
                {
                    _load.Add(Load.OneMinute());
                    var again = await lab.UpAsync(start, asProcess, cancellationToken);
                    if (!again.Output.Contains("is up to date", StringComparison.Ordinal))
                        throw new InvalidOperationException($"re-up was not a no-op:\n{again.Output}");
                    _totals[key].Add(again.Elapsed);
                    phases.Add(VerbosePhases.Up(again));
                }
            }
            Say($"{name}: in-process {_totals[name].Describe()}, process {_totals[name + ", process"].Describe()}");
            await lab.DownAsync(asProcess: false, cancellationToken);
            await ExpectGoneAsync(lab.Prefix);
            await SettleAsync();
        }

        public void Print()
        {
            Console.WriteLine();
            Console.WriteLine($"load average (1 min) at the measured steps: median {_load.Median:0.0}, {_load.Min:0.0}-{_load.Max:0.0} on {Environment.ProcessorCount} cores; " +
                              $"before: {_startLoad}, after: {Load.Describe()}");
            Console.WriteLine();
            Console.WriteLine($"{"operation",-52} {"vmetal median (min-max)",-26} {"floor median (min-max)",-26} {"vmetal/floor",12}  target");
            foreach (var (name, key) in new[] { ("cold up, 10 nodes started", "cold up"), ("down, 10 running nodes", "down") })
            {
                Row(name, _totals["vmetal " + key], _totals["floor " + key], "<= 1.0x floor", ratio => ratio <= 1.0);
                Row(Process, _totals["vmetal " + key + ", process"], _totals["floor " + key], "<= 1.0x floor", ratio => ratio <= 1.0);
            }
            foreach (var name in _noOpPhases.Keys.Where(key => !key.EndsWith(", process", StringComparison.Ordinal)))
            {
                Row(name, _totals[name], null, "< 1 s", _ => _totals[name].Median < 1000);
                Row(Process, _totals[name + ", process"], null, "< 1 s", _ => _totals[name + ", process"].Median < 1000);
            }
            Phases("vmetal cold up, phases", _vmetalUp);
            Phases("floor cold up (one SSH call), phases", _floorUp);
            Phases("vmetal down, phases", _vmetalDown);
            Phases("floor teardown (one SSH call), phases", _floorDown);
            foreach (var (name, phases) in _noOpPhases)
                Phases($"{name}, phases", phases);
        }

        private static void Row(string name, Series vmetal, Series? floor, string target, Func<double, bool> met)
        {
            var ratio = floor is null ? double.NaN : vmetal.Median / floor.Median;
            var verdict = vmetal.Count == 0 ? "not measured" : met(ratio) ? "met" : "MISSED";
            var ratioText = double.IsNaN(ratio) ? "-" : $"{ratio:0.00}x";
            Console.WriteLine($"{name,-52} {vmetal.Describe(),-26} {floor?.Describe() ?? "-",-26} {ratioText,12}  {target}: {verdict}");
        }

        private static void Phases(string title, SeriesSet phases)
        {
            Console.WriteLine();
            Console.WriteLine($"{title} (medians; min-max)");
            foreach (var (phase, series) in phases.Items)
                Console.WriteLine($"  {phase,-46} {series.Median,8:0} ms  ({series.Min:0}-{series.Max:0})");
        }

        /// <summary>Checked after each step, outside the timings: the work really happened.</summary>
        private async Task ExpectRunningAsync(string prefix, int count)
        {
            var running = (await libvirt.ListAllDomainsAsync(cancellationToken: cancellationToken))
                .Count(domain => domain.Name.StartsWith(prefix + "-", StringComparison.Ordinal) && domain.Id > 0);
            if (running != count)
                throw new InvalidOperationException($"expected {count} running domains named {prefix}-*, found {running}");
        }

        private async Task ExpectGoneAsync(string prefix)
        {
            bool Mine(string name) => name.StartsWith(prefix + "-", StringComparison.Ordinal);
            var left = (await libvirt.ListAllDomainsAsync(cancellationToken: cancellationToken)).Select(d => d.Name).Where(Mine)
                .Concat((await libvirt.ListAllNetworksAsync(cancellationToken: cancellationToken)).Select(n => n.Name).Where(Mine))
                .ToList();
            foreach (var pool in await libvirt.ListAllStoragePoolsAsync(StoragePoolListFlags.Active, cancellationToken))
                left.AddRange((await libvirt.StoragePoolListAllVolumesAsync(pool, cancellationToken: cancellationToken)).Select(v => v.Name).Where(Mine));
            if (left.Count > 0)
                throw new InvalidOperationException($"left after teardown: {string.Join(", ", left)}");
        }

        /// <summary>Destroyed TCG guests leave the CPUs busy for a moment: let the host settle between steps.</summary>
        private Task SettleAsync() => Task.Delay(TimeSpan.FromSeconds(options.Settle), cancellationToken);
    }

    private sealed record BenchOptions(int Reps, int NoOpReps, int Settle)
    {
        public static bool TryParse(string[] args, out BenchOptions options)
        {
            options = new BenchOptions(3, 5, 5);
            for (var i = 0; i < args.Length; i += 2)
            {
                if (i + 1 >= args.Length || !int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value) || value < 0)
                    return false;
                options = args[i] switch
                {
                    "--reps" when value > 0 => options with { Reps = value },
                    "--noop-reps" when value > 0 => options with { NoOpReps = value },
                    "--settle" => options with { Settle = value },
                    _ => null!,
                };
                if (options is null)
                    return false;
            }
            return true;
        }
    }

    /// <summary>This machine's load average (the sandbox shares its kernel and CPUs).</summary>
    private static class Load
    {
        public static double OneMinute() => double.Parse(Fields()[0], CultureInfo.InvariantCulture);

        public static string Describe() => string.Join(' ', Fields()[..3]);

        private static string[] Fields() => File.ReadAllText("/proc/loadavg").Split(' ');
    }
}
