using System.Globalization;
using System.Xml.Linq;
using VMetal.Bmc.Machines;

namespace VMetal.Bmc.Libvirt;

/// <summary>
/// A libvirt domain's persistent XML, read and changed the way a BMC needs: identity, NICs, the boot order
/// (per-device <c>&lt;boot order='N'/&gt;</c> as vmetal writes it, or <c>&lt;os&gt;&lt;boot dev=…/&gt;</c>), the
/// firmware (legacy BIOS or UEFI), the virtual CD, and the BMC's own notes: a pending "once" boot override and the
/// URL of the inserted image.
/// </summary>
/// <remarks>
/// A boot order is written as a list of device keys: <c>interface:&lt;mac&gt;</c>, <c>disk:&lt;target dev&gt;</c>,
/// <c>&lt;element&gt;#&lt;n&gt;</c> for other bootable devices, or <c>os:&lt;dev&gt;</c> in the &lt;os&gt; form.
/// A "once" override saves the order it replaced in the metadata, so the next boot can put it back.
/// </remarks>
internal sealed class DomainDefinition
{
    public const string MetadataNamespace = "urn:vmetal:bmc:1";

    private static readonly XNamespace Bmc = MetadataNamespace;
    // libvirt keeps one metadata element per namespace, so every note is an attribute of this one element.
    private static readonly XName Notes = Bmc + "bmc";

    private readonly XDocument _document;

    private DomainDefinition(XDocument document) => _document = document;

    private XElement Domain => _document.Root!;

    private XElement Os => Domain.Element("os") ?? throw Unsupported("the domain XML has no <os> element");

    private XElement Devices => Domain.Element("devices") ?? throw Unsupported("the domain XML has no <devices> element");

    public Guid Uuid => Guid.Parse(Domain.Element("uuid")!.Value);

    public string Name => Domain.Element("name")!.Value;

    public IReadOnlyList<string> MacAddresses =>
        [.. (Domain.Element("devices")?.Elements("interface") ?? []).Select(i => i.Element("mac")?.Attribute("address")?.Value).OfType<string>()];

    public int MemoryMiB => (int)(ToKiB(Domain.Element("memory")) / 1024);

    public int ProcessorCount => int.TryParse(Domain.Element("vcpu")?.Value, CultureInfo.InvariantCulture, out var count) ? count : 1;

    public BootMode Mode
    {
        get
        {
            var os = Domain.Element("os");
            if (os?.Attribute("firmware")?.Value == "efi")
            {
                return BootMode.Uefi;
            }

            var loader = os?.Element("loader");
            var path = loader?.Value ?? string.Empty;
            return loader?.Attribute("type")?.Value == "pflash" || path.Contains("OVMF", StringComparison.OrdinalIgnoreCase)
                || path.Contains("AAVMF", StringComparison.OrdinalIgnoreCase) || path.Contains("edk2", StringComparison.OrdinalIgnoreCase)
                ? BootMode.Uefi
                : BootMode.Legacy;
        }
    }

    /// <summary>The boot order now in the definition, first device first.</summary>
    public IReadOnlyList<string> BootOrder
    {
        get
        {
            var perDevice = BootableDevices()
                .Select(d => (d.Key, Order: d.Element.Element("boot")?.Attribute("order")?.Value))
                .Where(d => d.Order is not null)
                .OrderBy(d => int.Parse(d.Order!, CultureInfo.InvariantCulture))
                .Select(d => d.Key)
                .ToList();
            if (perDevice.Count > 0)
            {
                return perDevice;
            }

            var osForm = (Domain.Element("os")?.Elements("boot") ?? []).Select(b => "os:" + b.Attribute("dev")?.Value).ToList();
            return osForm.Count > 0 ? osForm : ["os:hd"]; // libvirt boots from hd when nothing is said
        }
    }

    /// <summary>A pending "once" override and the order to put back after it, or null.</summary>
    public (BootTarget Target, IReadOnlyList<string> Restore)? PendingOnce
    {
        get
        {
            if (Note("once") is not { } once || !Enum.TryParse<BootTarget>(once, out var target))
            {
                return null;
            }

            return (target, Note("restore")?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? []);
        }
    }

