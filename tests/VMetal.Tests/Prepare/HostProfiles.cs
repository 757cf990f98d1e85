namespace VMetal.Tests.Prepare;

/// <summary>
/// What EL-family (and one older Ubuntu) hosts answer to the commands check and prepare send.
/// No such machine runs here: the answers are transcribed from those systems' real outputs
/// (/etc/os-release, rpm -q --whatprovides, yum/dnf repolist and list, pkaction --version,
/// systemctl, virsh version) with the package versions their repositories carried.
/// </summary>
internal sealed record HostProfile
{
    public required string Name { get; init; }

    public required string OsRelease { get; init; }

    public required string Uname { get; init; }

    public required string Cpu { get; init; }

    public string Threads { get; init; } = "16";

    public string Memory { get; init; } = """
        MemTotal:       65689100 kB
        MemFree:        60123456 kB
        MemAvailable:   62567890 kB
        Buffers:            2076 kB
        Cached:          1833720 kB
        """;

    public required string Disk { get; init; }

    /// <summary>kvm_intel or kvm_amd, and how its nested parameter prints (Y/N on Intel, 1/0 on AMD).</summary>
    public required string KvmModule { get; init; }

    public required (string On, string Off) NestedValues { get; init; }

    /// <summary>"deb" or "rpm".</summary>
    public required string PackageKind { get; init; }

    /// <summary>yum, dnf or apt-get.</summary>
    public required string Installer { get; init; }

    public required string BaseTools { get; init; }

    public required string Repolist { get; init; }

    public required string IpxeCandidate { get; init; }

    public required string PolkitVersion { get; init; }

    /// <summary>Package name → the version the repositories offer.</summary>
    public required IReadOnlyDictionary<string, string> Repository { get; init; }

    /// <summary>Names provided by a differently named package (rpm --whatprovides).</summary>
    public IReadOnlyDictionary<string, string> ProvidedBy { get; init; } = new Dictionary<string, string>();

    /// <summary>The libvirt units the libvirt packages bring, with their state right after installation (presets).</summary>
    public required IReadOnlyDictionary<string, string> UnitsAfterInstall { get; init; }

    public required string LibvirtVersion { get; init; }

    public required string Firmware { get; init; }

    public required string FirmwarePackage { get; init; }

    public static HostProfile CentOs7 { get; } = new()
    {
        Name = "CentOS 7.9",
        OsRelease = """
            NAME="CentOS Linux"
            VERSION="7 (Core)"
            ID="centos"
            ID_LIKE="rhel fedora"
            VERSION_ID="7"
            PRETTY_NAME="CentOS Linux 7 (Core)"
            ANSI_COLOR="0;31"
            CPE_NAME="cpe:/o:centos:centos:7"
            HOME_URL="https://www.centos.org/"
            BUG_REPORT_URL="https://bugs.centos.org/"

            CENTOS_MANTISBT_PROJECT="CentOS-7"
            CENTOS_MANTISBT_PROJECT_VERSION="7"
            REDHAT_SUPPORT_PRODUCT="centos"
            REDHAT_SUPPORT_PRODUCT_VERSION="7"
            """,
        Uname = "Linux 3.10.0-1160.119.1.el7.x86_64 x86_64",
        Cpu = """
            vendor_id	: GenuineIntel
            model name	: Intel(R) Xeon(R) Silver 4110 CPU @ 2.10GHz
            cpu MHz		: 2100.000
            flags		: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc aperfmperf eagerfpu pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid dca sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch
            """,
        Disk = """
            /var/lib
            Filesystem              1024-blocks    Used Available Capacity Mounted on
            /dev/mapper/centos-root   52403200 2142380  50260820       5% /
            """,
        KvmModule = "kvm_intel",
        NestedValues = ("Y", "N"),
        PackageKind = "rpm",
        Installer = "yum",
        BaseTools = """
            yum /usr/bin/yum
            rpm /usr/bin/rpm
            systemctl /usr/bin/systemctl
            modprobe /usr/sbin/modprobe
            flock /usr/bin/flock
            useradd /usr/sbin/useradd
            pkaction /usr/bin/pkaction
            restorecon /usr/sbin/restorecon
            """,
        Repolist = """
            repo id                     repo name                                   status
            base/7/x86_64               CentOS-7 - Base                             10,072
            extras/7/x86_64             CentOS-7 - Extras                              526
            updates/7/x86_64            CentOS-7 - Updates                           6,173
            """,
        IpxeCandidate = """
            Available Packages
            ipxe-roms-qemu.noarch         20180825-3.git133f4c47.el7           base
            """,
        PolkitVersion = "pkaction version 0.112",
        Repository = new Dictionary<string, string>
        {
            ["libvirt"] = "4.5.0-36.el7_9.5",
            ["qemu-kvm"] = "1.5.3-175.el7_9.6",
            ["libguestfs-tools-c"] = "1.40.2-10.el7",
            ["libguestfs-xfs"] = "1.40.2-10.el7",
            ["virt-install"] = "1.5.0-7.el7",
            ["wget"] = "1.14-18.el7_6.1",
            ["ipxe-roms-qemu"] = "20180825-3.git133f4c47.el7",
            ["OVMF"] = "20180508-6.gitee3198e672e2.el7_9.1",
        },
        // RHEL 7's presets enable libvirtd on installation; nothing starts it.
        UnitsAfterInstall = new Dictionary<string, string> { ["libvirtd.service"] = "enabled" },
        LibvirtVersion = """
            Compiled against library: libvirt 4.5.0
            Using library: libvirt 4.5.0
            Using API: QEMU 4.5.0
            Running hypervisor: QEMU 1.5.3
            Running against daemon: 4.5.0
            """,
        Firmware = "/usr/share/OVMF/OVMF_CODE.secboot.fd",
        FirmwarePackage = "OVMF",
    };

