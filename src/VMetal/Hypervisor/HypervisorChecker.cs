using System.Globalization;
using System.Text.RegularExpressions;
using VMetal.Hosting;

namespace VMetal.Hypervisor;

/// <summary>
/// <c>vmetal check</c>: gathers the host's facts in one command and judges them. Changes nothing.
/// </summary>
public static partial class HypervisorChecker
{
    /// <summary>The oldest iPXE ROM build TripleO/Ironic's PXE flow is known to work with (infrared's rule).</summary>
    public const int MinimumIpxeDate = 2016_00_00;

    public const int RecommendedThreads = 4;

    /// <summary>infrared's tolerance: a topology may need up to 20 % more RAM than is free.</summary>
    public const double MemoryTolerance = 1.2;

    public static async Task<CheckReport> CheckAsync(IHostConnection host, CheckRequirements requirements, CancellationToken cancellationToken = default)
    {
        var result = await host.RunAsync(FactScript.Command(new FactRequest
        {
            PoolPath = requirements.PoolPath,
            UserName = requirements.UserName,
            ExtraPackages = requirements.ExtraPackages,
        }), cancellationToken);
        if (!result.Stdout.Contains(FactScript.SectionMarker, StringComparison.Ordinal))
            throw new HostCommandException(host.Target, HostCommand.Of("vmetal fact script"), result);
        var facts = HostFacts.Parse(result.Stdout);
        return Evaluate(host.Target.ToString(), host.Target.User, facts, requirements);
    }

    /// <summary>Judges gathered facts (pure: unit and transcript tests call it directly).</summary>
    public static CheckReport Evaluate(string hostName, string loginUser, HostFacts facts, CheckRequirements requirements)
    {
        var packages = PackageSet.For(facts.Os.Family);
        var missing = packages is null ? [] : packages.Names.Concat(requirements.ExtraPackages).Distinct(StringComparer.Ordinal)
            .Where(name => !facts.IsInstalled(name)).ToList();
        HostCheck[] checks =
        [
            Sudo(facts, loginUser),
            OperatingSystem(facts),
            PackageManagerCheck(facts),
            Repositories(facts, missing),
            Packages(facts, packages, missing),
            Ipxe(facts, packages),
            Cpu(facts, requirements),
            Memory(facts, requirements),
            Disk(facts, requirements),
            HardwareVirtualization(facts, requirements),
            Kvm(facts, requirements),
            NestedKvm(facts),
            Libvirt(facts, packages),
            UefiFirmware(facts, requirements, packages),
        ];
        return new CheckReport(hostName, checks) { Facts = facts };
    }

    private static HostCheck Sudo(HostFacts facts, string user)
    {
        const string Required = "root, or sudo without a password";
        var fix = $"allow it: '{user} ALL=(ALL) NOPASSWD: ALL' in /etc/sudoers.d/{user} (visudo -f), or connect as root";
        return facts.Sudo switch
        {
            SudoAccess.Root => new("sudo", "root access", CheckStatus.Pass, "logged in as root", Required),
            SudoAccess.NoPassword => new("sudo", "root access", CheckStatus.Pass, $"{user} runs sudo without a password", Required),
            SudoAccess.PasswordRequired => new("sudo", "root access", CheckStatus.Fail,
                $"sudo asks {user} for a password ({facts.SudoDetail.Trim()})", Required, fix, BlocksPrepare: true),
            _ => new("sudo", "root access", CheckStatus.Fail, "sudo is not installed", Required,
                $"install sudo and {fix}", BlocksPrepare: true),
        };
    }

    private static HostCheck OperatingSystem(HostFacts facts)
    {
        const string Required = "supported: RHEL/CentOS 7.3+, 8, 9, Rocky, Alma, Fedora; best effort: Debian 11/12, Ubuntu 22.04/24.04";
        var os = facts.Os;
        var found = $"{os.PrettyName} ({os.Id} {os.VersionId}, kernel {facts.Kernel})";
        return os.Support switch
        {
            SupportLevel.Supported => new("os", "operating system", CheckStatus.Pass, found, Required),
            SupportLevel.BestEffort => new("os", "operating system", CheckStatus.Pass, found + ": best effort", Required),
            _ => new("os", "operating system", CheckStatus.Warn, found + ": not in the support matrix", Required,
                os.Family == DistroFamily.Unknown
                    ? "vmetal knows no package names for it: install libvirt, QEMU and the rest by hand, or use a supported distribution"
                    : $"vmetal treats it as {os.Family}; use a supported release if something fails"),
        };
    }

