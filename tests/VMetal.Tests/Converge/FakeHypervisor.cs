using System.Collections.Concurrent;
using System.Net;
using System.Xml.Linq;
using VMetal.Converge;
using VMetal.Rendering;
using VMetal.Topology;

namespace VMetal.Tests.Converge;

/// <summary>
/// An in-memory hypervisor for the converge engine: keeps the XML it is given, parses the owner
/// marks back like libvirt returns them, records every mutating call, and can fail on demand.
/// </summary>
internal sealed class FakeHypervisor : IHypervisor
{
    private readonly object _lock = new();

    public Dictionary<string, (string Xml, bool Running)> Domains { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, (string Xml, bool Active, bool Autostart, List<DhcpHost> Hosts)> Networks { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, long> Volumes { get; } = new(StringComparer.Ordinal);

    public (string Name, bool Active)? Pool { get; set; }

    public bool Kvm { get; set; }

    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>Throws when a call whose description starts with this text is made.</summary>
    public string? FailOn { get; set; }

    public Task<HypervisorFacts> GetFactsAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new HypervisorFacts("fakehost", new Version(9, 0, 0), Kvm));

    public Task<ActualState> ObserveAsync(string poolName, string poolPath, IReadOnlyCollection<string> volumeNames, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var domains = Domains.Select(pair =>
            {
                var document = XDocument.Parse(pair.Value.Xml);
                var owner = SpecHash.OwnerOf(document);
                return new ObservedDomain(pair.Key, Guid.Parse(document.Root!.Element("uuid")?.Value ?? Guid.Empty.ToString()), pair.Value.Running,
                    owner is null ? null : VmetalMetadata.FromElement(owner), owner?.Attribute(SpecHash.Attribute)?.Value, false,
                    document.Descendants("interface").Select(nic => ((string)nic.Element("source")!.Attribute("network")!, (string)nic.Element("mac")!.Attribute("address")!)).ToList())
                {
                    Fields = DefinitionFields.OfDomain(document.Root),
                };
            }).ToList();
            var networks = Networks.Select(pair =>
            {
                var document = XDocument.Parse(pair.Value.Xml);
                var owner = SpecHash.OwnerOf(document);
                var ip = document.Root!.Element("ip");
                var subnets = ip is null ? new List<IPNetwork>()
                    : [IPNetwork.Parse($"{AddressBase((string)ip.Attribute("address")!)}/{PrefixOf(ip)}")];
                return new ObservedNetwork(pair.Key, Guid.Empty, pair.Value.Active, pair.Value.Autostart,
                    owner is null ? null : VmetalMetadata.FromElement(owner), owner?.Attribute(SpecHash.Attribute)?.Value, pair.Value.Hosts.ToList(), subnets)
                {
                    Fields = DefinitionFields.OfNetwork(document.Root),
                };
            }).ToList();
            var pool = Pool is { } p ? new ObservedPool(p.Name, p.Active, true) : null;
            var volumes = pool is { Active: true }
                ? Volumes.Where(v => volumeNames.Contains(v.Key)).Select(v => new ObservedVolume(v.Key, v.Value)
                {
                    Fields = VolumeXml.TryGetValue(v.Key, out var xml) ? DefinitionFields.OfVolume(XElement.Parse(xml)) : null,
                }).ToList()
                : [];
            return Task.FromResult(new ActualState(domains, networks, pool, volumes));
        }
    }

    public Task<string> CreatePoolAsync(string xml, CancellationToken cancellationToken) => Mutate($"pool-create", () =>
    {
        var name = XDocument.Parse(xml).Root!.Element("name")!.Value;
        Pool = (name, true);
        return name;
    });

    public Task StartPoolAsync(string name, CancellationToken cancellationToken) => Mutate($"pool-start {name}", () => Pool = (name, true));

    public Task DefineNetworkAsync(string xml, CancellationToken cancellationToken) => Mutate($"net-define {NameOf(xml)}", () =>
    {
        var name = NameOf(xml);
        var hosts = XDocument.Parse(xml).Descendants("host")
            .Select(h => new DhcpHost((string)h.Attribute("mac")!, (string)h.Attribute("name")!, IPAddress.Parse((string)h.Attribute("ip")!))).ToList();
        Networks[name] = (xml, Networks.TryGetValue(name, out var old) && old.Active, old.Autostart, hosts);
    });

    public Task StartNetworkAsync(string name, CancellationToken cancellationToken) => Mutate($"net-start {name}", () =>
    {
        var network = Networks[name];
        if (network.Active)
            throw new InvalidOperationException($"network {name} is already active");
        Networks[name] = network with { Active = true };
    });

    public Task SetNetworkAutostartAsync(string name, CancellationToken cancellationToken) =>
        Mutate($"net-autostart {name}", () => Networks[name] = Networks[name] with { Autostart = true });

    public Task DeleteNetworkAsync(string name, CancellationToken cancellationToken) => Mutate($"net-delete {name}", () => Networks.Remove(name));

    public Task AddDhcpHostAsync(string network, DhcpHost host, CancellationToken cancellationToken) =>
        Mutate($"dhcp-add {network} {host.MacAddress}", () => Networks[network].Hosts.Add(host));

    public Task RemoveDhcpHostAsync(string network, DhcpHost host, CancellationToken cancellationToken) =>
        Mutate($"dhcp-remove {network} {host.MacAddress}", () => Networks[network].Hosts.RemoveAll(h => h.MacAddress == host.MacAddress));

