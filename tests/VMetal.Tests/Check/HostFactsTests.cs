using VMetal.Hypervisor;

namespace VMetal.Tests.Check;

/// <summary>Parsing of the fact script's raw sections, on output recorded from real hosts and tools.</summary>
public sealed class HostFactsTests
{
    [Fact]
    public void The_recorded_sandbox_output_parses_into_its_facts()
    {
        var facts = HostFacts.Parse(RecordedHosts.DebianSandbox);

        Assert.Equal(DistroFamily.Debian, facts.Os.Family);
        Assert.Equal("Debian GNU/Linux 12 (bookworm)", facts.Os.PrettyName);
        Assert.False(facts.Systemd);
        Assert.Equal("process_api", facts.InitProcess);
        Assert.Equal(2, facts.CpuThreads);
        Assert.Equal("AMD EPYC", facts.CpuModel);
        Assert.Equal(2596.146, facts.CpuMhz);
        Assert.Null(facts.CpuVirtualization);
        Assert.Equal(24684096, facts.MemoryTotalKiB);
        Assert.Equal(23176736, facts.MemoryAvailableKiB);
        Assert.Equal(new DiskSpace("/var/lib/libvirt/images", "/var/lib/libvirt", 81058664L * 1024, 264212084L * 1024), facts.Disk);
        Assert.StartsWith("crw-rw---- 1 root kvm", facts.KvmDevice, StringComparison.Ordinal);
        Assert.Empty(facts.KvmModules);
        Assert.Equal(PackageManager.Apt, facts.PackageManager);
        Assert.Equal(["http://deb.debian.org/debian bookworm bookworm-updates", "http://deb.debian.org/debian-security bookworm-security"], facts.Repositories);
        Assert.Equal("9.0.0-4+deb12u2", facts.Packages["libvirt-daemon-system"]);
        Assert.Equal("1:1.48.6-2", facts.Packages["libguestfs-tools"]);
        Assert.Null(facts.IpxeCandidate); // installed: apt-cache is not asked
        Assert.True(facts.AptListsPresent);
        Assert.Equal(SudoAccess.NoPassword, facts.Sudo);
        Assert.True(facts.Libvirt.Reachable);
        Assert.Equal("libvirt 9.0.0, QEMU 7.2.22", facts.Libvirt.Detail);
        Assert.Equal(["9811 libvirtd"], facts.Libvirt.DaemonProcesses);
        Assert.True(facts.LibvirtKvm);
        Assert.Null(facts.LibvirtKvmDetail);
        Assert.Equal(new Version(122, 0), facts.PolkitVersion);
        Assert.Null(facts.User);
        Assert.Contains("/usr/share/OVMF/OVMF_CODE_4M.fd", facts.UefiFirmware);
    }

    [Fact]
    public void Rpm_and_dpkg_answers_tell_installed_from_missing()
    {
        var packages = HostFacts.ParsePackages([
            "wget\trpm\twget2-wget 2.1.0-11.fc40",
            "libvirt\trpm\tno package provides libvirt",
            "OVMF\trpm\terror: rpmdb open failed",
            "ovmf\tdeb\tii  2022.11-6+deb12u2",
            "qemu-kvm\tdeb\trc  1:7.2+dfsg-7",
            "held\tdeb\thi  1.0-1",
            "virtinst\tdeb\tdpkg-query: no packages found matching virtinst",
            "garbage line",
        ]);

        Assert.Equal("2.1.0-11.fc40", packages["wget"]);
        Assert.Null(packages["libvirt"]);
        Assert.Null(packages["OVMF"]);
        Assert.Equal("2022.11-6+deb12u2", packages["ovmf"]);
        Assert.Null(packages["qemu-kvm"]);
        Assert.Equal("1.0-1", packages["held"]);
        Assert.Null(packages["virtinst"]);
        Assert.Equal(7, packages.Count);
    }

    [Fact]
    public void Apt_sources_count_enabled_deb_lines_and_stanzas_only()
    {
        var sources = HostFacts.ParseAptSources("""
            # file /etc/apt/sources.list
            deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://mirror.example/debian bookworm main
            deb-src http://mirror.example/debian bookworm main
            # file /etc/apt/sources.list.d/off.sources
            Types: deb
            URIs: http://off.example/debian
            Suites: bookworm
            Enabled: no

            Types: deb-src
            URIs: http://src.example/debian
            Suites: bookworm
            # file /etc/apt/sources.list.d/on.sources
            Types: deb deb-src
            URIs: http://on.example/debian
            Suites: bookworm-backports
            """);

        Assert.Equal(["http://mirror.example/debian bookworm", "http://on.example/debian bookworm-backports"], sources);
        Assert.Empty(HostFacts.ParseAptSources(""));
    }