    private static HostCheck PackageManagerCheck(HostFacts facts)
    {
        var expected = facts.Os.ExpectedPackageManager;
        var found = facts.PackageManager == PackageManager.None ? "none (no dnf, yum or apt-get)"
            : $"{ToolName(facts.PackageManager)} ({facts.Tools[ToolName(facts.PackageManager)]})";
        if (expected == PackageManager.None)
            return new("package-manager", "package manager", CheckStatus.Warn, found, "dnf, yum or apt-get for a known distribution",
                "prepare cannot install packages on this distribution: install them by hand");
        var present = facts.Tools.ContainsKey(ToolName(expected));
        return present
            ? new("package-manager", "package manager", CheckStatus.Pass, found, ToolName(expected))
            : new("package-manager", "package manager", CheckStatus.Fail, found, ToolName(expected),
                $"{facts.Os.PrettyName} should have {ToolName(expected)}: repair the installation", BlocksPrepare: true);
    }

    private static HostCheck Repositories(HostFacts facts, IReadOnlyList<string> missing)
    {
        var required = facts.PackageManager == PackageManager.Apt ? "at least one apt source" : "at least one enabled repository";
        if (facts.Repositories is not { } repositories)
            return new("repositories", "package repositories", CheckStatus.Warn, "could not be listed (the repository query failed or timed out)", required,
                $"run '{RepositoryCommand(facts)}' on the host to see why");
        if (repositories.Count > 0)
        {
            var shown = string.Join(", ", repositories.Take(4)) + (repositories.Count > 4 ? ", …" : "");
            return new("repositories", "package repositories", CheckStatus.Pass, $"{repositories.Count} enabled: {shown}", required);
        }
        var fix = facts.PackageManager == PackageManager.Apt
            ? "add the distribution's sources to /etc/apt/sources.list(.d), then apt-get update"
            : "RHEL: subscription-manager register and enable the BaseOS/AppStream (RHEL 7: rhel-7-server-rpms) repositories; " +
              "CentOS/Rocky/Alma/Fedora: restore the stock files in /etc/yum.repos.d";
        return missing.Count > 0
            ? new("repositories", "package repositories", CheckStatus.Fail, $"none configured, and {missing.Count} packages are missing", required, fix)
            : new("repositories", "package repositories", CheckStatus.Warn, "none configured (every package is installed, so nothing needs them now)", required, fix);
    }

    private static HostCheck Packages(HostFacts facts, PackageSet? packages, IReadOnlyList<string> missing)
    {
        if (packages is null)
            return new("packages", "hypervisor packages", CheckStatus.Warn, $"unknown for {facts.Os.Id}", "libvirt, QEMU/KVM, libguestfs, virt-install, wget, iPXE ROMs, OVMF",
                "install them with the distribution's names");
        var required = string.Join(' ', packages.Names);
        return missing.Count == 0
            ? new("packages", "hypervisor packages", CheckStatus.Pass, $"all {packages.Names.Count} installed", required)
            : new("packages", "hypervisor packages", CheckStatus.Warn, "missing: " + string.Join(' ', missing), required,
                "vmetal prepare installs them (one " + ToolName(facts.Os.ExpectedPackageManager) + " call)");
    }