    public static HostProfile Rocky9 { get; } = new()
    {
        Name = "Rocky Linux 9.4",
        OsRelease = """
            NAME="Rocky Linux"
            VERSION="9.4 (Blue Onyx)"
            ID="rocky"
            ID_LIKE="rhel centos fedora"
            VERSION_ID="9.4"
            PLATFORM_ID="platform:el9"
            PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"
            ANSI_COLOR="0;32"
            LOGO="fedora-logo-icon"
            CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
            HOME_URL="https://rockylinux.org/"
            BUG_REPORT_URL="https://bugs.rockylinux.org/"
            SUPPORT_END="2032-05-31"
            ROCKY_SUPPORT_PRODUCT="Rocky-Linux-9"
            ROCKY_SUPPORT_PRODUCT_VERSION="9.4"
            REDHAT_SUPPORT_PRODUCT="Rocky Linux"
            REDHAT_SUPPORT_PRODUCT_VERSION="9.4"
            """,
        Uname = "Linux 5.14.0-427.13.1.el9_4.x86_64 x86_64",
        Cpu = """
            vendor_id	: GenuineIntel
            model name	: Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz
            cpu MHz		: 2100.000
            flags		: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc art arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc cpuid aperfmperf pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid dca sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch
            """,
        Threads = "80",
        Disk = """
            /var/lib
            Filesystem          1024-blocks    Used Available Capacity Mounted on
            /dev/mapper/rl-root   73334784 5398448  67936336       8% /
            """,
        KvmModule = "kvm_intel",
        NestedValues = ("Y", "N"),
        PackageKind = "rpm",
        Installer = "dnf",
        BaseTools = """
            dnf /usr/bin/dnf
            yum /usr/bin/yum
            rpm /usr/bin/rpm
            systemctl /usr/bin/systemctl
            modprobe /usr/sbin/modprobe
            flock /usr/bin/flock
            useradd /usr/sbin/useradd
            pkaction /usr/bin/pkaction
            restorecon /usr/sbin/restorecon
            """,
        Repolist = """
            repo id                          repo name
            appstream                        Rocky Linux 9 - AppStream
            baseos                           Rocky Linux 9 - BaseOS
            extras                           Rocky Linux 9 - Extras
            """,
        IpxeCandidate = """
            Available Packages
            ipxe-roms-qemu.noarch               20200823-9.git4bd064de.el9                appstream
            """,
        PolkitVersion = "pkaction version 0.117",
        Repository = new Dictionary<string, string>
        {
            ["libvirt"] = "10.0.0-6.7.el9_4",
            ["qemu-kvm"] = "8.2.0-11.el9_4.6",
            ["guestfs-tools"] = "1.51.6-3.el9_4",
            ["libguestfs-xfs"] = "1.50.1-8.el9_4",
            ["virt-install"] = "4.1.0-6.el9",
            ["wget"] = "1.21.1-7.el9",
            ["ipxe-roms-qemu"] = "20200823-9.git4bd064de.el9",
            ["edk2-ovmf"] = "20231122-6.el9_4.3",
        },
        // EL9 runs libvirt as modular daemons: the presets enable them, socket-activated, none running yet.
        UnitsAfterInstall = new Dictionary<string, string>
        {
            ["libvirtd.service"] = "disabled",
            ["virtqemud.service"] = "enabled",
            ["virtnetworkd.service"] = "enabled",
            ["virtstoraged.service"] = "enabled",
        },
        LibvirtVersion = """
            Compiled against library: libvirt 10.0.0
            Using library: libvirt 10.0.0
            Using API: QEMU 10.0.0
            Running hypervisor: QEMU 8.2.0
            Running against daemon: 10.0.0
            """,
        Firmware = "/usr/share/edk2/ovmf/OVMF_CODE.fd",
        FirmwarePackage = "edk2-ovmf",
    };

