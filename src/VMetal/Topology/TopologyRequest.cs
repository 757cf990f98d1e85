namespace VMetal.Topology;

/// <summary>
/// Everything that selects and shapes a topology, as the CLI's topology options give it
/// (<c>--topology-nodes</c>, <c>--topology-network</c>, <c>--topology-file</c>, <c>-e override...</c>, ...).
/// </summary>
public sealed record TopologyRequest
{
    public const string DefaultLayout = "3_nets";

    /// <summary>Workspace name: part of MAC and UUID derivation and of the ownership metadata.</summary>
    public string Workspace { get; init; } = "default";

    /// <summary>infrared's <c>name:count[,name:count]</c>; required unless <see cref="TopologyFile"/> is given.</summary>
    public string? NodeCounts { get; init; }

    /// <summary>Network layout name or path (<c>--topology-network</c>); a native file's own <c>network:</c> wins.</summary>
    public string NetworkLayout { get; init; } = DefaultLayout;

    /// <summary>A native single-file topology (<c>vmetal-topology: 1</c>).</summary>
    public string? TopologyFile { get; init; }

    /// <summary>User directory searched before the built-in catalogue (<c>DIR/nodes/*.yml</c>, <c>DIR/network/*.yml</c>).</summary>
    public string? TopologyDirectory { get; init; }

    /// <summary><c>-e</c> values; <c>override.*</c> ones are applied, others ignored with a warning.</summary>
    public IReadOnlyList<string> ExtraVars { get; init; } = [];

    /// <summary>Prefix for VM, network and bridge names (<c>&lt;prefix&gt;-&lt;name&gt;</c>), so several labs share a host.</summary>
    public string? Prefix { get; init; }

    /// <summary>Third octets for <c>{{ net }}</c>/<c>{{ data_net }}</c>; null means <see cref="NetworkOctets.DefaultFor"/>.</summary>
    public NetworkOctets? Octets { get; init; }

    /// <summary>
    /// The octets given on the command line (<c>--net-subnet</c>, <c>--data-subnet</c>). With only one given, an
    /// existing lab keeps its other one; <see cref="Octets"/> has the default in its place.
    /// </summary>
    public (int? Net, int? DataNet) GivenOctets { get; init; }

    /// <summary>Firmware of bare-metal (deploy_os: false) nodes; OS nodes always boot BIOS, as in infrared.</summary>
    public BootMode BootMode { get; init; } = BootMode.Bios;

    /// <summary>Bus of disks whose definition names none (<c>--disk-bus</c>).</summary>
    public DiskBus DiskBus { get; init; } = DiskBus.Virtio;

    /// <summary>Host path of the qcow2 cloud image OS nodes' first disks are overlays of (<c>--image</c>).</summary>
    public string? BaseImage { get; init; }

    /// <summary>
    /// URL of that image instead (<c>--image-url</c>); `up` downloads it to <see cref="BaseImages.CachePath"/>.
    /// A node file's own <c>import_url</c> wins over it, as in infrared.
    /// </summary>
    public string? BaseImageUrl { get; init; }

    /// <summary>
    /// Overrides of node files the topology does not use are skipped instead of refused: for
    /// <c>--topology-extend</c>'s first look, which names only the types to add while the overrides
    /// are those of the whole lab. The merged topology is then loaded without it.
    /// </summary>
    public bool SkipOverridesOfUnusedNodeFiles { get; init; }
}

/// <summary>The outcome of <see cref="TopologyLoader.LoadAsync"/>: a topology, or the errors that prevented one.</summary>
public sealed record TopologyLoadResult(LabTopology? Topology, IReadOnlyList<TopologyError> Errors, IReadOnlyList<string> Warnings)
{
    public bool Succeeded => Topology is not null;

    /// <summary>The topology, or <see cref="TopologyInvalidException"/> (bad input, exit 2) carrying every error.</summary>
    public LabTopology GetTopologyOrThrow() => Topology ?? throw new TopologyInvalidException(Errors, Warnings);
}

/// <summary>The topology failed validation; nothing was changed anywhere.</summary>
public sealed class TopologyInvalidException(IReadOnlyList<TopologyError> errors, IReadOnlyList<string>? warnings = null)
    : VMetalException(FailureKind.BadInput, $"the topology is invalid ({errors.Count} problem{(errors.Count == 1 ? "" : "s")})")
{
    public IReadOnlyList<TopologyError> Errors { get; } = errors;

    public IReadOnlyList<string> Warnings { get; } = warnings ?? [];
}
