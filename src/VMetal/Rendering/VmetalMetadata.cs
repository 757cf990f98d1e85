using System.Xml.Linq;

namespace VMetal.Rendering;

/// <summary>
/// vmetal's ownership mark in a domain's <c>&lt;metadata&gt;</c>:
/// <c>&lt;vmetal:owner xmlns:vmetal="https://vmetal.dev/xmlns/libvirt/v1" workspace="…" prefix="…" node="…" type="…" topology-hash="…"/&gt;</c>.
/// A domain is vmetal's (and which lab's) only if it carries this element; names alone prove nothing.
/// </summary>
public static class VmetalMetadata
{
    public const string NamespaceUri = "https://vmetal.dev/xmlns/libvirt/v1";

    /// <summary>The XML prefix; also the "key" libvirt's virDomainSetMetadata wants for element metadata.</summary>
    public const string NamespacePrefix = "vmetal";

    public const string OwnerElementName = "owner";
    public const string WorkspaceAttribute = "workspace";
    public const string PrefixAttribute = "prefix";
    public const string NodeAttribute = "node";
    public const string TypeAttribute = "type";
    public const string TopologyHashAttribute = "topology-hash";

    public static readonly XNamespace Namespace = NamespaceUri;

    public static XElement OwnerElement(VmetalOwner owner) => new(
        Namespace + OwnerElementName,
        new XAttribute(XNamespace.Xmlns + NamespacePrefix, NamespaceUri),
        new XAttribute(WorkspaceAttribute, owner.Workspace),
        new XAttribute(PrefixAttribute, owner.Prefix),
        new XAttribute(NodeAttribute, owner.Node),
        new XAttribute(TypeAttribute, owner.Type),
        new XAttribute(TopologyHashAttribute, owner.TopologyHash));

    /// <summary>Reads the owner from a whole domain XML document; null when the domain is not vmetal's.</summary>
    public static VmetalOwner? FromDomainXml(string domainXml)
    {
        var owner = XDocument.Parse(domainXml).Root?.Element("metadata")?.Element(Namespace + OwnerElementName);
        return owner is null ? null : FromElement(owner);
    }

    /// <summary>Reads the owner element itself (what virDomainGetMetadata returns for <see cref="NamespaceUri"/>).</summary>
    public static VmetalOwner? FromElement(XElement element)
    {
        string? Value(string name) => element.Attribute(name)?.Value;
        return element.Name == Namespace + OwnerElementName
            && Value(WorkspaceAttribute) is { } workspace && Value(NodeAttribute) is { } node
            ? new VmetalOwner(workspace, Value(PrefixAttribute) ?? "", node, Value(TypeAttribute) ?? "", Value(TopologyHashAttribute) ?? "")
            : null;
    }
}

/// <param name="Prefix">The lab's prefix, or "" for an unprefixed lab.</param>
public sealed record VmetalOwner(string Workspace, string Prefix, string Node, string Type, string TopologyHash);