    /// <summary>What a BMC reports: the pending once override, or the first boot device as a continuous setting.</summary>
    public BootSettings Boot => PendingOnce is { } once
        ? new BootSettings(once.Target, BootOverride.Once, Mode)
        : new BootSettings(TargetOf(BootOrder[0]), BootOverride.Continuous, Mode);

    /// <summary>The UEFI variable store file this definition names (vmetal writes one per UEFI node), or null.</summary>
    public string? NvramFile => Domain.Element("os")?.Element("nvram")?.Value.Trim() is { Length: > 0 } path ? path : null;

    /// <summary>The hard disks (not CD-ROMs), in domain order: target name and, for file or block disks, the path of their source.</summary>
    public IReadOnlyList<(string Target, string? SourcePath)> Disks =>
        [.. (Domain.Element("devices")?.Elements("disk") ?? [])
            .Where(d => (d.Attribute("device")?.Value ?? "disk") == "disk")
            .Select(d => (d.Element("target")?.Attribute("dev")?.Value ?? "?", d.Element("source")?.Attribute("file")?.Value ?? d.Element("source")?.Attribute("dev")?.Value))];

    /// <summary>The image the BMC inserted into the virtual CD drive (noted with its URL), or empty.</summary>
    public VirtualMediaState Media =>
        Note("image") is { } image && Uri.TryCreate(image, UriKind.Absolute, out var uri)
            ? new VirtualMediaState(uri)
            : VirtualMediaState.Empty;

    /// <exception cref="System.Xml.XmlException">Not XML.</exception>
    public static DomainDefinition Parse(string xml) => new(XDocument.Parse(xml));

    public string ToXml() => _document.ToString(SaveOptions.DisableFormatting);

    /// <summary>
    /// Applies a boot change: the target's devices move to the front (the others keep their order behind them, so a
    /// failed PXE still falls back to disk). "Once" saves the order it replaces; "Disabled" puts a saved order back.
    /// </summary>
    /// <exception cref="MachineOperationException">
    /// Unsupported: the domain has no device of that kind, or BIOS setup was asked for. A CD target adds an empty CD-ROM drive to a
    /// domain without one.
    /// </exception>
    public void Apply(BootChange change)
    {
        var wanted = change.ApplyTo(Boot);
        if (change.Mode is { } mode && mode != Mode)
        {
            SetMode(mode);
        }

        if (change.Target is null && change.Enabled is null)
        {
            return;
        }

        var pending = PendingOnce;
        if (wanted.Enabled == BootOverride.Disabled || wanted.Target == BootTarget.None)
        {
            if (pending is not null)
            {
                RestoreAfterOnce();
            }

            return;
        }

        if (wanted.Target == BootTarget.BiosSetup)
        {
            throw Unsupported("libvirt cannot stop a domain in its firmware setup");
        }

        // The order a once override replaces is the persistent one: the saved one if another once is pending.
        var persistent = pending?.Restore ?? BootOrder;
        SetBootOrder(OrderWithFirst(wanted.Target, persistent));
        SetOnceNote(wanted.Enabled == BootOverride.Once ? (wanted.Target, persistent) : null);
    }

    /// <summary>Puts back the order saved by a "once" override and forgets it; false when none was pending.</summary>
    public bool RestoreAfterOnce()
    {
        if (PendingOnce is not { } pending)
        {
            return false;
        }

        SetBootOrder(pending.Restore.Count > 0 ? pending.Restore : BootOrder);
        SetOnceNote(null);
        return true;
    }

    /// <summary>
    /// Puts a local image file into the first CD-ROM drive (adding a drive when the domain has none) and notes the
    /// URL it came from. Like real media, it is seen at the next boot.
    /// </summary>
    public void InsertMedia(string file, Uri image)
    {
        var cdrom = FirstCdrom ?? AddCdrom();
        cdrom.SetAttributeValue("type", "file");
        cdrom.Element("source")?.Remove();
        cdrom.Add(new XElement("source", new XAttribute("file", file)));
        if (cdrom.Element("readonly") is null)
        {
            cdrom.Add(new XElement("readonly"));
        }

        SetNote("image", image.ToString());
    }