    [Theory]
    [InlineData("ipxe-qemu:\n  Installed: (none)\n  Candidate: 1.0.0+git-20190125.36a4c85-5.1\n", "1.0.0+git-20190125.36a4c85-5.1")]
    [InlineData("ipxe-qemu:\n  Installed: (none)\n  Candidate: (none)\n", null)]
    [InlineData("Available Packages\nipxe-roms-qemu.noarch         20180825-3.git133f4c47.el7           base\n", "20180825-3.git133f4c47.el7")]
    [InlineData("", null)]
    public void Ipxe_candidates_come_from_apt_cache_policy_or_yum_list(string output, string? candidate) =>
        Assert.Equal(candidate, HostFacts.ParseCandidate(output));

    [Theory]
    [InlineData("pkaction version 0.105", 0, 105)]
    [InlineData("pkaction version 0.112\n", 0, 112)]
    [InlineData("pkaction version 124", 124, 0)]
    public void Polkit_versions_are_read_from_pkaction(string output, int major, int minor) =>
        Assert.Equal(new Version(major, minor), HostFacts.ParsePolkitVersion(output));

    [Fact]
    public void Yum_and_dnf_repolists_skip_headers_and_totals()
    {
        var yum = Facts("repos", "repo id                     repo name                status\n!base/7/x86_64               CentOS-7 - Base          10,072\nrepolist: 10,072", "yum");
        var dnfEmpty = Facts("repos", "", "dnf");
        var dnfFailed = HostFacts.Parse($"{FactScript.SectionMarker}tools 0\ndnf /usr/bin/dnf\n{FactScript.SectionMarker}repos 124\n");

        Assert.Equal(["base"], yum.Repositories);
        Assert.Empty(dnfEmpty.Repositories!);
        Assert.Null(dnfFailed.Repositories);
    }

    [Fact]
    public void Sudo_answers_and_missing_sections_degrade_to_unknown()
    {
        var facts = HostFacts.Parse($"noise before\n{FactScript.SectionMarker}sudo 0\npassword sudo: a password is required\n");

        Assert.Equal(SudoAccess.PasswordRequired, facts.Sudo);
        Assert.Equal("sudo: a password is required", facts.SudoDetail);
        Assert.Same(Distribution.Unknown, facts.Os);
        Assert.Null(facts.CpuThreads);
        Assert.Null(facts.Disk);
        Assert.False(facts.Libvirt.Reachable);
        Assert.Equal("not probed", facts.Libvirt.Detail);
    }

    [Fact]
    public void Kvm_modules_and_unreachable_libvirt_are_read()
    {
        var facts = HostFacts.Parse(string.Join('\n',
            $"{FactScript.SectionMarker}libvirt-kvm 1", "error: failed to get emulator capabilities",
            "error: invalid argument: the accel 'kvm' is not supported by '/usr/bin/qemu-system-x86_64' on this host",
            $"{FactScript.SectionMarker}kvm-modules 0", "kvm_intel nested=N refcnt=3",
            $"{FactScript.SectionMarker}libvirt 1", "error: failed to connect to the hypervisor",
            "error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory",
            $"{FactScript.SectionMarker}systemd-units 0", "libvirtd.service enabled inactive", "virtqemud.service not-found inactive"));

        Assert.Equal([new KvmModule("kvm_intel", false, 3)], facts.KvmModules);
        Assert.Equal("Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory", facts.Libvirt.Detail);
        Assert.True(facts.Libvirt.Units[0] is { IsEnabled: true, IsActive: false, Exists: true });
        Assert.False(facts.Libvirt.Units[1].Exists);
        Assert.False(facts.LibvirtKvm);
        Assert.Equal("invalid argument: the accel 'kvm' is not supported by '/usr/bin/qemu-system-x86_64' on this host", facts.LibvirtKvmDetail);
    }

    private static HostFacts Facts(string section, string text, string packageManager) =>
        HostFacts.Parse($"{FactScript.SectionMarker}tools 0\n{packageManager} /usr/bin/{packageManager}\n{FactScript.SectionMarker}{section} 0\n{text}\n");
}
