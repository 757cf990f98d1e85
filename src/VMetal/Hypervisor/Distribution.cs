using System.Globalization;

namespace VMetal.Hypervisor;

/// <summary>The distribution families vmetal knows package names and tools for.</summary>
public enum DistroFamily
{
    Unknown,

    /// <summary>RHEL/CentOS 7 and rebuilds: yum, polkit 0.112.</summary>
    El7,

    /// <summary>RHEL/CentOS Stream/Rocky/Alma 8: dnf, libguestfs-tools-c.</summary>
    El8,

    /// <summary>RHEL 9 and later and its rebuilds: dnf, guestfs-tools, modular libvirt daemons.</summary>
    El9,

    Fedora,

    /// <summary>Debian, Ubuntu and their derivatives: apt.</summary>
    Debian,
}

/// <summary>How far vmetal stands behind a distribution (the support matrix in docs/hypervisor.md).</summary>
public enum SupportLevel
{
    Supported,
    BestEffort,
    Unsupported,
}

public enum PackageManager
{
    None,
    Apt,
    Dnf,
    Yum,
}

/// <summary>The host's operating system as /etc/os-release describes it.</summary>
public sealed record Distribution(string Id, string VersionId, string PrettyName, IReadOnlyList<string> IdLike)
{
    public static Distribution Unknown { get; } = new("unknown", "", "unknown (no /etc/os-release)", []);

    private static readonly string[] ElIds = ["rhel", "centos", "rocky", "almalinux", "ol", "scientific"];

    public int? Major => VersionPart(0);

    public int? Minor => VersionPart(1);

    public DistroFamily Family => Id switch
    {
        "fedora" => DistroFamily.Fedora,
        "debian" or "ubuntu" => DistroFamily.Debian,
        _ when IsEl => Major switch
        {
            7 => DistroFamily.El7,
            8 => DistroFamily.El8,
            >= 9 => DistroFamily.El9,
            _ => DistroFamily.Unknown,
        },
        _ when IdLike.Contains("debian") || IdLike.Contains("ubuntu") => DistroFamily.Debian,
        _ => DistroFamily.Unknown,
    };

    /// <summary>The package manager the family uses (what prepare installs with).</summary>
    public PackageManager ExpectedPackageManager => Family switch
    {
        DistroFamily.El7 => PackageManager.Yum,
        DistroFamily.El8 or DistroFamily.El9 or DistroFamily.Fedora => PackageManager.Dnf,
        DistroFamily.Debian => PackageManager.Apt,
        _ => PackageManager.None,
    };

    /// <summary>
    /// RHEL/CentOS 7.3+, 8, 9, Rocky, Alma and Fedora are supported (what infrared was tested on,
    /// and their successors); Debian 11/12 and Ubuntu 22.04/24.04 are best effort; anything else
    /// (including an EL-like or Debian-like distribution vmetal has not named) is unsupported.
    /// </summary>
    public SupportLevel Support => Id switch
    {
        "rhel" or "centos" => Major switch
        {
            // CentOS 7 says only "7"; RHEL says "7.9".
            7 => Minor is null or >= 3 ? SupportLevel.Supported : SupportLevel.Unsupported,
            8 or 9 => SupportLevel.Supported,
            _ => SupportLevel.Unsupported,
        },
        "rocky" or "almalinux" => Major is 8 or 9 ? SupportLevel.Supported : SupportLevel.Unsupported,
        "fedora" => SupportLevel.Supported,
        "debian" => Major is 11 or 12 ? SupportLevel.BestEffort : SupportLevel.Unsupported,
        "ubuntu" => VersionId is "22.04" or "24.04" ? SupportLevel.BestEffort : SupportLevel.Unsupported,
        _ => SupportLevel.Unsupported,
    };

    private bool IsEl => ElIds.Contains(Id) || IdLike.Contains("rhel");

    /// <summary>Parses the KEY=value lines of os-release(5), with or without quotes.</summary>
    public static Distribution ParseOsRelease(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.Trim();
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (line.StartsWith('#') || equals <= 0)
                continue;
            values[line[..equals]] = Unquote(line[(equals + 1)..]);
        }
        if (!values.TryGetValue("ID", out var id))
            return Unknown;
        var versionId = values.GetValueOrDefault("VERSION_ID", "");
        var pretty = values.GetValueOrDefault("PRETTY_NAME", $"{id} {versionId}".Trim());
        var idLike = values.GetValueOrDefault("ID_LIKE", "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new Distribution(id.ToLowerInvariant(), versionId, pretty, idLike);
    }

    private static string Unquote(string value)
    {
        if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
            value = value[1..^1];
        return value.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\$", "$", StringComparison.Ordinal);
    }

    private int? VersionPart(int index)
    {
        var parts = VersionId.Split('.');
        return parts.Length > index && int.TryParse(parts[index], NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
    }
}
