using System.Net;
using System.Xml.Linq;
using VMetal.Libvirt;
using VMetal.Rendering;
using VMetal.Topology;

namespace VMetal.Converge;

/// <summary><see cref="IHypervisor"/> over vmetal's libvirt RPC client (one connection, calls pipelined).</summary>
public sealed class LibvirtHypervisor(LibvirtClient libvirt) : IHypervisor
{
    public async Task<HypervisorFacts> GetFactsAsync(CancellationToken cancellationToken)
    {
        var hostname = libvirt.GetHostnameAsync(cancellationToken);
        var version = libvirt.GetLibVersionAsync(cancellationToken);
        var capabilities = libvirt.GetCapabilitiesAsync(cancellationToken);
        // libvirt lists a guest domain type only when it can run it: kvm needs usable /dev/kvm.
        var kvm = XDocument.Parse(await capabilities).Descendants("domain")
            .Any(domain => (string?)domain.Attribute("type") == "kvm");
        return new HypervisorFacts(await hostname, await version, kvm);
    }

    public async Task<ActualState> ObserveAsync(string poolName, string poolPath, IReadOnlyCollection<string> volumeNames,
        CancellationToken cancellationToken)
    {
        var domainsTask = ObserveDomainsAsync(cancellationToken);
        var networksTask = ObserveNetworksAsync(cancellationToken);
        var pool = await FindPoolAsync(poolName, poolPath, cancellationToken);
        IReadOnlyList<ObservedVolume> volumes = [];
        if (pool is { Active: true })
        {
            var poolRef = await libvirt.StoragePoolLookupByNameAsync(pool.Name, cancellationToken);
            var present = (await libvirt.StoragePoolListAllVolumesAsync(poolRef, cancellationToken: cancellationToken))
                .Where(volume => volumeNames.Contains(volume.Name)).ToList();
            // The XML has the capacity too: one call per volume gives both.
            volumes = await Task.WhenAll(present.Select(async volume =>
            {
                var xml = XDocument.Parse(await libvirt.StorageVolGetXmlDescAsync(volume, cancellationToken)).Root;
                var capacity = (string?)xml?.Element("capacity") is { } text ? long.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 0;
                return new ObservedVolume(volume.Name, capacity) { Fields = DefinitionFields.OfVolume(xml) };
            }));
        }
        return new ActualState(await domainsTask, await networksTask, pool, volumes);
    }

    public async Task<string> CreatePoolAsync(string xml, CancellationToken cancellationToken)
    {
        var pool = await libvirt.StoragePoolDefineXmlAsync(xml, cancellationToken);
        await libvirt.StoragePoolBuildAsync(pool, StoragePoolBuildFlags.New, cancellationToken);
        await StartPoolAsync(pool.Name, cancellationToken);
        return pool.Name;
    }

    public async Task StartPoolAsync(string name, CancellationToken cancellationToken)
    {
        var pool = await libvirt.StoragePoolLookupByNameAsync(name, cancellationToken);
        if (!await libvirt.StoragePoolIsActiveAsync(pool, cancellationToken))
            await libvirt.StoragePoolCreateAsync(pool, cancellationToken: cancellationToken);
        await libvirt.StoragePoolSetAutostartAsync(pool, true, cancellationToken);
    }

    public Task DefineNetworkAsync(string xml, CancellationToken cancellationToken) =>
        libvirt.NetworkDefineXmlAsync(xml, cancellationToken: cancellationToken);

    public async Task StartNetworkAsync(string name, CancellationToken cancellationToken) =>
        await libvirt.NetworkCreateAsync(await libvirt.NetworkLookupByNameAsync(name, cancellationToken), cancellationToken);

    public async Task SetNetworkAutostartAsync(string name, CancellationToken cancellationToken) =>
        await libvirt.NetworkSetAutostartAsync(await libvirt.NetworkLookupByNameAsync(name, cancellationToken), true, cancellationToken);

    public async Task DeleteNetworkAsync(string name, CancellationToken cancellationToken)
    {
        if (await Vanishable(() => libvirt.NetworkLookupByNameAsync(name, cancellationToken)) is not { } network)
            return;
        if (await libvirt.NetworkIsActiveAsync(network, cancellationToken))
            await libvirt.NetworkDestroyAsync(network, cancellationToken);
        await libvirt.NetworkUndefineAsync(network, cancellationToken);
    }

    public Task AddDhcpHostAsync(string network, DhcpHost host, CancellationToken cancellationToken) =>
        UpdateDhcpHostAsync(network, host, NetworkUpdateCommand.AddLast, cancellationToken);

    public Task RemoveDhcpHostAsync(string network, DhcpHost host, CancellationToken cancellationToken) =>
        UpdateDhcpHostAsync(network, host, NetworkUpdateCommand.Delete, cancellationToken);

    public async Task CreateVolumeAsync(string pool, string xml, uint flags, CancellationToken cancellationToken) =>
        await libvirt.StorageVolCreateXmlAsync(await libvirt.StoragePoolLookupByNameAsync(pool, cancellationToken), xml,
            (StorageVolumeCreateFlags)flags, cancellationToken);

