namespace VMetal.Bmc.Configuration;

/// <summary>
/// What one vmetal workspace asks of the BMC service on a hypervisor: one JSON file per workspace in the
/// service's configuration directory, written by the deployer with <see cref="BmcConfigFile.Write"/> (mode 0600:
/// it holds the password). <c>vmetal bmc serve</c> reloads the directory when a file changes or on SIGHUP.
/// </summary>
public sealed record BmcWorkspaceConfig
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;

    /// <summary>The workspace name; also names the generated TLS certificate.</summary>
    public required string Workspace { get; init; }

    /// <summary>One user for every BMC of the workspace, IPMI and Redfish alike.</summary>
    public required BmcCredentials Credentials { get; init; }

    /// <summary>IPMI settings, or null for no IPMI (<c>--bmc redfish</c>).</summary>
    public IpmiConfig? Ipmi { get; init; }

    /// <summary>Redfish settings, or null for no Redfish (<c>--bmc ipmi</c>).</summary>
    public RedfishConfig? Redfish { get; init; }

    public IReadOnlyList<BmcMachineConfig> Machines { get; init; } = [];
}

/// <param name="Username">1 to 16 bytes (the IPMI limit), no colon (HTTP Basic splits there).</param>
/// <param name="Password">8 to 20 bytes (20 is the IPMI 2.0 limit).</param>
public sealed record BmcCredentials(string Username, string Password)
{
    private const string Alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    /// <summary>
    /// Fresh random credentials: a user "vm-" plus 8 characters and a 20-character password (about 115 bits),
    /// from letters and digits that survive shells, URLs and JSON unquoted.
    /// </summary>
    public static BmcCredentials Generate() =>
        new("vm-" + System.Security.Cryptography.RandomNumberGenerator.GetString(Alphabet, 8), System.Security.Cryptography.RandomNumberGenerator.GetString(Alphabet, 20));

    /// <summary>Hides the password from logs and debugger views.</summary>
    public override string ToString() => $"{Username} / ********";
}

/// <param name="Address">Where every IPMI endpoint of the workspace listens, e.g. the provisioning network's gateway on the hypervisor.</param>
public sealed record IpmiConfig(string Address);

/// <param name="Address">Listen address; workspaces may share one address:port.</param>
/// <param name="CertificateFile">PFX, or PEM certificate; null to use a self-signed certificate generated and kept by the service.</param>
/// <param name="CertificateKeyFile">PEM private key when <paramref name="CertificateFile"/> is a PEM certificate without its key.</param>
public sealed record RedfishConfig(string Address, int Port, string? CertificateFile = null, string? CertificateKeyFile = null);

/// <param name="Uuid">The libvirt domain UUID: the Redfish system id, and how the service finds the domain.</param>
/// <param name="Name">The node name (normally the domain name); Redfish also accepts it in place of the UUID.</param>
/// <param name="IpmiPort">The machine's UDP port; required when the workspace has IPMI.</param>
public sealed record BmcMachineConfig(Guid Uuid, string Name, int? IpmiPort = null);