    private static HostCheck Ipxe(HostFacts facts, PackageSet? packages)
    {
        const string Title = "iPXE ROMs for QEMU NICs";
        if (packages is null)
            return new("ipxe", Title, CheckStatus.Warn, "unknown package name on this distribution", "an iPXE build from 2016 or later");
        var name = packages.IpxePackage;
        var required = $"{name} built 2016 or later";
        var installed = facts.Packages.GetValueOrDefault(name);
        var version = installed ?? facts.IpxeCandidate;
        if (version is null)
            return new("ipxe", Title, CheckStatus.Fail, $"{name} is not installed and no repository provides it", required,
                facts.Os.Family == DistroFamily.El7
                    ? "enable the repository that has it (RHEL 7: rhel-7-server-rpms; CentOS 7: base)"
                    : "enable the distribution's main repositories");
        var date = IpxeBuildDate(version);
        var state = installed is null ? $"not installed; the repositories offer {name} {version}" : $"{name} {version}";
        if (date is null)
            return new("ipxe", Title, CheckStatus.Warn, state + " (build date unreadable)", required);
        if (date < MinimumIpxeDate)
            return new("ipxe", Title, CheckStatus.Fail, state + $" (built {FormatDate(date.Value)})", required,
                $"update {name} from a newer repository");
        return installed is null
            ? new("ipxe", Title, CheckStatus.Warn, state + $" (built {FormatDate(date.Value)})", required, "vmetal prepare installs it")
            : new("ipxe", Title, CheckStatus.Pass, state + $" (built {FormatDate(date.Value)})", required);
    }

    /// <summary>The yyyymmdd build date in an iPXE package version: "20200823-9.git4bd064de.el9", "1.0.0+git-20190125.36a4c85-5.1".</summary>
    public static int? IpxeBuildDate(string version)
    {
        var match = IpxeDatePattern().Match(version);
        return match.Success ? int.Parse(match.Value, CultureInfo.InvariantCulture) : null;
    }

    private static HostCheck Cpu(HostFacts facts, CheckRequirements requirements)
    {
        var required = $"{RecommendedThreads}+ threads";
        var model = facts.CpuModel ?? "unknown model";
        var clock = facts.CpuMhz is { } mhz ? $" @ {mhz.ToString("0", CultureInfo.InvariantCulture)} MHz" : "";
        var vms = requirements.VCpus is { } vcpus ? $"; the topology's VMs have {vcpus} vCPUs" : "";
        if (facts.CpuThreads is not { } threads)
            return new("cpu", "CPU", CheckStatus.Warn, $"thread count unreadable ({model}{clock})", required);
        var found = $"{threads} threads, {model}{clock}{vms}";
        return threads < RecommendedThreads
            ? new("cpu", "CPU", CheckStatus.Warn, found, required,
                "fewer than 4 threads: the VMs and the services in them (TripleO, Ironic) run slowly and hit timeouts; use a bigger host if you can")
            : new("cpu", "CPU", CheckStatus.Pass, found, required);
    }

    private static HostCheck Memory(HostFacts facts, CheckRequirements requirements)
    {
        if (facts.MemoryTotalKiB is not { } totalKiB || facts.MemoryAvailableKiB is not { } availableKiB)
            return new("memory", "memory", CheckStatus.Warn, "unreadable /proc/meminfo", "enough for the topology");
        var found = $"{Gib(totalKiB * 1024)} total, {Gib(availableKiB * 1024)} available";
        if (requirements.MemoryMiB is not { } neededMiB)
            return new("memory", "memory", CheckStatus.Pass, found, "no topology given (--topology-nodes compares it)");
        var neededKiB = neededMiB * 1024;
        var required = $"the topology's {Gib(neededKiB * 1024)}; more than available × {MemoryTolerance} fails" +
                       (requirements.MemoryOvercommit ? " (--host-memory-overcommit: warns)" : "");
        if (neededKiB <= availableKiB)
            return new("memory", "memory", CheckStatus.Pass, found, required);
        if (neededKiB <= availableKiB * MemoryTolerance)
            return new("memory", "memory", CheckStatus.Warn, found, required, "within 20 % of what is available: VMs may swap under load");
        return requirements.MemoryOvercommit
            ? new("memory", "memory", CheckStatus.Warn, found, required, "overcommitted on purpose (--host-memory-overcommit): VMs will swap if they use their RAM")
            : new("memory", "memory", CheckStatus.Fail, found, required,
                "free memory, shrink the topology (fewer nodes, -e override.<node>.memory=…), or pass --host-memory-overcommit", BlocksPrepare: true);
    }