    /// <summary>
    /// For a running domain's live definition: its CD-ROM drive that <paramref name="persistent"/> puts media into, carrying the
    /// medium (or none) the persistent one now has, as device XML for virDomainUpdateDeviceFlags. The rest of the element is the
    /// live one, as libvirt refuses live changes to anything but the medium. Null when the drive was added after the domain
    /// started (IDE and SATA drives cannot be hot-plugged): the medium is then seen from the next start.
    /// </summary>
    public string? LiveCdromChange(DomainDefinition persistent)
    {
        var target = TargetName(persistent.FirstCdrom);
        var live = Cdroms.FirstOrDefault(d => TargetName(d) == target);
        if (target is null || live is null)
        {
            return null;
        }

        var change = new XElement(live);
        change.Element("source")?.Remove();
        change.SetAttributeValue("type", "file");
        if (persistent.FirstCdrom!.Element("source") is { } source)
        {
            change.Add(new XElement(source));
        }

        return change.ToString(SaveOptions.DisableFormatting);
    }

    /// <summary>Empties the CD-ROM drive the BMC filled; the drive stays.</summary>
    public void EjectMedia()
    {
        if (Media.Inserted)
        {
            FirstCdrom?.Element("source")?.Remove();
        }

        SetNote("image", null);
    }

    private IEnumerable<XElement> Cdroms =>
        (Domain.Element("devices")?.Elements("disk") ?? []).Where(d => d.Attribute("device")?.Value == "cdrom");

    private XElement? FirstCdrom => Cdroms.FirstOrDefault();

    private static string? TargetName(XElement? disk) => disk?.Element("target")?.Attribute("dev")?.Value;

