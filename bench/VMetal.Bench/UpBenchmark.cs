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
    public const string Layout = "3_nets";

    // infrared's timings are for this work: every node 512 MiB, 1 vCPU, one 8G thin disk, 3 NICs.
    public static readonly string[] Sizing =
    [
        "override.controller.memory=512", "override.controller.cpu=1", "override.controller.disks.disk1.size=8G",
        "override.compute.memory=512", "override.compute.cpu=1", "override.compute.disks.disk1.size=8G",
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        if (!BenchOptions.TryParse(args, out var options))
        {
            Console.Error.WriteLine("usage: VMetal.Bench up [--reps N (cold up/down, default 3)] [--noop-reps M (default 5)] [--settle SECONDS (default 5)] " +
                                    "[--binary PATH (vmetal timed as a process; default: the one built with the benchmark)]");
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
        var token = cancellation.Token;
        var sandbox = SandboxManager.DefaultEnvironment;
        var control = new Control(sandbox.HostSettings);
        var directory = Directory.CreateTempSubdirectory("vmetal-bench-up-");
        // The floor creates no virtual BMCs: leave them out wherever `up` would deploy them.
        var upHelp = await TimedCli.RunInProcessAsync(["up", "--help"], token);
        string[] noBmc = upHelp.Output.Contains("--bmc ", StringComparison.Ordinal) ? ["--bmc", "none"] : [];
        var lab = new BenchLab(sandbox, options.Binary, noBmc, "bench-up", "bu", "controller:4,compute:6", Path.Combine(directory.FullName, "lab10"));
        var big = new BenchLab(sandbox, options.Binary, noBmc, "bench-up20", "bu20", "controller:8,compute:12", Path.Combine(directory.FullName, "lab20"));
        var run = new UpMeasurements(options, control, token);
        VirshFloor? floor = null;
        Task RemoveFloorAsync() => floor is null ? Task.CompletedTask
            : VirshFloor.RunAsync(sandbox.HostSettings, floor.TeardownScript(lenient: true), CancellationToken.None);
        try
        {
            var version = await control.UseAsync((_, libvirt) => libvirt.GetLibVersionAsync(token), token);
            Console.WriteLine($"target: {sandbox.Host} (libvirt {version}); load: {Load.Describe()}");
            Console.WriteLine($"lab: {lab.Nodes} on {Layout}, 512 MiB, 1 vCPU, 8G thin disk each; {options.Reps} cold up/down, " +
                              $"{options.NoOpReps} no-op runs, {options.Settle} s settle");
            Console.WriteLine($"vmetal binary for the process rows: {options.Binary}");
            // Leftovers of an interrupted earlier run.
            await lab.DownAsync(asProcess: false, token);
            await big.DownAsync(asProcess: false, token);

            // Warm-up (not counted): vmetal's first run creates the pool if missing and JIT-compiles the paths.
            run.Say("warm-up (not counted)");
            var render = new RenderOptions { DomainType = DomainType.Qemu };
            var pool = "";
            await run.AttemptAsync("warm-up: vmetal up + down", async () =>
            {
                await lab.UpAsync(start: true, asProcess: false, token);
                pool = await control.UseAsync(async (_, libvirt) =>
                    (await new LibvirtHypervisor(libvirt).ObserveAsync(render.PoolName, render.PoolPath, [], token)).Pool?.Name
                    ?? throw new InvalidOperationException($"no storage pool for {render.PoolPath} after vmetal up"), token);
                await lab.DownAsync(asProcess: false, token);
            }, () => lab.DownAsync(asProcess: false, CancellationToken.None));
            var floorRequest = new TopologyRequest { Workspace = "bench-floor", NodeCounts = lab.Nodes, NetworkLayout = Layout, ExtraVars = Sizing, Prefix = "bf" };
            floor = await control.UseAsync((_, libvirt) =>
                VirshFloor.RenderAsync(floorRequest, new LibvirtHypervisor(libvirt), render with { PoolName = pool }, pool, token), token);
            await RemoveFloorAsync();
            await run.AttemptAsync("warm-up: floor up + teardown", () => run.FloorUpAndDownAsync(floor, record: false), RemoveFloorAsync);

            (string Name, Func<Task> Measure, Func<Task> CleanUp)[] contenders =
            [
                ("vmetal", () => run.VmetalUpDownAsync(lab, asProcess: false), () => lab.DownAsync(asProcess: false, CancellationToken.None)),
                ("vmetal, process", () => run.VmetalUpDownAsync(lab, asProcess: true), () => lab.DownAsync(asProcess: false, CancellationToken.None)),
                ("floor", () => run.FloorUpAndDownAsync(floor, record: true), RemoveFloorAsync),
            ];
            for (var rep = 0; rep < options.Reps; rep++)
            {
                // Rotate who goes first, so drift in the host's load hits all alike.
                run.Say($"repetition {rep + 1}/{options.Reps}");
                for (var i = 0; i < contenders.Length; i++)
                {
                    var (name, measure, cleanUp) = contenders[(rep + i) % contenders.Length];
                    await run.AttemptAsync(name, measure, cleanUp);
                }
            }

            await run.AttemptAsync("connection costs", run.ConnectionCostsAsync, () => Task.CompletedTask);
            await run.AttemptAsync("no-op, 10 nodes", () => run.NoOpAsync(lab, start: true, "no-op re-up, 10 nodes running"),
                () => lab.DownAsync(asProcess: false, CancellationToken.None));
            await run.AttemptAsync("no-op, 20 nodes", () => run.NoOpAsync(big, start: false, "no-op re-up, 20 nodes defined, off"),
                () => big.DownAsync(asProcess: false, CancellationToken.None));
        }
        finally
        {
            // Every step is tried, also after an earlier one failed.
            await CleanUpAsync(() => lab.DownAsync(asProcess: false, CancellationToken.None));
            await CleanUpAsync(() => big.DownAsync(asProcess: false, CancellationToken.None));
            await CleanUpAsync(RemoveFloorAsync);
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

    internal sealed record BenchOptions(int Reps, int NoOpReps, int Settle, string Binary)
    {
        public static bool TryParse(string[] args, out BenchOptions options)
        {
            options = new BenchOptions(3, 5, 5, TimedCli.DefaultBinary);
            for (var i = 0; i < args.Length; i += 2)
            {
                if (i + 1 >= args.Length)
                    return false;
                var text = args[i + 1];
                int? count = int.TryParse(text, CultureInfo.InvariantCulture, out var value) && value >= 0 ? value : null;
                BenchOptions? parsed = args[i] switch
                {
                    "--reps" when count > 0 => options with { Reps = value },
                    "--noop-reps" when count > 0 => options with { NoOpReps = value },
                    "--settle" when count is not null => options with { Settle = value },
                    "--binary" when File.Exists(text) => options with { Binary = Path.GetFullPath(text) },
                    _ => null,
                };
                if (parsed is null)
                    return false;
                options = parsed;
            }
            return true;
        }
    }

    /// <summary>
    /// Set-up and checks outside the timings, each on a fresh connection: the shared sandbox may
    /// be restarted under the benchmark, which ends any connection kept open.
    /// </summary>
    internal sealed class Control(HostSettings settings)
    {
        public HostSettings Settings => settings;

        public async Task<T> UseAsync<T>(Func<IHostConnection, LibvirtClient, Task<T>> work, CancellationToken cancellationToken)
        {
            await using var host = await new HostConnector().ConnectAsync(settings, cancellationToken);
            await using var libvirt = await HostLibvirt.ConnectAsync(host, cancellationToken: cancellationToken);
            return await work(host, libvirt);
        }
    }

    /// <summary>One vmetal workspace of the benchmark, run through vmetal's CLI.</summary>
    internal sealed class BenchLab(SandboxEnvironment sandbox, string binary, string[] upOptions, string workspace, string prefix, string nodes,
        string directory)
    {
        // `vmetal down` fails (after tearing down) when the workspace directory does not exist.
        private readonly string _directory = Directory.CreateDirectory(directory).FullName;

        public string Prefix { get; } = prefix;

        public string Nodes { get; } = nodes;

        public int NodeCount { get; } = nodes.Split(',').Sum(item => int.Parse(item.Split(':')[1], CultureInfo.InvariantCulture));

        public async Task<CliRun> UpAsync(bool start, bool asProcess, CancellationToken cancellationToken) =>
            (await RunAsync(UpArgs(start), asProcess, cancellationToken)).EnsureSuccess();

        public async Task<CliRun> DownAsync(bool asProcess, CancellationToken cancellationToken) =>
            (await RunAsync(Args("down"), asProcess, cancellationToken)).EnsureSuccess();

        private string[] UpArgs(bool start) =>
        [
            .. Args("up"), "--topology-nodes", Nodes, "--topology-network", Layout, "--prefix", Prefix,
            .. Sizing.SelectMany(value => new[] { "-e", value }), .. start ? new[] { "--start" } : [],
            // TCG, as the floor renders it, whatever libvirt claims: on this machine /dev/kvm can be
            // usable while the CPU has no vmx/svm, and then every KVM guest dies at start.
            "--domain-type", "qemu", .. upOptions,
        ];

        private Task<CliRun> RunAsync(string[] args, bool asProcess, CancellationToken cancellationToken) =>
            asProcess ? TimedCli.RunProcessAsync(binary, args, cancellationToken) : TimedCli.RunInProcessAsync(args, cancellationToken);

        private string[] Args(string command) =>
        [
            command, "--host", sandbox.Host, "--key", sandbox.KeyPath, "--known-hosts", sandbox.KnownHostsPath,
            "--workspace", workspace, "--workspace-dir", _directory, "-v",
        ];
    }

    /// <summary>This machine's load average (the sandbox shares its kernel and CPUs).</summary>
    internal static class Load
    {
        public static double OneMinute() => double.Parse(Fields()[0], CultureInfo.InvariantCulture);

        public static string Describe() => string.Join(' ', Fields()[..3]);

        private static string[] Fields() => File.ReadAllText("/proc/loadavg").Split(' ');
    }
}
