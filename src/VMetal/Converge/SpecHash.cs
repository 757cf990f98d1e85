using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using VMetal.Rendering;

namespace VMetal.Converge;

/// <summary>
/// A fingerprint of what vmetal asked libvirt for, stored with the object (the owner mark's
/// <c>spec-hash</c>). libvirt rewrites the XML it is given (defaults, PCI addresses), so comparing
/// XML text would see changes everywhere; comparing our own fingerprint sees exactly ours.
/// </summary>
public static class SpecHash
{
    public const string Attribute = "spec-hash";

    /// <summary>
    /// Stamps a rendered domain: the hash covers everything except the whole-topology hash
    /// (adding a node must not touch the other nodes) and the stamp itself.
    /// </summary>
    public static (string Xml, string Hash) StampDomain(string renderedXml)
    {
        var document = XDocument.Parse(renderedXml);
        var owner = OwnerOf(document) ?? throw new InvalidOperationException("rendered domain lacks vmetal's owner mark");
        var topologyHash = owner.Attribute(VmetalMetadata.TopologyHashAttribute)?.Value;
        owner.SetAttributeValue(VmetalMetadata.TopologyHashAttribute, null);
        var hash = Of(document);
        owner.SetAttributeValue(VmetalMetadata.TopologyHashAttribute, topologyHash);
        owner.SetAttributeValue(Attribute, hash);
        return (Serialize(document), hash);
    }

    /// <summary>
    /// Stamps a rendered network with vmetal's owner mark. Fixed DHCP hosts are left out of
    /// the hash: they change as OS nodes come and go, and are applied live without restarting
    /// the network.
    /// </summary>
    public static (string Xml, string Hash) StampNetwork(string renderedXml, string workspace, string prefix)
    {
        var document = XDocument.Parse(renderedXml);
        var withoutHosts = new XDocument(document);
        withoutHosts.Descendants("host").Remove();
        var hash = Of(withoutHosts);
        var root = document.Root!;
        var owner = VmetalMetadata.OwnerElement(new VmetalOwner(workspace, prefix, root.Element("name")!.Value, "network", ""));
        owner.SetAttributeValue(VmetalMetadata.TopologyHashAttribute, null);
        owner.SetAttributeValue(Attribute, hash);
        // libvirt wants <metadata> right after <name>/<uuid>.
        (root.Element("uuid") ?? root.Element("name"))!.AddAfterSelf(new XElement("metadata", owner));
        return (Serialize(document), hash);
    }

    /// <summary>
    /// A volume's fingerprint leaves its capacity out: a bigger capacity is applied by growing the
    /// disk in place, not by recreating it.
    /// </summary>
    public static string OfVolume(string renderedXml, uint createFlags)
    {
        var document = XDocument.Parse(renderedXml);
        document.Root!.Element("capacity")?.Remove();
        document.Root.Element("allocation")?.Remove();
        return Of(document.ToString(SaveOptions.DisableFormatting) + "|flags=" + createFlags);
    }

    /// <summary>The owner mark of a domain or network document, if any.</summary>
    public static XElement? OwnerOf(XDocument document) =>
        document.Root?.Element("metadata")?.Element(VmetalMetadata.Namespace + VmetalMetadata.OwnerElementName);

    public static string OfBytes(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content))[..16];

    public static string Of(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];

    private static string Of(XDocument document) => Of(document.ToString(SaveOptions.DisableFormatting));

    private static string Serialize(XDocument document) => document.Root!.ToString();
}