    private static HostCheck Disk(HostFacts facts, CheckRequirements requirements)
    {
        if (facts.Disk is not { } disk)
            return new("disk", "image pool space", CheckStatus.Warn, $"free space of {requirements.PoolPath} unreadable", "room for the topology's disks");
        var where = disk.Path == requirements.PoolPath ? disk.Path : $"{requirements.PoolPath} (not created yet; {disk.Path})";
        var found = $"{Gib(disk.AvailableBytes)} free of {Gib(disk.TotalBytes)} in {where}, filesystem on {disk.MountPoint}";
        if (requirements.DiskBytes is not { } virtualBytes)
            return new("disk", "image pool space", CheckStatus.Pass, found, "no topology given (--topology-nodes compares it)");
        var required = $"room for the topology's {Gib(virtualBytes)} of virtual (thin) disk";
        return virtualBytes <= disk.AvailableBytes
            ? new("disk", "image pool space", CheckStatus.Pass, found, required)
            : new("disk", "image pool space", CheckStatus.Warn, found, required,
                $"thin-provisioned: disks take only what the guests write (actual 0 now vs {Gib(virtualBytes)} virtual); " +
                "free space or use a bigger --disk-pool if the guests will fill them");
    }

    private static HostCheck HardwareVirtualization(HostFacts facts, CheckRequirements requirements)
    {
        const string Title = "hardware virtualisation";
        var required = requirements.RequireKvm ? "vmx or svm (--require-kvm)" : "vmx or svm (without: software emulation)";
        if (facts.CpuVirtualization is { } flag)
            return new("hardware-virtualization", Title, CheckStatus.Pass, flag == "vmx" ? "Intel VT-x (vmx)" : "AMD-V (svm)", required);
        const string Found = "no vmx/svm CPU flag: VMs will run under software emulation (QEMU TCG), much slower";
        const string Fix = "enable VT-x/AMD-V in the firmware, or nested virtualisation on whatever runs this host";
        return requirements.RequireKvm
            ? new("hardware-virtualization", Title, CheckStatus.Fail, Found, required, Fix, BlocksPrepare: true)
            : new("hardware-virtualization", Title, CheckStatus.Warn, Found, required, Fix + " (--require-kvm makes this a failure)");
    }

    private static HostCheck Kvm(HostFacts facts, CheckRequirements requirements)
    {
        const string Title = "KVM usable";
        var status = requirements.RequireKvm ? CheckStatus.Fail : CheckStatus.Warn;
        const string Required = "/dev/kvm, and libvirt able to run type='kvm' domains";
        if (facts.KvmDevice is not { } device)
            return new("kvm", Title, status, "no /dev/kvm (no KVM module loaded)", Required,
                facts.CpuVirtualization is null ? "needs hardware virtualisation first" : $"load kvm_{(facts.CpuVirtualization == "vmx" ? "intel" : "amd")}",
                BlocksPrepare: requirements.RequireKvm);
        var deviceText = string.Join(' ', device.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where((_, index) => index is 0 or 2 or 3));
        const string ValidateFix = "check the kvm module and /dev/kvm permissions (virt-host-validate qemu)";
        return facts.LibvirtKvm switch
        {
            true => new("kvm", Title, CheckStatus.Pass, $"/dev/kvm ({deviceText}); libvirt offers type='kvm'", Required),
            false => new("kvm", Title, status, $"/dev/kvm ({deviceText}) exists, but libvirt cannot use it: {facts.LibvirtKvmDetail}; domains will be type='qemu'",
                Required, ValidateFix, BlocksPrepare: requirements.RequireKvm),
            null when facts.CpuVirtualization is null => new("kvm", Title, status,
                $"/dev/kvm ({deviceText}) exists, but without vmx/svm KVM cannot accelerate VMs", Required, ValidateFix, BlocksPrepare: requirements.RequireKvm),
            null => new("kvm", Title, CheckStatus.Pass, $"/dev/kvm ({deviceText}); libvirt not reachable to confirm", Required),
        };
    }

