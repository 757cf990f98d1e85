using VMetal.Topology;

namespace VMetal.Converge;

/// <summary>
/// The hypervisor operations the converge engine uses: a narrow port (like Pulumi's engine
/// boundary) so planning and applying run against an in-memory fake in unit tests, and against
/// libvirt (<see cref="LibvirtHypervisor"/>) for real.
/// </summary>
public interface IHypervisor
{
    Task<HypervisorFacts> GetFactsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Reads domains, networks, the disk pool (by name, else by directory) and the named volumes in it.
    /// </summary>
    Task<ActualState> ObserveAsync(string poolName, string poolPath, IReadOnlyCollection<string> volumeNames,
        CancellationToken cancellationToken);

    /// <summary>Defines, builds, starts and autostarts a dir pool; returns its name.</summary>
    Task<string> CreatePoolAsync(string xml, CancellationToken cancellationToken);

    /// <summary>Starts and autostarts a pool that exists but is inactive.</summary>
    Task StartPoolAsync(string name, CancellationToken cancellationToken);

    Task DefineNetworkAsync(string xml, CancellationToken cancellationToken);

    Task StartNetworkAsync(string name, CancellationToken cancellationToken);

    Task SetNetworkAutostartAsync(string name, CancellationToken cancellationToken);

    /// <summary>Stops (if active) and undefines a network.</summary>
    Task DeleteNetworkAsync(string name, CancellationToken cancellationToken);

    /// <summary>Adds a fixed DHCP lease to the running and persistent network.</summary>
    Task AddDhcpHostAsync(string network, DhcpHost host, CancellationToken cancellationToken);

    Task RemoveDhcpHostAsync(string network, DhcpHost host, CancellationToken cancellationToken);

    Task CreateVolumeAsync(string pool, string xml, uint flags, CancellationToken cancellationToken);

    /// <summary>Writes <paramref name="content"/> into a volume from its start (a stream over the libvirt connection).</summary>
    Task UploadVolumeAsync(string pool, string name, byte[] content, CancellationToken cancellationToken);

    Task ResizeVolumeAsync(string pool, string name, long capacityBytes, CancellationToken cancellationToken);

    /// <summary>Deletes a volume; a missing volume is not an error.</summary>
    Task DeleteVolumeAsync(string pool, string name, CancellationToken cancellationToken);

    Task DefineDomainAsync(string xml, CancellationToken cancellationToken);

    Task StartDomainAsync(string name, CancellationToken cancellationToken);

    /// <summary>Stops (if running) and undefines a domain with its NVRAM and snapshot metadata.</summary>
    Task DeleteDomainAsync(string name, CancellationToken cancellationToken);

    /// <summary>Current DHCP leases of a network (for status and inventories).</summary>
    Task<IReadOnlyList<(string Mac, string Address)>> GetLeasesAsync(string network, CancellationToken cancellationToken);

    /// <summary>Every volume in every active pool that is an overlay, with its backing file (image cache bookkeeping).</summary>
    /// <param name="refresh">Rescan the pools first (finds files created behind libvirt's back).</param>
    Task<IReadOnlyList<BackedVolume>> ListBackedVolumesAsync(bool refresh, CancellationToken cancellationToken);
}

/// <summary>A volume whose content sits on a backing file (a thin overlay).</summary>
public sealed record BackedVolume(string Pool, string Name, string BackingPath);