    public async Task UploadVolumeAsync(string pool, string name, byte[] content, CancellationToken cancellationToken)
    {
        var volume = await LookupVolumeAsync(pool, name, cancellationToken);
        using var stream = new MemoryStream(content, writable: false);
        await libvirt.StorageVolUploadAsync(volume, stream, 0, (ulong)content.Length, cancellationToken: cancellationToken);
    }

    public async Task ResizeVolumeAsync(string pool, string name, long capacityBytes, CancellationToken cancellationToken)
    {
        var volume = await LookupVolumeAsync(pool, name, cancellationToken);
        await libvirt.StorageVolResizeAsync(volume, (ulong)capacityBytes, cancellationToken: cancellationToken);
    }

    public async Task DeleteVolumeAsync(string pool, string name, CancellationToken cancellationToken)
    {
        try
        {
            await libvirt.StorageVolDeleteAsync(await LookupVolumeAsync(pool, name, cancellationToken),
                cancellationToken: cancellationToken);
        }
        catch (LibvirtException ex) when (ex.IsNotFound)
        {
            // Already gone: the goal is reached.
        }
    }

    public Task DefineDomainAsync(string xml, CancellationToken cancellationToken) =>
        libvirt.DomainDefineXmlAsync(xml, cancellationToken: cancellationToken);

    public async Task StartDomainAsync(string name, CancellationToken cancellationToken) =>
        await libvirt.DomainCreateAsync(await libvirt.DomainLookupByNameAsync(name, cancellationToken), cancellationToken: cancellationToken);

    public async Task DeleteDomainAsync(string name, CancellationToken cancellationToken)
    {
        if (await Vanishable(() => libvirt.DomainLookupByNameAsync(name, cancellationToken)) is not { } domain)
            return;
        if (domain.Id > 0)
        {
            try
            {
                await libvirt.DomainDestroyAsync(domain, cancellationToken: cancellationToken);
            }
            catch (LibvirtException ex) when (ex.Code == LibvirtErrorCode.OperationInvalid)
            {
                // It stopped by itself meanwhile.
            }
        }
        await libvirt.DomainUndefineAsync(domain,
            DomainUndefineFlags.ManagedSave | DomainUndefineFlags.SnapshotsMetadata | DomainUndefineFlags.CheckpointsMetadata | DomainUndefineFlags.Nvram,
            cancellationToken);
    }

    public async Task<IReadOnlyList<(string Mac, string Address)>> GetLeasesAsync(string network, CancellationToken cancellationToken)
    {
        var leases = await libvirt.NetworkGetDhcpLeasesAsync(await libvirt.NetworkLookupByNameAsync(network, cancellationToken),
            cancellationToken: cancellationToken);
        return leases.Where(lease => lease.MacAddress is not null)
            .Select(lease => (lease.MacAddress!, lease.IPAddress)).ToList();
    }

    private async Task UpdateDhcpHostAsync(string network, DhcpHost host, NetworkUpdateCommand command, CancellationToken cancellationToken)
    {
        var networkRef = await libvirt.NetworkLookupByNameAsync(network, cancellationToken);
        var flags = NetworkUpdateFlags.Config;
        if (await libvirt.NetworkIsActiveAsync(networkRef, cancellationToken))
            flags |= NetworkUpdateFlags.Live;
        var xml = new XElement("host", new XAttribute("mac", host.MacAddress), new XAttribute("name", host.Name),
            new XAttribute("ip", host.Address)).ToString();
        await libvirt.NetworkUpdateAsync(networkRef, command, NetworkUpdateSection.IPDhcpHost, -1, xml, flags, cancellationToken);
    }

    private async Task<IReadOnlyList<ObservedDomain>> ObserveDomainsAsync(CancellationToken cancellationToken)
    {
        var domains = await libvirt.ListAllDomainsAsync(cancellationToken: cancellationToken);
        return Present(await Task.WhenAll(domains.Select(domain => Vanishable(async () =>
        {
            var xml = XDocument.Parse(await libvirt.DomainGetXmlDescAsync(domain, DomainXmlFlags.Inactive, cancellationToken));
            var owner = SpecHash.OwnerOf(xml);
            return new ObservedDomain(domain.Name, domain.Uuid, domain.Id > 0,
                owner is null ? null : VmetalMetadata.FromElement(owner),
                owner?.Attribute(SpecHash.Attribute)?.Value,
                xml.Root?.Element("os")?.Element("nvram") is not null,
                xml.Descendants("interface")
                    .Select(nic => ((string?)nic.Element("source")?.Attribute("network") ?? "", (string?)nic.Element("mac")?.Attribute("address") ?? ""))
                    .ToList())
            {
                Fields = owner is null ? null : DefinitionFields.OfDomain(xml.Root),
            };
        }))));
    }

