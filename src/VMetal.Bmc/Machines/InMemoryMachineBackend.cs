using System.Collections.Concurrent;
using System.Threading.Channels;

namespace VMetal.Bmc.Machines;

/// <summary>
/// Machines that live in memory: for tests and benchmarks of the protocol servers. It follows the same
/// rules as the libvirt backend: actions that need a running machine are refused while it is off, and a
/// "once" boot override is used up by the next boot.
/// </summary>
public sealed class InMemoryMachineBackend : IMachineBackend
{
    private readonly ConcurrentDictionary<Guid, SimulatedMachine> _machines = new();
    private readonly ConcurrentQueue<(Guid Id, PowerAction Action)> _actionLog = new();

    public event EventHandler<MachineChangedEventArgs>? Changed;

    public IReadOnlyCollection<Machine> Machines => [.. _machines.Values.Select(m => m.Snapshot)];

    /// <summary>How long each power action takes, as a slow hypervisor would (zero by default).</summary>
    public TimeSpan PowerActionDelay { get; set; }

    /// <summary>Every power action that reached a machine, oldest first.</summary>
    public IReadOnlyList<(Guid Id, PowerAction Action)> ActionLog => [.. _actionLog];

    public Machine? Find(Guid id) => _machines.TryGetValue(id, out var machine) ? machine.Snapshot : null;

    /// <summary>Adds (or replaces) a machine, as if it had been defined.</summary>
    public void Define(Machine machine)
    {
        _machines[machine.Id] = new SimulatedMachine(machine);
        Changed?.Invoke(this, new MachineChangedEventArgs(machine.Id, machine));
    }

    /// <summary>Removes a machine, as if it had been undefined.</summary>
    public void Undefine(Guid id)
    {
        if (_machines.TryRemove(id, out _))
        {
            Changed?.Invoke(this, new MachineChangedEventArgs(id, null));
        }
    }

    /// <summary>A machine named <paramref name="name"/> with one NIC, off, booting from disk in legacy mode.</summary>
    public static Machine NewMachine(string name, Guid? id = null, string? macAddress = null) => new(
        id ?? Guid.NewGuid(),
        name,
        PowerState.Off,
        new BootSettings(BootTarget.Hdd, BootOverride.Continuous, BootMode.Legacy),
        [macAddress ?? "52:54:00:00:00:01"],
        MemoryMiB: 128,
        ProcessorCount: 1,
        VirtualMediaState.Empty);

    public async Task PowerAsync(Guid id, PowerAction action, CancellationToken cancellationToken)
    {
        if (PowerActionDelay > TimeSpan.Zero)
        {
            await Task.Delay(PowerActionDelay, cancellationToken).ConfigureAwait(false);
        }

        Update(id, machine => machine.Apply(action));
        _actionLog.Enqueue((id, action));
    }

    public Task SetBootAsync(Guid id, BootChange change, CancellationToken cancellationToken)
    {
        Update(id, machine => machine.Apply(change));
        return Task.CompletedTask;
    }

    public Task InsertMediaAsync(Guid id, Uri image, CancellationToken cancellationToken)
    {
        Update(id, machine => machine.SetMedia(new VirtualMediaState(image)));
        return Task.CompletedTask;
    }

    public Task EjectMediaAsync(Guid id, CancellationToken cancellationToken)
    {
        Update(id, machine => machine.SetMedia(VirtualMediaState.Empty));
        return Task.CompletedTask;
    }

