namespace VMetal.Bmc.Machines;

/// <summary>
/// The narrow port between the protocol servers and whatever runs the machines (libvirt, or memory in tests).
/// Reads come from a cache kept current by change notifications; only actions reach the hypervisor.
/// </summary>
public interface IMachineBackend
{
    /// <summary>Every machine currently known, as snapshots.</summary>
    IReadOnlyCollection<Machine> Machines { get; }

    /// <summary>Raised after a machine appeared, changed or disappeared.</summary>
    event EventHandler<MachineChangedEventArgs>? Changed;

    /// <summary>The cached snapshot, or null when no such machine exists (any more).</summary>
    Machine? Find(Guid id);

    /// <exception cref="MachineOperationException">The machine is gone, the action does not fit its state, or the hypervisor failed.</exception>
    Task PowerAsync(Guid id, PowerAction action, CancellationToken cancellationToken);

    /// <exception cref="MachineOperationException">As for <see cref="PowerAsync"/>; Unsupported for a change the machine cannot take.</exception>
    Task SetBootAsync(Guid id, BootChange change, CancellationToken cancellationToken);

    /// <summary>Attaches an ISO image by URL to the machine's virtual CD drive (takes effect at the next boot).</summary>
    Task InsertMediaAsync(Guid id, Uri image, CancellationToken cancellationToken);

    Task EjectMediaAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>
    /// Connects to the serial console of a running machine (what IPMI Serial-over-LAN carries). The console ends (reads
    /// return 0) when the machine stops; open it again once it runs.
    /// </summary>
    /// <exception cref="MachineOperationException">NotFound; InvalidState while the machine is off; Unavailable when the hypervisor fails.</exception>
    Task<IMachineConsole> OpenConsoleAsync(Guid id, CancellationToken cancellationToken);
}

/// <summary>A connection to a machine's serial console: one reader, one writer at a time. Dispose disconnects.</summary>
public interface IMachineConsole : IAsyncDisposable
{
    /// <summary>What the machine printed; 0 once the console has ended (the machine stopped or the hypervisor dropped it).</summary>
    ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Types into the machine's serial port.</summary>
    /// <exception cref="MachineOperationException">The console has ended (InvalidState) or the hypervisor failed (Unavailable).</exception>
    Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
}

/// <param name="Current">The new snapshot, or null when the machine disappeared.</param>
public sealed class MachineChangedEventArgs(Guid id, Machine? current) : EventArgs
{
    public Guid Id { get; } = id;

    public Machine? Current { get; } = current;
}

public enum MachineErrorKind
{
    /// <summary>No such machine (IPMI: the port stops answering; Redfish: 404).</summary>
    NotFound,
    /// <summary>The action does not apply in the present state (IPMI 0xD5; Redfish 409).</summary>
    InvalidState,
    /// <summary>The request is understood but cannot be done for this machine (IPMI 0xCC; Redfish 400).</summary>
    Unsupported,
    /// <summary>The hypervisor failed or timed out; the caller may retry (IPMI 0xC0; Redfish 503).</summary>
    Unavailable,
}

public sealed class MachineOperationException : Exception
{
    public MachineOperationException(MachineErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException) => Kind = kind;

    public MachineErrorKind Kind { get; }

    public static MachineOperationException NotFound(Guid id) => new(MachineErrorKind.NotFound, $"machine {id} does not exist");
}