    private async Task<IReadOnlyList<ObservedNetwork>> ObserveNetworksAsync(CancellationToken cancellationToken)
    {
        var networks = await libvirt.ListAllNetworksAsync(cancellationToken: cancellationToken);
        return Present(await Task.WhenAll(networks.Select(network => Vanishable(async () =>
        {
            var xmlTask = libvirt.NetworkGetXmlDescAsync(network, cancellationToken: cancellationToken);
            var activeTask = libvirt.NetworkIsActiveAsync(network, cancellationToken);
            var autostartTask = libvirt.NetworkGetAutostartAsync(network, cancellationToken);
            var xml = XDocument.Parse(await xmlTask);
            var owner = SpecHash.OwnerOf(xml);
            var hosts = xml.Descendants("host")
                .Where(host => host.Attribute("mac") is not null && host.Attribute("ip") is not null)
                .Select(host => new DhcpHost((string)host.Attribute("mac")!, (string?)host.Attribute("name") ?? "", IPAddress.Parse((string)host.Attribute("ip")!)))
                .ToList();
            var subnets = xml.Root!.Elements("ip").Select(SubnetOf).OfType<IPNetwork>().ToList();
            return new ObservedNetwork(network.Name, network.Uuid, await activeTask, await autostartTask,
                owner is null ? null : VmetalMetadata.FromElement(owner), owner?.Attribute(SpecHash.Attribute)?.Value, hosts, subnets)
            {
                Fields = DefinitionFields.OfNetwork(xml.Root),
            };
        }))));
    }

    /// <summary>Another client may remove an object at any moment: then it is simply not there.</summary>
    private static async Task<T?> Vanishable<T>(Func<Task<T>> read) where T : class
    {
        try
        {
            return await read();
        }
        catch (LibvirtException ex) when (ex.IsNotFound)
        {
            return null;
        }
    }

    private static IReadOnlyList<T> Present<T>(IEnumerable<T?> items) where T : class => items.OfType<T>().ToList();

    private static IPNetwork? SubnetOf(XElement ip)
    {
        if (!IPAddress.TryParse((string?)ip.Attribute("address"), out var address))
            return null;
        var prefix = (string?)ip.Attribute("prefix") is { } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture)
            : (string?)ip.Attribute("netmask") is { } mask && IPAddress.TryParse(mask, out var netmask) ? PrefixLength(netmask) : 24;
        return new IPNetwork(MaskAddress(address, prefix), prefix);
    }

    private static int PrefixLength(IPAddress netmask) =>
        netmask.GetAddressBytes().Sum(b => System.Numerics.BitOperations.PopCount(b));

    private static IPAddress MaskAddress(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var bits = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bits));
        }
        return new IPAddress(bytes);
    }

    public async Task<IReadOnlyList<BackedVolume>> ListBackedVolumesAsync(bool refresh, CancellationToken cancellationToken)
    {
        var pools = await libvirt.ListAllStoragePoolsAsync(StoragePoolListFlags.Active, cancellationToken);
        var perPool = await Task.WhenAll(pools.Select(async pool =>
        {
            if (refresh)
                await libvirt.StoragePoolRefreshAsync(pool, cancellationToken);
            var volumes = await libvirt.StoragePoolListAllVolumesAsync(pool, cancellationToken: cancellationToken);
            var xmls = await Task.WhenAll(volumes.Select(volume => libvirt.StorageVolGetXmlDescAsync(volume, cancellationToken)));
            return volumes.Zip(xmls, (volume, xml) =>
                    (volume, backing: XDocument.Parse(xml).Root?.Element("backingStore")?.Element("path")?.Value))
                .Where(pair => !string.IsNullOrEmpty(pair.backing))
                .Select(pair => new BackedVolume(pool.Name, pair.volume.Name, pair.backing!));
        }));
        return perPool.SelectMany(volumes => volumes).ToList();
    }

    private async Task<ObservedPool?> FindPoolAsync(string name, string path, CancellationToken cancellationToken)
    {
        var pools = await libvirt.ListAllStoragePoolsAsync(cancellationToken: cancellationToken);
        var chosen = pools.FirstOrDefault(pool => pool.Name == name);
        if (chosen is null && path.Length > 0)
        {
            // libvirt refuses a second dir pool on the same directory: use whichever pool already has it.
            foreach (var pool in pools)
            {
                var xml = XDocument.Parse(await libvirt.StoragePoolGetXmlDescAsync(pool, cancellationToken: cancellationToken));
                if (string.Equals(xml.Root?.Element("target")?.Element("path")?.Value?.TrimEnd('/'), path.TrimEnd('/'), StringComparison.Ordinal))
                {
                    chosen = pool;
                    break;
                }
            }
        }
        if (chosen is null)
            return null;
        return new ObservedPool(chosen.Name, await libvirt.StoragePoolIsActiveAsync(chosen, cancellationToken),
            await libvirt.StoragePoolGetAutostartAsync(chosen, cancellationToken));
    }

    private async Task<StorageVolumeRef> LookupVolumeAsync(string pool, string name, CancellationToken cancellationToken) =>
        await libvirt.StorageVolLookupByNameAsync(await libvirt.StoragePoolLookupByNameAsync(pool, cancellationToken), name, cancellationToken);
}
