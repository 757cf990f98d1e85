using VMetal.Hosting;

namespace VMetal.Hypervisor.Steps;

/// <summary>
/// libvirt's system daemon enabled and running: the monolithic libvirtd (EL7/8, Debian, Ubuntu) or
/// the modular virtqemud/virtnetworkd/virtstoraged (EL9, Fedora) with systemd; where systemd is not
/// PID 1 a daemon that answers is left alone, and one is started directly only if none runs at all.
/// </summary>
internal sealed class LibvirtDaemonStep : PrepareStep
{
    public const string StepName = "libvirt";

    private static readonly string[] ModularUnits = ["virtqemud.service", "virtnetworkd.service", "virtstoraged.service"];

    public override string Name => StepName;

    public override async Task<StepOutcome> RunAsync(PrepareContext context, CancellationToken cancellationToken)
    {
        var state = await ProbeAsync(context, cancellationToken);
        return context.Facts.Systemd
            ? await WithSystemdAsync(context, state, cancellationToken)
            : await WithoutSystemdAsync(context, state, cancellationToken);
    }

    private static async Task<StepOutcome> WithSystemdAsync(PrepareContext context, LibvirtState state, CancellationToken cancellationToken)
    {
        var units = state.Units.ToDictionary(unit => unit.Name, StringComparer.Ordinal);
        var libvirtd = units.GetValueOrDefault("libvirtd.service");
        var qemud = units.GetValueOrDefault("virtqemud.service");
        // The distribution's choice wins: EL9/Fedora enable the modular daemons, the others libvirtd.
        var monolithic = libvirtd is { Exists: true } && (libvirtd.IsEnabled || libvirtd.IsActive || qemud is not { Exists: true });
        List<SystemdUnitState> wanted = monolithic ? [libvirtd!]
            : qemud is { Exists: true } ? [.. ModularUnits.Select(units.GetValueOrDefault).OfType<SystemdUnitState>().Where(unit => unit.Exists)]
            : [];
        if (wanted.Count == 0)
            return StepOutcome.Failed("neither libvirtd.service nor virtqemud.service exists: is libvirt installed?");
        if (wanted.FirstOrDefault(unit => unit.IsMasked) is { } masked)
            return StepOutcome.Failed($"{masked.Name} is masked: 'systemctl unmask {masked.Name}' if vmetal may use it, then re-run");
        var names = string.Join(' ', wanted.Select(unit => unit.Name));
        if (wanted.All(unit => unit.IsEnabled && unit.IsActive) && state.Reachable)
            return StepOutcome.Unchanged($"{names} enabled and running; {state.Detail}");

        await context.RunCheckedAsync(HostCommand.AsRoot($"systemctl enable --now {names}") with { Timeout = TimeSpan.FromMinutes(2) }, cancellationToken);
        return await WaitReachableAsync(context, $"systemctl enable --now {names}", cancellationToken);
    }

    private static async Task<StepOutcome> WithoutSystemdAsync(PrepareContext context, LibvirtState state, CancellationToken cancellationToken)
    {
        if (state.Reachable)
            return StepOutcome.Unchanged($"{state.Detail} answers on qemu:///system (no systemd here: the daemon was started outside vmetal)");
        // libvirtd's pid file and socket directory are machine-wide, but another mount namespace
        // (a container, vmetal's own sandbox) hides its socket: a second daemon would fight it.
        if (state.DaemonProcesses.Count > 0)
            return StepOutcome.Failed($"{string.Join(", ", state.DaemonProcesses)} runs, but qemu:///system does not answer here ({state.Detail}); " +
                                      "it probably belongs to another container or mount namespace, so vmetal does not start a second daemon");
        // The packages step may have just installed it: ask the host, not the facts gathered before.
        const string Start = """
            if command -v virtlogd >/dev/null 2>&1; then virtlogd -d 2>/dev/null || true; fi
            if command -v libvirtd >/dev/null 2>&1; then libvirtd -d && echo libvirtd
            elif command -v virtqemud >/dev/null 2>&1; then
                for d in virtqemud virtnetworkd virtstoraged; do "$d" -d || exit 1; done; echo virtqemud, virtnetworkd, virtstoraged
            else echo "no libvirtd or virtqemud binary: is libvirt installed?" >&2; exit 3; fi
            """;
        var started = await context.RunAsync(HostCommand.AsRoot(ShellScript.Inline(Start, [])) with { Timeout = TimeSpan.FromMinutes(1) }, cancellationToken);
        if (!started.Succeeded)
            return StepOutcome.Failed(HostCommandException.FirstLines(started.Stderr + started.Stdout));
        var daemons = started.Stdout.Trim();
        return await WaitReachableAsync(context,
            $"started {daemons} directly (no systemd: nothing restarts it after a reboot)", cancellationToken);
    }

    private static async Task<StepOutcome> WaitReachableAsync(PrepareContext context, string action, CancellationToken cancellationToken)
    {
        LibvirtState state;
        var attempt = 0;
        while (!(state = await ProbeAsync(context, cancellationToken)).Reachable && ++attempt < 15)
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        return state.Reachable
            ? StepOutcome.Changed($"{action}; {state.Detail}")
            : StepOutcome.Failed($"{action}, but qemu:///system does not answer: {state.Detail}");
    }

    private static async Task<LibvirtState> ProbeAsync(PrepareContext context, CancellationToken cancellationToken)
    {
        var probe = await context.RunAsync(FactScript.LibvirtProbe(), cancellationToken);
        return LibvirtState.From(FactSection.ParseAll(probe.Stdout));
    }
}
