using System.Globalization;
using System.Text.RegularExpressions;

namespace VMetal.Hypervisor;

/// <summary>How the login user can become root.</summary>
public enum SudoAccess
{
    /// <summary>The login is root already.</summary>
    Root,
    NoPassword,
    PasswordRequired,
    Missing,
}

/// <summary>One raw section of the fact script's output.</summary>
public sealed record FactSection(int ExitCode, string Text)
{
    public bool Succeeded => ExitCode == 0;

    public IEnumerable<string> Lines => Text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Splits <c>@@vmetal NAME RC</c> sections; text before the first marker is ignored.</summary>
    public static IReadOnlyDictionary<string, FactSection> ParseAll(string output)
    {
        var sections = new Dictionary<string, FactSection>(StringComparer.Ordinal);
        string? name = null;
        var exitCode = 0;
        var text = new List<string>();
        foreach (var line in output.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            if (line.StartsWith(FactScript.SectionMarker, StringComparison.Ordinal))
            {
                Flush();
                var parts = line[FactScript.SectionMarker.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                name = parts.Length > 0 ? parts[0] : null;
                exitCode = parts.Length > 1 && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var rc) ? rc : -1;
                continue;
            }
            if (name is not null)
                text.Add(line);
        }
        Flush();
        return sections;

        void Flush()
        {
            if (name is not null)
                sections[name] = new FactSection(exitCode, string.Join('\n', text).Trim('\n'));
            text.Clear();
        }
    }
}

/// <summary>A KVM vendor module as /sys/module shows it.</summary>
public sealed record KvmModule(string Name, bool? Nested, int? UseCount);

/// <summary><c>systemctl is-enabled</c> / <c>is-active</c> of one unit.</summary>
public sealed record SystemdUnitState(string Name, string Enabled, string Active)
{
    public bool Exists => Enabled != "not-found";

    public bool IsMasked => Enabled.StartsWith("masked", StringComparison.Ordinal);

    public bool IsEnabled => Enabled is "enabled" or "enabled-runtime" or "static" or "indirect" or "alias" or "generated";

    public bool IsActive => Active == "active";
}

/// <summary>Where libvirt's system daemon stands.</summary>
public sealed record LibvirtState(
    bool Reachable,
    string Detail,
    IReadOnlyList<string> DaemonProcesses,
    IReadOnlyList<SystemdUnitState> Units)
{
    /// <summary>Reads the libvirt, libvirt-processes and systemd-units sections.</summary>
    public static LibvirtState From(IReadOnlyDictionary<string, FactSection> sections)
    {
        var libvirt = sections.GetValueOrDefault("libvirt");
        var reachable = libvirt is { Succeeded: true };
        var detail = libvirt is null ? "not probed" : reachable ? DescribeVersion(libvirt) : MostSpecificError(libvirt);
        var processes = sections.GetValueOrDefault("libvirt-processes") is { Succeeded: true } running ? running.Lines.ToList() : [];
        var units = sections.GetValueOrDefault("systemd-units")?.Lines
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(parts => parts.Length == 3)
            .Select(parts => new SystemdUnitState(parts[0], parts[1], parts[2]))
            .ToList() ?? [];
        return new LibvirtState(reachable, detail, processes, units);
    }

    /// <summary>virsh prints its most specific error last ("failed to connect…", then why).</summary>
    internal static string MostSpecificError(FactSection section)
    {
        var lines = section.Lines.ToList();
        var chosen = lines.LastOrDefault(line => line.StartsWith("error:", StringComparison.Ordinal)) ?? lines.LastOrDefault();
        return chosen is null ? $"exit {section.ExitCode}" : chosen.Replace("error: ", "", StringComparison.Ordinal);
    }

    /// <summary>"libvirt 9.0.0, QEMU 7.2.22" from <c>virsh version --daemon</c>.</summary>
    private static string DescribeVersion(FactSection section)
    {
        var values = section.Lines.Select(line => line.Split(':', 2)).Where(parts => parts.Length == 2)
            .GroupBy(parts => parts[0].Trim(), StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.First()[1].Trim(), StringComparer.Ordinal);
        var daemon = values.GetValueOrDefault("Running against daemon") ?? values.GetValueOrDefault("Using library")?.Replace("libvirt ", "", StringComparison.Ordinal);
        var hypervisor = values.GetValueOrDefault("Running hypervisor");
        return $"libvirt {daemon ?? "(version unknown)"}" + (hypervisor is null ? "" : $", {hypervisor}");
    }
}

