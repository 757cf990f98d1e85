namespace VMetal.Hypervisor;

public enum CheckStatus
{
    Pass,
    Warn,
    Fail,
}

/// <summary>One check: what was found on the host, what is required, and how to fix it.</summary>
/// <param name="Id">Stable identifier (scripts and <c>--output json</c> consumers rely on it).</param>
/// <param name="BlocksPrepare">
/// A failure prepare cannot fix and should not work around (no sudo, no package manager, too
/// little memory for the topology…): prepare stops before changing anything.
/// </param>
public sealed record HostCheck(string Id, string Title, CheckStatus Status, string Found, string Required, string? Fix = null,
    bool BlocksPrepare = false);

/// <summary>The result of <see cref="HypervisorChecker"/>: every check, in a fixed order.</summary>
public sealed record CheckReport(string Host, IReadOnlyList<HostCheck> Checks)
{
    /// <summary>The facts the checks were made from (prepare reuses them).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public HostFacts? Facts { get; init; }

    public bool HasFailures => Checks.Any(check => check.Status == CheckStatus.Fail);

    public IEnumerable<HostCheck> Blocking => Checks.Where(check => check.Status == CheckStatus.Fail && check.BlocksPrepare);

    public HostCheck? this[string id] => Checks.FirstOrDefault(check => check.Id == id);
}

/// <summary>What the lab about to be built needs from the host, and how strict to be.</summary>
public sealed record CheckRequirements
{
    /// <summary>RAM all VMs of the topology get (MiB); null when no topology was given.</summary>
    public long? MemoryMiB { get; init; }

    /// <summary>Sum of the topology's virtual (thin) disk sizes.</summary>
    public long? DiskBytes { get; init; }

    public int? VCpus { get; init; }

    /// <summary>Fail (instead of warn) when VMs would run under software emulation.</summary>
    public bool RequireKvm { get; init; }

    /// <summary>infrared's --host-memory-overcommit: more RAM than is free is a warning, not a failure.</summary>
    public bool MemoryOvercommit { get; init; }

    /// <summary>Some nodes boot UEFI: OVMF firmware must be present.</summary>
    public bool Uefi { get; init; }

    /// <summary>Directory of the image pool, whose free space is checked.</summary>
    public string PoolPath { get; init; } = new Rendering.RenderOptions().PoolPath;

    /// <summary>The unprivileged user prepare creates (its facts are gathered too).</summary>
    public string UserName { get; init; } = "stack";

    /// <summary>Packages to require besides the family's set.</summary>
    public IReadOnlyList<string> ExtraPackages { get; init; } = [];

    /// <summary>The needs of a topology (its totals, and UEFI when any node boots UEFI).</summary>
    public static CheckRequirements For(Topology.LabTopology topology) => new()
    {
        MemoryMiB = topology.TotalMemoryMiB,
        DiskBytes = topology.TotalDiskBytes,
        VCpus = topology.TotalVCpus,
        Uefi = topology.Nodes.Any(node => node.BootMode == Topology.BootMode.Uefi),
    };
}