    public Task CreateVolumeAsync(string pool, string xml, uint flags, CancellationToken cancellationToken) => Mutate($"vol-create {NameOf(xml)}", () =>
    {
        var name = NameOf(xml);
        if (Volumes.ContainsKey(name))
            throw new InvalidOperationException($"volume {name} already exists");
        Volumes[name] = long.Parse(XDocument.Parse(xml).Root!.Element("capacity")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        VolumeXml[name] = xml;
    });

    /// <summary>The XML each volume was created with (libvirt returns the same fields back).</summary>
    public Dictionary<string, string> VolumeXml { get; } = new(StringComparer.Ordinal);

    public Task UploadVolumeAsync(string pool, string name, byte[] content, CancellationToken cancellationToken) => Mutate($"vol-upload {name}", () =>
    {
        if (!Volumes.ContainsKey(name))
            throw new InvalidOperationException($"volume {name} does not exist");
        Uploads[name] = content;
    });

    public Dictionary<string, byte[]> Uploads { get; } = [];

    public Task ResizeVolumeAsync(string pool, string name, long capacityBytes, CancellationToken cancellationToken) =>
        Mutate($"vol-resize {name}", () => Volumes[name] = capacityBytes);

    public Task DeleteVolumeAsync(string pool, string name, CancellationToken cancellationToken) => Mutate($"vol-delete {name}", () => Volumes.Remove(name));

    public Task DefineDomainAsync(string xml, CancellationToken cancellationToken) => Mutate($"define {NameOf(xml)}", () =>
    {
        var name = NameOf(xml);
        Domains[name] = (xml, Domains.TryGetValue(name, out var old) && old.Running);
    });

    public Task StartDomainAsync(string name, CancellationToken cancellationToken) => Mutate($"start {name}", () =>
    {
        if (Domains[name].Running)
            throw new InvalidOperationException($"domain {name} is already running");
        Domains[name] = Domains[name] with { Running = true };
    });

    public Task DeleteDomainAsync(string name, CancellationToken cancellationToken) => Mutate($"undefine {name}", () => Domains.Remove(name));

    public Task<IReadOnlyList<(string Mac, string Address)>> GetLeasesAsync(string network, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<(string, string)>>([]);

    /// <summary>A domain or network vmetal did not make (no owner mark).</summary>
    public void AddForeignDomain(string name) => Domains[name] = ($"<domain type='qemu'><name>{name}</name></domain>", true);

    public void AddForeignNetwork(string name, string cidr)
    {
        var network = IPNetwork.Parse(cidr);
        Networks[name] = ($"<network><name>{name}</name><ip address='{network.BaseAddress}' prefix='{network.PrefixLength}'/></network>", true, true, []);
    }

    public IReadOnlyList<string> MutatingCalls => Calls.ToList();

    private Task Mutate(string call, Action action) => Mutate(call, () =>
    {
        action();
        return 0;
    });

    private Task<T> Mutate<T>(string call, Func<T> action)
    {
        lock (_lock)
        {
            if (FailOn is { } failOn && call.StartsWith(failOn, StringComparison.Ordinal))
                throw new InvalidOperationException($"injected failure: {call}");
            Calls.Enqueue(call);
            return Task.FromResult(action());
        }
    }

    private static string NameOf(string xml) => XDocument.Parse(xml).Root!.Element("name")!.Value;

    private static string AddressBase(string address)
    {
        var bytes = IPAddress.Parse(address).GetAddressBytes();
        bytes[^1] = 0;
        return new IPAddress(bytes).ToString();
    }

    private static int PrefixOf(XElement ip) => ip.Attribute("prefix") is { } prefix
        ? int.Parse(prefix.Value, System.Globalization.CultureInfo.InvariantCulture)
        : IPAddress.Parse((string)ip.Attribute("netmask")!).GetAddressBytes().Sum(b => System.Numerics.BitOperations.PopCount(b));

    /// <summary>Overlays and their backing files, as ListBackedVolumesAsync reports them.</summary>
    public List<BackedVolume> BackedVolumes { get; } = [];

    public Task<IReadOnlyList<BackedVolume>> ListBackedVolumesAsync(bool refresh, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<BackedVolume>>(BackedVolumes.ToList());
}

/// <summary>Workspace records in memory.</summary>
internal sealed class FakeRecordStore : IWorkspaceRecordStore
{
    public ConcurrentDictionary<string, WorkspaceRecord> Records { get; } = new(StringComparer.Ordinal);

    public int Saves { get; private set; }

    /// <summary>Record files that do not parse, by workspace.</summary>
    public ConcurrentDictionary<string, UnreadableWorkspaceRecord> Unreadable { get; } = new(StringComparer.Ordinal);

    public List<UnreadableWorkspaceRecord> SetAside { get; } = [];

    public Task<WorkspaceRecordSet> LoadAllAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new WorkspaceRecordSet(Records.Values.ToList(), Unreadable.Values.ToList()));

    public Task SetAsideAsync(UnreadableWorkspaceRecord record, CancellationToken cancellationToken)
    {
        Unreadable.TryRemove(record.Workspace, out _);
        SetAside.Add(record);
        return Task.CompletedTask;
    }

    public void MakeUnreadable(string workspace) =>
        Unreadable[workspace] = new UnreadableWorkspaceRecord(workspace, $"/var/lib/vmetal/workspaces/{workspace}.json", "'x' is an invalid start of a value");

    public Task SaveAsync(WorkspaceRecord record, CancellationToken cancellationToken)
    {
        Saves++;
        Records[record.Workspace] = record;
        return Task.CompletedTask;
    }

    public Task DeleteAsync(string workspace, CancellationToken cancellationToken)
    {
        Records.TryRemove(workspace, out _);
        return Task.CompletedTask;
    }
}