/// <summary>The account prepare creates, if it exists.</summary>
public sealed record UserAccount(string Name, int Uid, string Home);

/// <summary>Free space where the image pool lives (its nearest existing directory).</summary>
public sealed record DiskSpace(string Path, string MountPoint, long AvailableBytes, long TotalBytes);

/// <summary>Everything vmetal learned about a host from <see cref="FactScript"/>, parsed.</summary>
public sealed partial record HostFacts
{
    public required Distribution Os { get; init; }

    public string Kernel { get; init; } = "";

    /// <summary>systemd is PID 1 (services are managed with systemctl).</summary>
    public bool Systemd { get; init; }

    public string InitProcess { get; init; } = "";

    public int? CpuThreads { get; init; }

    public string? CpuModel { get; init; }

    public double? CpuMhz { get; init; }

    /// <summary><c>vmx</c> (Intel VT-x), <c>svm</c> (AMD-V), or null without hardware virtualisation.</summary>
    public string? CpuVirtualization { get; init; }

    public long? MemoryTotalKiB { get; init; }

    /// <summary>MemAvailable: free plus reclaimable cache, what new VMs can get without swapping.</summary>
    public long? MemoryAvailableKiB { get; init; }

    public DiskSpace? Disk { get; init; }

    /// <summary><c>ls -l</c> of /dev/kvm, or null when it does not exist.</summary>
    public string? KvmDevice { get; init; }

    public IReadOnlyList<KvmModule> KvmModules { get; init; } = [];

    /// <summary>modprobe.d lines that set <c>nested</c> for kvm_intel/kvm_amd (<c>file:line</c>).</summary>
    public IReadOnlyList<string> NestedConfig { get; init; } = [];

    /// <summary>Commands found on the host and their paths.</summary>
    public IReadOnlyDictionary<string, string> Tools { get; init; } = new Dictionary<string, string>();

    /// <summary>Enabled repositories (dnf/yum repolist) or apt sources; null when not known.</summary>
    public IReadOnlyList<string>? Repositories { get; init; }

    /// <summary>Queried packages: name → installed version, or null when not installed.</summary>
    public IReadOnlyDictionary<string, string?> Packages { get; init; } = new Dictionary<string, string?>();

    /// <summary>The iPXE ROM package version the repositories offer (when it is not installed).</summary>
    public string? IpxeCandidate { get; init; }

    /// <summary>apt has downloaded package lists (apt-get update has run at least once).</summary>
    public bool AptListsPresent { get; init; }

    public SudoAccess Sudo { get; init; }

    public string SudoDetail { get; init; } = "";

    public required LibvirtState Libvirt { get; init; }

    /// <summary>libvirt can run <c>type='kvm'</c> domains (null when libvirt was not reachable).</summary>
    public bool? LibvirtKvm { get; init; }

    public string? LibvirtKvmDetail { get; init; }

    public Version? PolkitVersion { get; init; }

    public UserAccount? User { get; init; }

    public IReadOnlyList<string> UefiFirmware { get; init; } = [];

    public PackageManager PackageManager =>
        Tools.ContainsKey("dnf") ? PackageManager.Dnf
        : Tools.ContainsKey("yum") ? PackageManager.Yum
        : Tools.ContainsKey("apt-get") ? PackageManager.Apt
        : PackageManager.None;

    public bool IsInstalled(string package) => Packages.GetValueOrDefault(package) is not null;

    public static HostFacts Parse(string output) => FromSections(FactSection.ParseAll(output));