    /// <summary>
    /// An echoing serial console, as a guest shell with echo on: what is typed comes back as output (and is kept for
    /// <see cref="ConsoleInput"/>); <see cref="PrintToConsole"/> adds output of the guest's own. Refused while the machine is
    /// off; every open console ends when the machine stops.
    /// </summary>
    public Task<IMachineConsole> OpenConsoleAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!_machines.TryGetValue(id, out var machine))
        {
            throw MachineOperationException.NotFound(id);
        }

        lock (machine)
        {
            if (machine.Snapshot.Power != PowerState.On)
            {
                throw new MachineOperationException(MachineErrorKind.InvalidState, $"{machine.Snapshot.Name} is off; its console is silent");
            }

            var console = new SimulatedConsole(machine);
            machine.Consoles.Add(console);
            return Task.FromResult<IMachineConsole>(console);
        }
    }

    /// <summary>Output of the guest: every console open on the machine reads it.</summary>
    public void PrintToConsole(Guid id, string text)
    {
        if (!_machines.TryGetValue(id, out var machine))
        {
            throw MachineOperationException.NotFound(id);
        }

        lock (machine)
        {
            foreach (var console in machine.Consoles)
            {
                console.Print(System.Text.Encoding.UTF8.GetBytes(text));
            }
        }
    }

    /// <summary>Everything typed into the machine's consoles so far.</summary>
    public string ConsoleInput(Guid id)
    {
        if (!_machines.TryGetValue(id, out var machine))
        {
            throw MachineOperationException.NotFound(id);
        }

        lock (machine)
        {
            return System.Text.Encoding.UTF8.GetString([.. machine.Input]);
        }
    }

    /// <summary>How many consoles are connected to the machine now.</summary>
    public int OpenConsoles(Guid id) => _machines.TryGetValue(id, out var machine) ? machine.OpenConsoleCount : 0;

    private void Update(Guid id, Action<SimulatedMachine> change)
    {
        if (!_machines.TryGetValue(id, out var machine))
        {
            throw MachineOperationException.NotFound(id);
        }

        Machine snapshot;
        lock (machine)
        {
            change(machine);
            snapshot = machine.Snapshot;
        }

        Changed?.Invoke(this, new MachineChangedEventArgs(id, snapshot));
    }

    /// <summary>One machine's mutable state; callers hold its lock while changing it.</summary>
    private sealed class SimulatedMachine(Machine initial)
    {
        private BootTarget _persistentTarget = initial.Boot.Target;
        private BootTarget? _onceTarget;

        public Machine Snapshot { get; private set; } = initial;

        /// <summary>Open consoles; callers hold the machine's lock.</summary>
        public List<SimulatedConsole> Consoles { get; } = [];

        public List<byte> Input { get; } = [];

        public int OpenConsoleCount
        {
            get
            {
                lock (this)
                {
                    return Consoles.Count;
                }
            }
        }

        public void Apply(PowerAction action)
        {
            var isOn = Snapshot.Power == PowerState.On;
            if (!isOn && action.NeedsRunningGuest())
            {
                throw new MachineOperationException(MachineErrorKind.InvalidState, $"{Snapshot.Name} is off; {action} needs it on");
            }

            switch (action)
            {
                case PowerAction.On when !isOn:
                case PowerAction.ForceRestart:
                case PowerAction.PowerCycle:
                    Boot();
                    break;
                case PowerAction.ForceOff:
                case PowerAction.GracefulShutdown:
                    Snapshot = Snapshot with { Power = PowerState.Off };
                    EndConsoles();
                    break;
            }
        }

        public void Apply(BootChange change)
        {
            var wanted = change.ApplyTo(Snapshot.Boot);
            if (change.Target == BootTarget.BiosSetup)
            {
                // As on libvirt, which cannot stop a domain in its firmware setup.
                throw new MachineOperationException(MachineErrorKind.Unsupported, "BIOS setup cannot be booted into");
            }

            if (wanted.Enabled == BootOverride.Disabled || wanted.Target == BootTarget.None)
            {
                _onceTarget = null;
            }
            else if (wanted.Enabled == BootOverride.Once)
            {
                _onceTarget = wanted.Target;
            }
            else
            {
                _onceTarget = null;
                _persistentTarget = wanted.Target;
            }

            Snapshot = Snapshot with { Boot = CurrentBoot(wanted.Mode) };
        }

        public void SetMedia(VirtualMediaState media) => Snapshot = Snapshot with { Media = media };

        /// <summary>A stopped machine's serial port goes away: its consoles end.</summary>
        private void EndConsoles()
        {
            foreach (var console in Consoles)
            {
                console.End();
            }

            Consoles.Clear();
        }

        /// <summary>A (re)boot uses up a "once" override, as real firmware does.</summary>
        private void Boot()
        {
            if (Snapshot.Power == PowerState.On)
            {
                EndConsoles(); // a cold restart: the old instance's consoles end
            }

            _onceTarget = null;
            Snapshot = Snapshot with { Power = PowerState.On, Boot = CurrentBoot(Snapshot.Boot.Mode) };
        }

        private BootSettings CurrentBoot(BootMode mode) => _onceTarget is { } once
            ? new BootSettings(once, BootOverride.Once, mode)
            : new BootSettings(_persistentTarget, BootOverride.Continuous, mode);
    }

    /// <summary>One connection to a simulated serial console; the machine's lock guards writes to it.</summary>
    private sealed class SimulatedConsole(SimulatedMachine machine) : IMachineConsole
    {
        private readonly Channel<byte[]> _output = Channel.CreateUnbounded<byte[]>();
        private ReadOnlyMemory<byte> _unread;

        public void Print(byte[] data) => _output.Writer.TryWrite(data);

        public void End() => _output.Writer.TryComplete();

        public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            while (_unread.IsEmpty)
            {
                if (!await _output.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return 0;
                }

                if (_output.Reader.TryRead(out var chunk))
                {
                    _unread = chunk;
                }
            }

            var count = Math.Min(buffer.Length, _unread.Length);
            _unread[..count].CopyTo(buffer);
            _unread = _unread[count..];
            return count;
        }

        public Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            lock (machine)
            {
                if (!machine.Consoles.Contains(this))
                {
                    throw new MachineOperationException(MachineErrorKind.InvalidState, "the console has ended");
                }

                machine.Input.AddRange(data.Span);
                Print(data.ToArray());
            }

            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            lock (machine)
            {
                machine.Consoles.Remove(this);
            }

            End();
            return ValueTask.CompletedTask;
        }
    }
}
