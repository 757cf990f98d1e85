using System.Diagnostics;
using VMetal.Hosting;
using VMetal.Libvirt;
using static VMetal.Bench.UpBenchmark;

namespace VMetal.Bench;

/// <summary>
/// The measured steps of the up benchmark, the checks between them (outside the timings: the
/// work really happened, and nothing is left), and the report.
/// </summary>
internal sealed class UpMeasurements(BenchOptions options, Control control, CancellationToken cancellationToken)
{
    private const int MaxAttempts = 3;
    private const string Process = "  same, vmetal binary as a process";

    private readonly SeriesSet _totals = new();
    private readonly SeriesSet _cpu = new();
    private readonly SeriesSet _vmetalUp = new();
    private readonly SeriesSet _floorUp = new();
    private readonly SeriesSet _vmetalDown = new();
    private readonly SeriesSet _floorDown = new();
    private SeriesSet _connection = new();
    private readonly Dictionary<string, SeriesSet> _noOpPhases = [];
    private readonly Series _load = new();
    private readonly string _startLoad = Load.Describe();

    public void Say(string message) => Console.WriteLine($"  {DateTime.Now:HH:mm:ss} {message} (load {Load.Describe()})");

    /// <summary>
    /// Runs one step; when the shared sandbox disturbs it (another session restarts the daemon or
    /// removes objects), cleans up and tries again. A step records its samples only once it succeeded.
    /// </summary>
    public async Task AttemptAsync(string name, Func<Task> step, Func<Task> cleanUp)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await step();
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && attempt < MaxAttempts)
            {
                Say($"{name}: disturbed ({ex.Message.Split('\n')[0]}); cleaning up and trying again");
                await cleanUp();
                await SettleAsync();
            }
        }
    }

    /// <summary>Cold `up --start`, then `down`; phases are kept for the in-process runs.</summary>
    public async Task VmetalUpDownAsync(BenchLab lab, bool asProcess)
    {
        var load = Load.OneMinute();
        var up = await lab.UpAsync(start: true, asProcess, cancellationToken);
        if (!up.Output.Contains("converged", StringComparison.Ordinal))
            throw new InvalidOperationException($"cold up did not converge anything:\n{up.Output}");
        await ExpectRunningAsync(lab.Prefix, lab.NodeCount);
        var down = await lab.DownAsync(asProcess, cancellationToken);
        await ExpectGoneAsync(lab.Prefix);

        var how = asProcess ? ", process" : "";
        _load.Add(load);
        _totals["vmetal cold up" + how].Add(up.Elapsed);
        _totals["vmetal down" + how].Add(down.Elapsed);
        _cpu["cold up" + how].Add(up.CpuTime);
        _cpu["down" + how].Add(down.CpuTime);
        if (!asProcess)
        {
            _vmetalUp.Add(VerbosePhases.Up(up));
            _vmetalDown.Add(VerbosePhases.Down(down));
        }
        Say($"vmetal{how}: up {Series.Seconds(up.Elapsed.TotalMilliseconds)}, down {Series.Seconds(down.Elapsed.TotalMilliseconds)}");
        await SettleAsync();
    }

    public async Task FloorUpAndDownAsync(VirshFloor floor, bool record)
    {
        var load = Load.OneMinute();
        var up = await VirshFloor.RunAsync(control.Settings, floor.UpScript(), cancellationToken);
        await ExpectRunningAsync(floor.Prefix, floor.NodeCount);
        var down = await VirshFloor.RunAsync(control.Settings, floor.TeardownScript(lenient: false), cancellationToken);
        await ExpectGoneAsync(floor.Prefix);
        if (record)
        {
            _load.Add(load);
            _totals["floor cold up"].Add(up.Elapsed);
            _totals["floor down"].Add(down.Elapsed);
            _floorUp.Add(up.Phases(("networks (define, start, autostart)", ["net-define", "net-start", "net-autostart"]),
                ("volumes", ["vol-create"]), ("define domains", ["define"]), ("start domains", ["start"])));
            _floorDown.Add(down.Phases(("destroy + undefine domains", ["destroy", "undefine"]), ("delete volumes", ["vol-delete"]),
                ("destroy + undefine networks", ["net-destroy", "net-undefine"])));
        }
        Say($"floor: up {Series.Seconds(up.Elapsed.TotalMilliseconds)}, teardown {Series.Seconds(down.Elapsed.TotalMilliseconds)}");
        await SettleAsync();
    }

    /// <summary>What every vmetal command pays before its engine runs, measured with no lab running.</summary>
    public async Task ConnectionCostsAsync()
    {
        var samples = new SeriesSet();
        var clock = Stopwatch.StartNew();
        async Task TimeAsync(string name, Func<Task> step)
        {
            clock.Restart();
            await step();
            samples[name].Add(clock.Elapsed);
        }

        for (var i = 0; i < options.NoOpReps; i++)
        {
            IHostConnection? host = null;
            async Task LibvirtAsync(string name)
            {
                LibvirtClient? libvirt = null;
                await TimeAsync(name, async () => libvirt = await HostLibvirt.ConnectAsync(host!, cancellationToken: cancellationToken));
                await libvirt!.DisposeAsync();
            }

            try
            {
                await TimeAsync("SSH connect (new connection)", async () => host = await new HostConnector().ConnectAsync(control.Settings, cancellationToken));
                // As in a command: libvirt is the first thing on the new connection; then the same once it has been used.
                await LibvirtAsync("libvirt connect, first use of the connection");
                foreach (var (name, command) in new[] { ("command (exec channel)", HostCommand.Of("true")), ("command with sudo", HostCommand.AsRoot("true")) })
                    await TimeAsync(name, async () => (await host!.RunAsync(command, cancellationToken)).EnsureSuccess(command, host.Target));
                await LibvirtAsync("libvirt connect again");
            }
            finally
            {
                if (host is not null)
                    await host.DisposeAsync();
            }
        }
        _connection = samples;
    }

    /// <summary>Creates the lab (not counted), then re-runs the same `up`, in-process and as a process.</summary>
    public async Task NoOpAsync(BenchLab lab, bool start, string name)
    {
        Say($"{name}: creating the lab");
        await lab.UpAsync(start, asProcess: false, cancellationToken);
        await ExpectRunningAsync(lab.Prefix, start ? lab.NodeCount : 0);
        await SettleAsync();
        var runs = new List<(bool AsProcess, double Load, CliRun Run)>();
        foreach (var asProcess in new[] { false, true })
        {
            for (var i = 0; i < options.NoOpReps; i++)
            {
                var load = Load.OneMinute();
                var again = await lab.UpAsync(start, asProcess, cancellationToken);
                if (!again.Output.Contains("is up to date", StringComparison.Ordinal))
                    throw new InvalidOperationException($"re-up was not a no-op:\n{again.Output}");
                runs.Add((asProcess, load, again));
            }
        }
        await lab.DownAsync(asProcess: false, cancellationToken);
        await ExpectGoneAsync(lab.Prefix);

        foreach (var (asProcess, load, again) in runs)
        {
            var key = name + (asProcess ? ", process" : "");
            _load.Add(load);
            _totals[key].Add(again.Elapsed);
            _cpu[key].Add(again.CpuTime);
            if (!_noOpPhases.TryGetValue(key, out var phases))
                phases = _noOpPhases[key] = new SeriesSet();
            phases.Add(VerbosePhases.Up(again));
        }
        Say($"{name}: in-process {_totals[name].Describe()}, process {_totals[name + ", process"].Describe()}");
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
        Phases("CPU time (user + system) of the vmetal command: in-process, or the process", _cpu);
        Phases("connection costs, no lab running", _connection);
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

    private Task ExpectRunningAsync(string prefix, int count) => control.UseAsync(async (_, libvirt) =>
    {
        var running = (await libvirt.ListAllDomainsAsync(cancellationToken: cancellationToken))
            .Count(domain => domain.Name.StartsWith(prefix + "-", StringComparison.Ordinal) && domain.Id > 0);
        return running == count ? true
            : throw new InvalidOperationException($"expected {count} running domains named {prefix}-*, found {running}");
    }, cancellationToken);

    private Task ExpectGoneAsync(string prefix) => control.UseAsync(async (_, libvirt) =>
    {
        bool Mine(string name) => name.StartsWith(prefix + "-", StringComparison.Ordinal);
        var left = (await libvirt.ListAllDomainsAsync(cancellationToken: cancellationToken)).Select(d => d.Name).Where(Mine)
            .Concat((await libvirt.ListAllNetworksAsync(cancellationToken: cancellationToken)).Select(n => n.Name).Where(Mine))
            .ToList();
        foreach (var pool in await libvirt.ListAllStoragePoolsAsync(StoragePoolListFlags.Active, cancellationToken))
            left.AddRange((await libvirt.StoragePoolListAllVolumesAsync(pool, cancellationToken: cancellationToken)).Select(v => v.Name).Where(Mine));
        return left.Count == 0 ? true : throw new InvalidOperationException($"left after teardown: {string.Join(", ", left)}");
    }, cancellationToken);

    /// <summary>Destroyed TCG guests leave the CPUs busy for a moment: let the host settle between steps.</summary>
    private Task SettleAsync() => Task.Delay(TimeSpan.FromSeconds(options.Settle), cancellationToken);
}