    /// <summary>A CD-ROM drive on the bus the machine type has (SATA on q35, IDE on i440fx), at a free target name.</summary>
    private XElement AddCdrom()
    {
        var q35 = Os.Element("type")?.Attribute("machine")?.Value.Contains("q35", StringComparison.Ordinal) ?? false;
        var (bus, prefix) = q35 ? ("sata", "sd") : ("ide", "hd");
        var taken = Devices.Elements("disk").Select(TargetName).ToHashSet();
        var name = Enumerable.Range('a', 26).Select(letter => prefix + (char)letter).First(candidate => !taken.Contains(candidate));
        var cdrom = new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "cdrom"),
            new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "raw")),
            new XElement("target", new XAttribute("dev", name), new XAttribute("bus", bus)),
            new XElement("readonly"));
        Devices.Add(cdrom);
        return cdrom;
    }

    private IReadOnlyList<string> OrderWithFirst(BootTarget target, IReadOnlyList<string> order)
    {
        var osForm = order.All(key => key.StartsWith("os:", StringComparison.Ordinal));
        if (target == BootTarget.Cd && !HasDevice(target))
        {
            // As a BMC offers CD boot, every machine gets an (empty) drive; a running one sees it from its next start.
            AddCdrom();
        }

        if (!HasDevice(target))
        {
            throw Unsupported($"the domain has no {target switch { BootTarget.Pxe => "network interface", BootTarget.Cd => "CD-ROM drive", _ => "disk" }} to boot from");
        }

        List<string> first;
        if (osForm)
        {
            first = [target switch { BootTarget.Pxe => "os:network", BootTarget.Cd => "os:cdrom", _ => "os:hd" }];
        }
        else
        {
            var ofTarget = BootableDevices().Where(d => TargetOf(d.Key) == target).Select(d => d.Key).ToList();
            var alreadyBootable = order.Where(ofTarget.Contains).ToList();
            first = alreadyBootable.Count > 0 ? alreadyBootable : ofTarget;
        }

        return [.. first, .. order.Where(key => !first.Contains(key))];
    }

    private bool HasDevice(BootTarget target) => BootableDevices().Any(d => TargetOf(d.Key) == target);

    private void SetBootOrder(IReadOnlyList<string> order)
    {
        foreach (var boot in Devices.Elements().Elements("boot").Concat(Os.Elements("boot")).ToList())
        {
            boot.Remove();
        }

        var devices = BootableDevices().ToDictionary(d => d.Key, d => d.Element);
        var position = 1;
        foreach (var key in order)
        {
            if (key.StartsWith("os:", StringComparison.Ordinal))
            {
                Os.Add(new XElement("boot", new XAttribute("dev", key[3..])));
            }
            else if (devices.TryGetValue(key, out var device))
            {
                device.Add(new XElement("boot", new XAttribute("order", position++)));
            }
        }
    }

    /// <summary>Switches firmware through libvirt's automatic firmware selection, which finds the host's OVMF itself.</summary>
    private void SetMode(BootMode mode)
    {
        var os = Os;
        foreach (var element in os.Elements().Where(e => e.Name.LocalName is "loader" or "nvram" or "firmware").ToList())
        {
            element.Remove();
        }

        os.SetAttributeValue("firmware", mode == BootMode.Uefi ? "efi" : null);
    }

    private void SetOnceNote((BootTarget Target, IReadOnlyList<string> Restore)? once)
    {
        SetNote("once", once?.Target.ToString());
        SetNote("restore", once is { } note ? string.Join(' ', note.Restore) : null);
    }

    private string? Note(string name) => Domain.Element("metadata")?.Element(Notes)?.Attribute(name)?.Value;

    /// <summary>Sets (or with null removes) one of the BMC's notes; the element goes when its last note does.</summary>
    private void SetNote(string name, string? value)
    {
        var metadata = Domain.Element("metadata");
        var notes = metadata?.Element(Notes);
        if (notes is null)
        {
            if (value is null)
            {
                return;
            }

            if (metadata is null)
            {
                metadata = new XElement("metadata");
                Domain.Add(metadata);
            }

            notes = new XElement(Notes, new XAttribute(XNamespace.Xmlns + "vmetal-bmc", MetadataNamespace));
            metadata.Add(notes);
        }

        notes.SetAttributeValue(name, value);
        if (!notes.Attributes().Any(a => !a.IsNamespaceDeclaration))
        {
            notes.Remove();
        }
    }

    private IEnumerable<(string Key, XElement Element)> BootableDevices()
    {
        var devices = Domain.Element("devices");
        if (devices is null)
        {
            yield break;
        }

        foreach (var group in devices.Elements().Where(e => e.Name.LocalName is "disk" or "interface" or "hostdev" or "redirdev").GroupBy(e => e.Name.LocalName))
        {
            var index = 0;
            foreach (var element in group)
            {
                yield return (KeyOf(element, index++), element);
            }
        }
    }

    private static string KeyOf(XElement device, int index) => device.Name.LocalName switch
    {
        "interface" when device.Element("mac")?.Attribute("address")?.Value is { } mac => "interface:" + mac.ToLowerInvariant(),
        "disk" when device.Element("target")?.Attribute("dev")?.Value is { } dev => $"disk:{device.Attribute("device")?.Value ?? "disk"}:{dev}",
        _ => $"{device.Name.LocalName}#{index}",
    };

    private static BootTarget TargetOf(string key) => key switch
    {
        "os:network" => BootTarget.Pxe,
        "os:hd" => BootTarget.Hdd,
        "os:cdrom" => BootTarget.Cd,
        _ when key.StartsWith("interface:", StringComparison.Ordinal) => BootTarget.Pxe,
        _ when key.StartsWith("disk:disk:", StringComparison.Ordinal) => BootTarget.Hdd,
        _ when key.StartsWith("disk:cdrom:", StringComparison.Ordinal) => BootTarget.Cd,
        _ => BootTarget.None,
    };

    private static long ToKiB(XElement? memory)
    {
        if (memory is null || !long.TryParse(memory.Value, CultureInfo.InvariantCulture, out var value))
        {
            return 0;
        }

        return (memory.Attribute("unit")?.Value ?? "KiB") switch
        {
            "b" or "bytes" => value / 1024,
            "MiB" or "M" => value * 1024,
            "GiB" or "G" => value * 1024 * 1024,
            _ => value,
        };
    }

    private static MachineOperationException Unsupported(string message) => new(MachineErrorKind.Unsupported, message);
}