    public static HostProfile Fedora40 { get; } = new()
    {
        Name = "Fedora 40",
        OsRelease = """
            NAME="Fedora Linux"
            VERSION="40 (Server Edition)"
            ID=fedora
            VERSION_ID=40
            VERSION_CODENAME=""
            PLATFORM_ID="platform:f40"
            PRETTY_NAME="Fedora Linux 40 (Server Edition)"
            ANSI_COLOR="0;38;2;60;110;180"
            LOGO=fedora-logo-icon
            CPE_NAME="cpe:/o:fedoraproject:fedora:40"
            HOME_URL="https://fedoraproject.org/"
            DOCUMENTATION_URL="https://docs.fedoraproject.org/en-US/fedora/f40/system-administrators-guide/"
            SUPPORT_URL="https://ask.fedoraproject.org/"
            BUG_REPORT_URL="https://bugzilla.redhat.com/"
            REDHAT_BUGZILLA_PRODUCT="Fedora"
            REDHAT_BUGZILLA_PRODUCT_VERSION=40
            REDHAT_SUPPORT_PRODUCT="Fedora"
            REDHAT_SUPPORT_PRODUCT_VERSION=40
            SUPPORT_END=2025-05-13
            VARIANT="Server Edition"
            VARIANT_ID=server
            """,
        Uname = "Linux 6.8.5-301.fc40.x86_64 x86_64",
        Cpu = """
            vendor_id	: AuthenticAMD
            model name	: AMD Ryzen 9 5950X 16-Core Processor
            cpu MHz		: 3400.000
            flags		: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl nonstop_tsc cpuid extd_apicid aperfmperf rapl pni pclmulqdq monitor ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx f16c rdrand lahf_lm cmp_legacy svm extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw
            """,
        Threads = "32",
        Disk = """
            /var/lib/libvirt/images
            Filesystem                      1024-blocks     Used Available Capacity Mounted on
            /dev/mapper/fedora-root          488383488 23552112 464831376       5% /
            """,
        KvmModule = "kvm_amd",
        NestedValues = ("1", "0"),
        PackageKind = "rpm",
        Installer = "dnf",
        BaseTools = Rocky9.BaseTools,
        Repolist = """
            repo id                                        repo name
            fedora                                         Fedora 40 - x86_64
            fedora-cisco-openh264                          Fedora 40 openh264 (From Cisco) - x86_64
            updates                                        Fedora 40 - x86_64 - Updates
            """,
        IpxeCandidate = "",
        PolkitVersion = "pkaction version 124",
        Repository = new Dictionary<string, string>
        {
            ["libvirt"] = "10.1.0-1.fc40",
            ["qemu-kvm"] = "8.2.2-1.fc40",
            ["guestfs-tools"] = "1.52.0-5.fc40",
            ["libguestfs-xfs"] = "1.52.0-6.fc40",
            ["virt-install"] = "4.1.0-6.fc40",
            ["wget"] = "2.1.0-11.fc40",
            ["ipxe-roms-qemu"] = "20220210-7.git64113751.fc40",
            ["edk2-ovmf"] = "20240214-2.fc40",
        },
        // Fedora 40's wget is wget2 in compatibility clothing.
        ProvidedBy = new Dictionary<string, string> { ["wget"] = "wget2-wget" },
        UnitsAfterInstall = Rocky9.UnitsAfterInstall,
        LibvirtVersion = """
            Compiled against library: libvirt 10.1.0
            Using library: libvirt 10.1.0
            Using API: QEMU 10.1.0
            Running hypervisor: QEMU 8.2.2
            Running against daemon: 10.1.0
            """,
        Firmware = "/usr/share/edk2/ovmf/OVMF_CODE.fd",
        FirmwarePackage = "edk2-ovmf",
    };