    public static HostFacts FromSections(IReadOnlyDictionary<string, FactSection> sections)
    {
        string Text(string name) => sections.GetValueOrDefault(name)?.Text ?? "";
        IEnumerable<string> Lines(string name) => sections.GetValueOrDefault(name)?.Lines ?? [];

        var init = Lines("init").ToList();
        var cpu = Lines("cpu").Select(line => line.Split(':', 2)).Where(parts => parts.Length == 2)
            .GroupBy(parts => parts[0].Trim(), StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.First()[1].Trim(), StringComparer.Ordinal);
        var flags = cpu.GetValueOrDefault("flags", "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var memory = Lines("memory").Select(line => line.Split(':', 2)).Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0].Trim(), parts => ParseLong(parts[1].Replace("kB", "", StringComparison.Ordinal)), StringComparer.Ordinal);
        var tools = Lines("tools").Select(line => line.Split(' ', 2)).Where(parts => parts.Length == 2)
            .GroupBy(parts => parts[0], StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.First()[1], StringComparer.Ordinal);
        var sudo = Text("sudo");

        return new HostFacts
        {
            Os = sections.GetValueOrDefault("os-release") is { Succeeded: true } osRelease
                ? Distribution.ParseOsRelease(osRelease.Text) : Distribution.Unknown,
            Kernel = Text("uname"),
            InitProcess = init.FirstOrDefault() ?? "",
            Systemd = init.Contains("systemd-booted"),
            CpuThreads = Lines("threads").Select(line => (int?)ParseLong(line)).FirstOrDefault(),
            CpuModel = cpu.GetValueOrDefault("model name"),
            CpuMhz = double.TryParse(cpu.GetValueOrDefault("cpu MHz"), NumberStyles.Float, CultureInfo.InvariantCulture, out var mhz) ? mhz : null,
            CpuVirtualization = flags.Contains("vmx") ? "vmx" : flags.Contains("svm") ? "svm" : null,
            MemoryTotalKiB = memory.GetValueOrDefault("MemTotal"),
            MemoryAvailableKiB = memory.TryGetValue("MemAvailable", out var available) ? available
                : memory.GetValueOrDefault("MemFree") + memory.GetValueOrDefault("Buffers") + memory.GetValueOrDefault("Cached"),
            Disk = ParseDisk(sections.GetValueOrDefault("disk")),
            KvmDevice = sections.GetValueOrDefault("dev-kvm") is { Succeeded: true } kvm ? kvm.Text : null,
            KvmModules = Lines("kvm-modules").Select(ParseKvmModule).OfType<KvmModule>().ToList(),
            NestedConfig = Lines("nested-config").ToList(),
            Tools = tools,
            Repositories = ParseRepositories(sections.GetValueOrDefault("repos"), tools),
            Packages = ParsePackages(Lines("packages")),
            IpxeCandidate = ParseCandidate(Text("ipxe-candidate")),
            AptListsPresent = Lines("apt-lists").Any(line => ParseLong(line) > 0),
            Sudo = sudo.StartsWith("root", StringComparison.Ordinal) ? SudoAccess.Root
                : sudo.StartsWith("nopasswd", StringComparison.Ordinal) ? SudoAccess.NoPassword
                : sudo.StartsWith("password", StringComparison.Ordinal) ? SudoAccess.PasswordRequired
                : SudoAccess.Missing,
            SudoDetail = sudo.StartsWith("password", StringComparison.Ordinal) ? sudo["password".Length..].Trim() : sudo,
            Libvirt = LibvirtState.From(sections),
            LibvirtKvm = sections.GetValueOrDefault("libvirt-kvm") is { } libvirtKvm ? libvirtKvm.Succeeded : null,
            LibvirtKvmDetail = sections.GetValueOrDefault("libvirt-kvm") is { Succeeded: false } refused ? LibvirtState.MostSpecificError(refused) : null,
            PolkitVersion = ParsePolkitVersion(Text("polkit")),
            User = ParseUser(sections.GetValueOrDefault("user")),
            UefiFirmware = Lines("firmware").ToList(),
        };
    }

    /// <summary>The version from <c>pkaction --version</c> ("pkaction version 0.112" or "… 122").</summary>
    public static Version? ParsePolkitVersion(string text)
    {
        var match = PolkitVersionPattern().Match(text);
        if (!match.Success)
            return null;
        var value = match.Groups[1].Value;
        return Version.TryParse(value.Contains('.', StringComparison.Ordinal) ? value : value + ".0", out var version) ? version : null;
    }

    /// <summary>
    /// Parses the packages section, <c>NAME\tKIND\tANSWER</c>: for deb the answer is dpkg-query's
    /// status abbreviation and version ("ii  1.21.3-1"; installed when the second letter is i), for
    /// rpm it is <c>rpm -q --whatprovides</c>'s "RPMNAME VERSION-RELEASE" or "no package provides NAME".
    /// </summary>
    internal static Dictionary<string, string?> ParsePackages(IEnumerable<string> lines)
    {
        var packages = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var fields = line.Split('\t', 3);
            if (fields.Length < 3)
                continue;
            var (name, kind, answer) = (fields[0], fields[1], fields[2].Trim());
            string? version = null;
            if (kind == "deb" && answer.Length >= 3 && answer[1] == 'i' && answer[2] == ' ')
                version = answer[3..].Trim();
            else if (kind == "rpm" && answer.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var rpmVersion]
                     && !answer.StartsWith("no package", StringComparison.Ordinal) && !answer.StartsWith("error", StringComparison.Ordinal))
                version = rpmVersion;
            packages[name] = string.IsNullOrEmpty(version) ? null : version;
        }
        return packages;
    }

    private static List<string>? ParseRepositories(FactSection? section, IReadOnlyDictionary<string, string> tools)
    {
        if (section is null)
            return null;
        if (tools.ContainsKey("dnf") || tools.ContainsKey("yum"))
        {
            // A failed or timed-out repolist says nothing about the repositories.
            if (!section.Succeeded)
                return null;
            return section.Lines
                .Where(line => !line.StartsWith("repo id", StringComparison.OrdinalIgnoreCase) && !line.StartsWith("repolist:", StringComparison.Ordinal))
                .Select(line => line.Split(' ', 2)[0].TrimStart('!', '*').Split('/')[0])
                .ToList();
        }
        return ParseAptSources(section.Text);
    }

    /// <summary>One entry per enabled <c>deb</c> line or deb822 stanza: "URI SUITE" as far as it can be read.</summary>
    internal static List<string> ParseAptSources(string text)
    {
        var sources = new List<string>();
        var isDeb822 = false;
        var stanza = new List<string>();
        foreach (var rawLine in text.Split('\n').Append("# file end"))
        {
            var line = rawLine.Trim();
            if (line.StartsWith("# file ", StringComparison.Ordinal) || line.Length == 0)
            {
                FlushStanza();
                if (line.Length > 0)
                    isDeb822 = line.EndsWith(".sources", StringComparison.Ordinal);
                continue;
            }
            if (isDeb822)
                stanza.Add(line);
            else if (line.StartsWith("deb ", StringComparison.Ordinal))
                sources.Add(string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).SkipWhile(part => part.StartsWith('[') || part.EndsWith(']')).Take(2)));
        }
        return sources;

        void FlushStanza()
        {
            var fields = stanza.Select(line => line.Split(':', 2)).Where(parts => parts.Length == 2)
                .GroupBy(parts => parts[0].Trim(), StringComparer.OrdinalIgnoreCase)
                .ToDictionary(group => group.Key, group => group.First()[1].Trim(), StringComparer.OrdinalIgnoreCase);
            stanza.Clear();
            if (!fields.TryGetValue("Types", out var types) || !types.Split(' ').Contains("deb")
                || string.Equals(fields.GetValueOrDefault("Enabled"), "no", StringComparison.OrdinalIgnoreCase))
                return;
            sources.Add($"{fields.GetValueOrDefault("URIs")} {fields.GetValueOrDefault("Suites")}".Trim());
        }
    }

    /// <summary><c>apt-cache policy</c>'s "Candidate:" or the version column of <c>dnf/yum list available</c>.</summary>
    internal static string? ParseCandidate(string text)
    {
        foreach (var line in text.Split('\n').Select(line => line.Trim()))
        {
            if (line.StartsWith("Candidate:", StringComparison.Ordinal))
                return line["Candidate:".Length..].Trim() is { Length: > 0 } candidate && candidate != "(none)" ? candidate : null;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 3 && parts[0].Contains('.', StringComparison.Ordinal) && char.IsAsciiDigit(parts[1][0]))
                return parts[1];
        }
        return null;
    }

    private static DiskSpace? ParseDisk(FactSection? section)
    {
        if (section is not { Succeeded: true })
            return null;
        var lines = section.Lines.ToList();
        // path, df header, df row: filesystem 1024-blocks used available capacity mounted-on
        if (lines.Count < 3)
            return null;
        var row = lines[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (row.Length < 6)
            return null;
        return new DiskSpace(lines[0], row[5], ParseLong(row[3]) * 1024, ParseLong(row[1]) * 1024);
    }

    private static KvmModule? ParseKvmModule(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
            return null;
        var values = parts.Skip(1).Select(part => part.Split('=', 2)).Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
        bool? nested = values.GetValueOrDefault("nested") switch
        {
            "Y" or "1" => true,
            "N" or "0" => false,
            _ => null,
        };
        int? useCount = int.TryParse(values.GetValueOrDefault("refcnt"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) ? count : null;
        return new KvmModule(parts[0], nested, useCount);
    }

    private static UserAccount? ParseUser(FactSection? section)
    {
        if (section is not { Succeeded: true })
            return null;
        var fields = section.Text.Trim().Split(':');
        return fields.Length >= 7 ? new UserAccount(fields[0], (int)ParseLong(fields[2]), fields[5]) : null;
    }

    private static long ParseLong(string text) =>
        long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;

    [GeneratedRegex(@"version\s+([0-9][0-9.]*)")]
    private static partial Regex PolkitVersionPattern();
}
