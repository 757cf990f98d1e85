using VMetal.Hypervisor;
using VMetal.Topology;

namespace VMetal.Tests.Check;

/// <summary>The judgement rules, on the recorded sandbox facts with one fact changed at a time.</summary>
public sealed class CheckEvaluationTests
{
    private static readonly HostFacts Sandbox = HostFacts.Parse(RecordedHosts.DebianSandbox);

    private static CheckReport Evaluate(HostFacts facts, CheckRequirements? requirements = null) =>
        HypervisorChecker.Evaluate("host", "vmadmin", facts, requirements ?? new CheckRequirements());

    [Fact]
    public void The_recorded_sandbox_passes_with_warnings_about_its_cpu()
    {
        var report = Evaluate(Sandbox);

        Assert.False(report.HasFailures);
        Assert.Equal(["cpu", "hardware-virtualization"], report.Checks.Where(check => check.Status == CheckStatus.Warn).Select(check => check.Id));
        Assert.Contains("software emulation", report["hardware-virtualization"]!.Found, StringComparison.Ordinal);
        Assert.Contains("fewer than 4 threads", report["cpu"]!.Fix, StringComparison.Ordinal);
        Assert.Equal("all 10 installed", report["packages"]!.Found);
        Assert.Equal("/dev/kvm (crw-rw---- root kvm); libvirt offers type='kvm'", report["kvm"]!.Found);
        Assert.Equal(14, report.Checks.Count);
        Assert.Equal(report.Checks.Count, report.Checks.Select(check => check.Id).Distinct().Count());
    }

    [Fact]
    public void Require_kvm_turns_emulation_into_a_failure_that_stops_prepare()
    {
        var report = Evaluate(Sandbox, new CheckRequirements { RequireKvm = true });
        var unusable = Evaluate(Sandbox with { LibvirtKvm = false, LibvirtKvmDetail = "the accel 'kvm' is not supported" },
            new CheckRequirements { RequireKvm = true });
        var noDevice = Evaluate(Sandbox with { KvmDevice = null, LibvirtKvm = null })["kvm"]!;

        Assert.True(report.HasFailures);
        Assert.Equal(["hardware-virtualization"], report.Blocking.Select(check => check.Id));
        Assert.Equal(["hardware-virtualization", "kvm"], unusable.Blocking.Select(check => check.Id));
        Assert.Contains("the accel 'kvm' is not supported; domains will be type='qemu'", unusable["kvm"]!.Found, StringComparison.Ordinal);
        Assert.Equal(CheckStatus.Warn, noDevice.Status);
    }

    [Theory]
    [InlineData(20 * 1024, CheckStatus.Pass)] // 20 GiB of 22.1 GiB available
    [InlineData(26 * 1024, CheckStatus.Warn)] // within 20 % over
    [InlineData(28 * 1024, CheckStatus.Fail)] // more than 20 % over
    public void Memory_follows_infrareds_rule_of_available_times_1_2(long neededMiB, CheckStatus expected)
    {
        var check = Evaluate(Sandbox, new CheckRequirements { MemoryMiB = neededMiB })["memory"]!;

        Assert.Equal(expected, check.Status);
        Assert.Equal(expected == CheckStatus.Fail, check.BlocksPrepare);
        Assert.Contains("22.1 GiB available", check.Found, StringComparison.Ordinal);
    }

    [Fact]
    public void Memory_overcommit_makes_too_much_a_warning()
    {
        var check = Evaluate(Sandbox, new CheckRequirements { MemoryMiB = 100 * 1024, MemoryOvercommit = true })["memory"]!;

        Assert.Equal(CheckStatus.Warn, check.Status);
        Assert.Contains("--host-memory-overcommit", check.Required, StringComparison.Ordinal);
    }

    [Fact]
    public void Thin_disks_larger_than_the_free_space_warn_with_actual_and_virtual_sizes()
    {
        var tooBig = Evaluate(Sandbox, new CheckRequirements { DiskBytes = 500L << 30 })["disk"]!;
        var fits = Evaluate(Sandbox, new CheckRequirements { DiskBytes = 50L << 30 })["disk"]!;

        Assert.Equal(CheckStatus.Warn, tooBig.Status);
        Assert.Contains("thin-provisioned", tooBig.Fix, StringComparison.Ordinal);
        Assert.Contains("500.0 GiB virtual", tooBig.Fix, StringComparison.Ordinal);
        Assert.Contains("77.3 GiB free", tooBig.Found, StringComparison.Ordinal);
        Assert.Equal(CheckStatus.Pass, fits.Status);
    }

    [Theory]
    [InlineData("20130517-8.gitc4bce43.el7", CheckStatus.Fail)]
    [InlineData("20160127-1.git6366fa7a.el7", CheckStatus.Pass)]
    [InlineData("1.0.0+git-20190125.36a4c85-5.1", CheckStatus.Pass)]
    [InlineData("1.21.1", CheckStatus.Warn)]
    public void Ipxe_must_be_a_2016_or_later_build(string version, CheckStatus expected)
    {
        var facts = Sandbox with { Packages = new Dictionary<string, string?>(Sandbox.Packages) { ["ipxe-qemu"] = version } };

        Assert.Equal(expected, Evaluate(facts)["ipxe"]!.Status);
    }

