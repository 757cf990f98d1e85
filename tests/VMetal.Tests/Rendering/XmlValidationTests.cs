using System.Collections.Concurrent;
using System.Globalization;
using VMetal.Rendering;
using VMetal.Testing;
using VMetal.Tests.Topology;
using VMetal.Topology;

namespace VMetal.Tests.Rendering;

/// <summary>Every rendered document passes libvirt's own schema check, run as the real virt-xml-validate.</summary>
public class XmlValidationTests
{
    private const string Validator = "/usr/bin/virt-xml-validate";

    public static TheoryData<string, BootMode, DomainType> Combinations()
    {
        var data = new TheoryData<string, BootMode, DomainType>();
        foreach (var layout in Catalog.BuiltInCatalog.Names(Catalog.BuiltInCatalog.NetworkFolder))
        {
            foreach (var bootMode in Enum.GetValues<BootMode>())
            {
                foreach (var domainType in Enum.GetValues<DomainType>())
                    data.Add(layout, bootMode, domainType);
            }
        }
        return data;
    }

    /// <summary>
    /// Every node type on the default layout; on the others, the reference lab plus the types some layout gives
    /// NICs of their own (ceph, ironic, novacontrol, odl). A type's domain differs between layouts only in its
    /// interface list, and validating every type on every layout took the validator minutes.
    /// </summary>
    private const string LayoutSpecificTypes = Topologies.Reference + ",ceph:1,ironic:1,novacontrol:1,odl:1";

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Catalogue_node_types_and_layouts_validate(string layout, BootMode bootMode, DomainType domainType)
    {
        var catalog = await TopologyCatalog.ListAsync(null, TestContext.Current.CancellationToken);
        var counts = layout == TopologyRequest.DefaultLayout ? Topologies.EveryTypeCounts(catalog, layout) : LayoutSpecificTypes;
        var topology = await Topologies.LoadAsync(new TopologyRequest
        {
            NodeCounts = counts,
            NetworkLayout = layout,
            BootMode = bootMode,
            BaseImage = "/var/lib/libvirt/images/base.qcow2",
            // SCSI on one half of the runs, so the virtio-scsi controller is validated too.
            DiskBus = domainType == DomainType.Qemu ? DiskBus.Scsi : DiskBus.Virtio,
        });
        var options = new RenderOptions
        {
            DomainType = domainType,
            SerialLogFiles = bootMode == BootMode.Uefi,
            VncExternal = domainType == DomainType.Qemu,
            VncPassword = domainType == DomainType.Qemu ? "secret" : null,
        };

        var rendered = new LibvirtXml(options).RenderAll(topology);

        Assert.Equal(counts.Split(',').Sum(item => int.Parse(item.Split(':')[1], CultureInfo.InvariantCulture)),
            rendered.Documents.Count(document => document.Kind == XmlObjectKind.Domain));
        await AssertValidAsync(rendered.Documents);
    }

    [Fact]
    public async Task Networks_with_every_optional_element_validate()
    {
        using var directory = new TempDirectory();
        var file = directory.File("lab.yml");
        await File.WriteAllTextAsync(file, """
            vmetal-topology: 1
            network:
              networks:
                net1:
                  name: lab
                  forward: nat
                  ip_address: 198.18.60.1
                  netmask: 255.255.255.0
                  mtu: 9000
                  domain: lab.test
                  dns:
                    srvs:
                      - {name: ldap, protocol: tcp, domain: lab.test, port: 389, target: ldap.lab.test}
                      - {name: kerberos, protocol: udp}
                  dhcp: {range: {start: 198.18.60.10, end: 198.18.60.20}}
                  ipv6: {ip_address: "fd00:60::1", prefix: 64, dhcp: {range: {start: "fd00:60::10", end: "fd00:60::20"}}}
                net2:
                  name: uplink
                  forward: bridge
                  bridge: br-uplink
              nodes:
                default:
                  interfaces: [{network: lab}, {network: uplink}]
            nodes:
              - type: tester
                count: 2
            """, TestContext.Current.CancellationToken);
        var topology = await Topologies.LoadAsync(new TopologyRequest { TopologyFile = file });

        await AssertValidAsync(new LibvirtXml(new RenderOptions()).RenderAll(topology).Documents);
    }

    [Fact]
    public async Task The_check_itself_rejects_a_broken_document()
    {
        var broken = new RenderedDocument(XmlObjectKind.Domain, "broken", "<domain type='kvm'><name>x</name><vcpu>many</vcpu></domain>\n");

        await Assert.ThrowsAsync<Xunit.Sdk.TrueException>(() => AssertValidAsync([broken]));
    }

    /// <summary>Writes each distinct document once and runs the validator on all of them, two at a time.</summary>
    internal static async Task AssertValidAsync(IEnumerable<RenderedDocument> documents)
    {
        Assert.SkipUnless(File.Exists(Validator), $"{Validator} is not installed (Debian: libvirt-clients)");
        using var directory = new TempDirectory("vmetal-xml");
        var distinct = documents.DistinctBy(document => (document.SchemaName, document.Xml)).ToList();
        var failures = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(
            distinct.Select((document, index) => (document, index)),
            new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = TestContext.Current.CancellationToken },
            async (item, cancellationToken) =>
            {
                var path = directory.File($"{item.index}-{item.document.FileName}");
                await File.WriteAllTextAsync(path, item.document.Xml, cancellationToken);
                var result = await ProcessRunner.RunAsync(Validator, [path, item.document.SchemaName], cancellationToken: cancellationToken);
                if (result.ExitCode != 0 || !result.Output.Contains("validates", StringComparison.Ordinal))
                    failures.Add($"{item.document.FileName}: {result.Output}\n{item.document.Xml}");
            });
        Assert.True(failures.IsEmpty, string.Join("\n", failures));
    }
}
