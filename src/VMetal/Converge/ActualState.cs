using System.Net;
using VMetal.Rendering;

namespace VMetal.Converge;

/// <summary>A domain as found on the host; <see cref="Owner"/> is null for domains vmetal did not make.</summary>
/// <param name="Interfaces">(network, MAC) of each NIC, in order.</param>
public sealed record ObservedDomain(string Name, Guid Uuid, bool Running, VmetalOwner? Owner, string? SpecHash, bool HasNvram,
    IReadOnlyList<(string Network, string Mac)> Interfaces)
{
    /// <summary>The fields a plan itemises when the definition changed (<see cref="DefinitionFields.OfDomain"/>); null: not read.</summary>
    public IReadOnlyDictionary<string, string>? Fields { get; init; }
}

/// <summary>A network as found on the host, with its fixed DHCP hosts and IPv4 subnets.</summary>
public sealed record ObservedNetwork(
    string Name,
    Guid Uuid,
    bool Active,
    bool Autostart,
    VmetalOwner? Owner,
    string? SpecHash,
    IReadOnlyList<Topology.DhcpHost> Hosts,
    IReadOnlyList<IPNetwork> Subnets)
{
    /// <summary>See <see cref="DefinitionFields.OfNetwork"/>; null: not read.</summary>
    public IReadOnlyDictionary<string, string>? Fields { get; init; }
}

public sealed record ObservedVolume(string Name, long CapacityBytes)
{
    /// <summary>See <see cref="DefinitionFields.OfVolume"/>; null: not read.</summary>
    public IReadOnlyDictionary<string, string>? Fields { get; init; }
}

/// <summary>The pool that holds vmetal's disks (found by name, or by its directory).</summary>
public sealed record ObservedPool(string Name, bool Active, bool Autostart);

/// <summary>Everything on the host that converging looks at.</summary>
public sealed record ActualState(
    IReadOnlyList<ObservedDomain> Domains,
    IReadOnlyList<ObservedNetwork> Networks,
    ObservedPool? Pool,
    IReadOnlyList<ObservedVolume> Volumes);

/// <summary>What the hypervisor can do, as libvirt reports it.</summary>
public sealed record HypervisorFacts(string Hostname, Version LibvirtVersion, bool KvmAvailable);