    private static HostCheck NestedKvm(HostFacts facts)
    {
        const string Title = "nested KVM";
        const string Required = "nested=1 where the CPU has vmx/svm (VMs can run KVM themselves)";
        if (facts.CpuVirtualization is not { } flag)
            return new("nested-kvm", Title, CheckStatus.Pass, "not applicable: no vmx/svm", Required);
        var moduleName = flag == "vmx" ? "kvm_intel" : "kvm_amd";
        var module = facts.KvmModules.FirstOrDefault(m => m.Name == moduleName);
        var persistent = Steps.NestedKvmStep.IsPersistent(facts.NestedConfig, moduleName);
        if (module is null)
            return new("nested-kvm", Title, CheckStatus.Warn, $"{moduleName} is not loaded", Required, "vmetal prepare configures and loads it");
        return (module.Nested, persistent) switch
        {
            (true, true) => new("nested-kvm", Title, CheckStatus.Pass, $"{moduleName} nested=Y, set in modprobe.d", Required),
            (true, false) => new("nested-kvm", Title, CheckStatus.Warn, $"{moduleName} nested=Y now, but no modprobe.d option keeps it after a reboot",
                Required, "vmetal prepare writes the option"),
            _ => new("nested-kvm", Title, CheckStatus.Warn, $"{moduleName} nested=N: VMs cannot use KVM inside (e.g. an overcloud compute)",
                Required, "vmetal prepare writes 'options " + moduleName + " nested=1' and reloads the module when no VM runs"),
        };
    }

    private static HostCheck Libvirt(HostFacts facts, PackageSet? packages)
    {
        const string Title = "libvirt daemon";
        const string Required = "libvirtd or virtqemud running, qemu:///system reachable";
        if (facts.Libvirt.Reachable)
        {
            var daemon = facts.Libvirt.Units.FirstOrDefault(unit => unit.IsActive)?.Name
                         ?? (facts.Tools.ContainsKey("virtqemud") && !facts.Tools.ContainsKey("libvirtd") ? "virtqemud" : "libvirtd");
            return new("libvirt", Title, CheckStatus.Pass, $"{facts.Libvirt.Detail} ({daemon})", Required);
        }
        var installed = facts.Tools.ContainsKey("libvirtd") || facts.Tools.ContainsKey("virtqemud");
        var found = installed ? $"not reachable: {facts.Libvirt.Detail}" : "not installed";
        var fix = facts.Sudo is SudoAccess.PasswordRequired or SudoAccess.Missing ? "needs root to probe (see sudo)"
            : installed ? "vmetal prepare starts it" : packages is null ? "install libvirt" : "vmetal prepare installs and starts it";
        return new("libvirt", Title, CheckStatus.Fail, found, Required, fix);
    }

    private static HostCheck UefiFirmware(HostFacts facts, CheckRequirements requirements, PackageSet? packages)
    {
        const string Title = "UEFI firmware (OVMF)";
        var found = facts.UefiFirmware.Count > 0 ? string.Join(", ", facts.UefiFirmware.Take(3)) : "none";
        if (!requirements.Uefi)
            return new("uefi-firmware", Title, CheckStatus.Pass, found, "only for UEFI nodes (--bootmode uefi)");
        const string Required = "OVMF_CODE firmware (--bootmode uefi)";
        return facts.UefiFirmware.Count > 0
            ? new("uefi-firmware", Title, CheckStatus.Pass, found, Required)
            : new("uefi-firmware", Title, CheckStatus.Fail, found, Required,
                packages is null ? "install OVMF" : $"vmetal prepare installs {packages.FirmwarePackage}");
    }

    internal static string ToolName(PackageManager manager) => manager switch
    {
        PackageManager.Apt => "apt-get",
        PackageManager.Dnf => "dnf",
        PackageManager.Yum => "yum",
        _ => "none",
    };

    private static string RepositoryCommand(HostFacts facts) => facts.PackageManager switch
    {
        PackageManager.Dnf => "dnf repolist --enabled",
        PackageManager.Yum => "yum repolist enabled",
        _ => "apt-cache policy",
    };

    private static string Gib(long bytes) => (bytes / (1024.0 * 1024 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB";

    private static string FormatDate(int yyyymmdd) =>
        $"{yyyymmdd / 10000:0000}-{yyyymmdd / 100 % 100:00}-{yyyymmdd % 100:00}";

    [GeneratedRegex(@"(?<![0-9])20[0-9]{6}(?![0-9])")]
    private static partial Regex IpxeDatePattern();
}