    [Fact]
    public void Ipxe_missing_from_host_and_repositories_fails_but_offered_by_them_warns()
    {
        var notInstalled = new Dictionary<string, string?>(Sandbox.Packages) { ["ipxe-qemu"] = null };

        var offered = Evaluate(Sandbox with { Packages = notInstalled, IpxeCandidate = "1.0.0+git-20190125.36a4c85-5.1" })["ipxe"]!;
        var nowhere = Evaluate(Sandbox with { Packages = notInstalled })["ipxe"]!;

        Assert.Equal(CheckStatus.Warn, offered.Status);
        Assert.Contains("vmetal prepare installs it", offered.Fix, StringComparison.Ordinal);
        Assert.Equal(CheckStatus.Fail, nowhere.Status);
        Assert.Contains("no repository provides it", nowhere.Found, StringComparison.Ordinal);
    }

    [Fact]
    public void No_repositories_fail_only_when_something_must_be_installed()
    {
        var missing = Evaluate(Sandbox with
        {
            Repositories = [],
            Packages = new Dictionary<string, string?>(Sandbox.Packages) { ["libguestfs-tools"] = null },
        })["repositories"]!;
        var complete = Evaluate(Sandbox with { Repositories = [] })["repositories"]!;

        Assert.Equal(CheckStatus.Fail, missing.Status);
        Assert.False(missing.BlocksPrepare);
        Assert.Contains("sources.list", missing.Fix, StringComparison.Ordinal);
        Assert.Equal(CheckStatus.Warn, complete.Status);
    }

    [Fact]
    public void Sudo_that_wants_a_password_fails_and_blocks_prepare_with_the_sudoers_line_to_add()
    {
        var check = Evaluate(Sandbox with { Sudo = SudoAccess.PasswordRequired, SudoDetail = "sudo: a password is required" })["sudo"]!;

        Assert.Equal(CheckStatus.Fail, check.Status);
        Assert.True(check.BlocksPrepare);
        Assert.Contains("vmadmin ALL=(ALL) NOPASSWD: ALL", check.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Uefi_nodes_need_ovmf_and_unreachable_libvirt_fails()
    {
        var report = Evaluate(Sandbox with
        {
            UefiFirmware = [],
            Libvirt = new LibvirtState(false, "Failed to connect socket", [], []),
        }, new CheckRequirements { Uefi = true });

        Assert.Equal(CheckStatus.Fail, report["uefi-firmware"]!.Status);
        Assert.Contains("ovmf", report["uefi-firmware"]!.Fix, StringComparison.Ordinal);
        Assert.Equal(CheckStatus.Fail, report["libvirt"]!.Status);
        Assert.Equal("vmetal prepare starts it", report["libvirt"]!.Fix);
        Assert.Empty(report.Blocking);
    }

    [Fact]
    public void Nested_kvm_is_judged_by_the_module_and_the_persistent_option()
    {
        var intel = Sandbox with { CpuVirtualization = "vmx", KvmModules = [new KvmModule("kvm_intel", true, 0)] };

        var runtimeOnly = Evaluate(intel)["nested-kvm"]!;
        var persistent = Evaluate(intel with { NestedConfig = ["/etc/modprobe.d/kvm.conf:options kvm-intel nested=Y"] })["nested-kvm"]!;
        var off = Evaluate(intel with { KvmModules = [new KvmModule("kvm_intel", false, 0)] })["nested-kvm"]!;

        Assert.Equal(CheckStatus.Warn, runtimeOnly.Status);
        Assert.Equal(CheckStatus.Pass, persistent.Status);
        Assert.Equal(CheckStatus.Warn, off.Status);
        Assert.Contains("nested=N", off.Found, StringComparison.Ordinal);
        Assert.Equal(CheckStatus.Pass, Evaluate(intel)["hardware-virtualization"]!.Status);
    }

    [Fact]
    public async Task A_topology_brings_its_totals_and_uefi_into_the_requirements()
    {
        var loaded = await TopologyLoader.LoadAsync(new TopologyRequest { NodeCounts = "undercloud:1,controller:1" },
            TestContext.Current.CancellationToken);
        var topology = loaded.GetTopologyOrThrow();

        var requirements = CheckRequirements.For(topology);

        Assert.Equal(topology.TotalMemoryMiB, requirements.MemoryMiB);
        Assert.Equal(topology.TotalDiskBytes, requirements.DiskBytes);
        Assert.Equal(topology.TotalVCpus, requirements.VCpus);
        Assert.False(requirements.Uefi);

        var uefi = await TopologyLoader.LoadAsync(new TopologyRequest { NodeCounts = "controller:1", BootMode = BootMode.Uefi },
            TestContext.Current.CancellationToken);
        Assert.True(CheckRequirements.For(uefi.GetTopologyOrThrow()).Uefi);
    }
}