    /// <summary>Ubuntu 22.04 still ships polkit 0.105 (local authority .pkla files, no JavaScript rules).</summary>
    public static HostProfile Ubuntu2204 { get; } = new()
    {
        Name = "Ubuntu 22.04",
        OsRelease = """
            PRETTY_NAME="Ubuntu 22.04.4 LTS"
            NAME="Ubuntu"
            VERSION_ID="22.04"
            VERSION="22.04.4 LTS (Jammy Jellyfish)"
            VERSION_CODENAME=jammy
            ID=ubuntu
            ID_LIKE=debian
            HOME_URL="https://www.ubuntu.com/"
            SUPPORT_URL="https://help.ubuntu.com/"
            BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
            PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
            UBUNTU_CODENAME=jammy
            """,
        Uname = "Linux 5.15.0-107-generic x86_64",
        Cpu = CentOs7.Cpu,
        Disk = Fedora40.Disk,
        KvmModule = "kvm_intel",
        NestedValues = ("Y", "N"),
        PackageKind = "deb",
        Installer = "apt-get",
        BaseTools = """
            apt-get /usr/bin/apt-get
            dpkg-query /usr/bin/dpkg-query
            systemctl /usr/bin/systemctl
            modprobe /usr/sbin/modprobe
            flock /usr/bin/flock
            useradd /usr/sbin/useradd
            pkaction /usr/bin/pkaction
            """,
        Repolist = """
            # file /etc/apt/sources.list
            deb http://archive.ubuntu.com/ubuntu/ jammy main restricted
            deb http://archive.ubuntu.com/ubuntu/ jammy-updates main restricted
            deb http://security.ubuntu.com/ubuntu jammy-security main restricted
            """,
        IpxeCandidate = """
            ipxe-qemu:
              Installed: 1.21.1+git-20220113.fbbdc3926-0ubuntu1
              Candidate: 1.21.1+git-20220113.fbbdc3926-0ubuntu1
            """,
        PolkitVersion = "pkaction version 0.105",
        Repository = new Dictionary<string, string>
        {
            ["libvirt-daemon-system"] = "8.0.0-1ubuntu7.10",
            ["libvirt-clients"] = "8.0.0-1ubuntu7.10",
            ["qemu-system-x86"] = "1:6.2+dfsg-2ubuntu6.19",
            ["qemu-utils"] = "1:6.2+dfsg-2ubuntu6.19",
            ["libguestfs-tools"] = "1:1.46.2-10ubuntu3",
            ["virtinst"] = "1:4.0.0-1",
            ["wget"] = "1.21.2-2ubuntu1",
            ["ipxe-qemu"] = "1.21.1+git-20220113.fbbdc3926-0ubuntu1",
            ["ovmf"] = "2022.02-3ubuntu0.22.04.2",
            ["dnsmasq-base"] = "2.90-0ubuntu0.22.04.1",
        },
        UnitsAfterInstall = new Dictionary<string, string> { ["libvirtd.service"] = "enabled" },
        LibvirtVersion = """
            Compiled against library: libvirt 8.0.0
            Using library: libvirt 8.0.0
            Using API: QEMU 8.0.0
            Running hypervisor: QEMU 6.2.0
            Running against daemon: 8.0.0
            """,
        Firmware = "/usr/share/OVMF/OVMF_CODE_4M.fd",
        FirmwarePackage = "ovmf",
    };
}
