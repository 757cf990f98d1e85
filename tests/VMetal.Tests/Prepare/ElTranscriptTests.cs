using VMetal.Hypervisor;

namespace VMetal.Tests.Prepare;

/// <summary>
/// Transcript tests: the real check and prepare logic runs against <see cref="SimulatedHost"/>,
/// which answers like CentOS 7, Rocky 9 and Fedora 40 do (transcribed outputs, not live
/// machines). They pin down the commands each family gets: package manager and names, libvirt
/// units, the polkit file format, nested KVM, and that a second run changes nothing.
/// </summary>
public sealed class ElTranscriptTests : TranscriptTest
{
    [Fact]
    public async Task CentOS_7_installs_with_one_yum_call_starts_libvirtd_and_enables_nested_kvm()
    {
        var host = SimulatedHost.Fresh(HostProfile.CentOs7, "wget");

        var report = await HypervisorPreparer.PrepareAsync(host, Options, cancellationToken: Ct);

        Assert.True(report.Succeeded, Describe(report));
        Assert.Equal("yum -y install libvirt qemu-kvm libguestfs-tools-c libguestfs-xfs virt-install ipxe-roms-qemu OVMF",
            Assert.Single(host.Commands, command => command.Text.Contains(" install ", StringComparison.Ordinal)).Text);
        Assert.Contains(host.Commands, command => command is { Text: "systemctl enable --now libvirtd.service", Sudo: true });
        Assert.Equal("# Written by vmetal prepare: VMs may run KVM themselves (nested virtualisation).\noptions kvm_intel nested=1\n",
            host.Files[SimulatedHost.NestedConfigFile]);
        Assert.Contains(host.Commands, command => command.Text.StartsWith("modprobe -r kvm_intel", StringComparison.Ordinal));
        Assert.True(host.NestedOn);
        // EL7's polkit is 0.112, which reads JavaScript rules (pkla-compat would read .pkla too).
        var rule = host.Files["/etc/polkit-1/rules.d/50-vmetal-libvirt-stack.rules"];
        Assert.Contains("action.id == \"org.libvirt.unix.manage\" && subject.user == \"stack\"", rule, StringComparison.Ordinal);
        Assert.All(report.Steps, step => Assert.Equal(StepStatus.Changed, step.Status));
        Assert.Equal("pass", Status(report, "os"));
        Assert.Equal("pass", Status(report, "package-manager"));
    }

    [Fact]
    public async Task Rocky_9_installs_with_dnf_and_enables_the_modular_libvirt_daemons()
    {
        var host = SimulatedHost.Fresh(HostProfile.Rocky9, "wget");
        host.NestedOn = true;

        var report = await HypervisorPreparer.PrepareAsync(host, Options, cancellationToken: Ct);

        Assert.True(report.Succeeded, Describe(report));
        Assert.Equal("dnf -y install libvirt qemu-kvm guestfs-tools libguestfs-xfs virt-install ipxe-roms-qemu edk2-ovmf",
            Assert.Single(host.Commands, command => command.Text.Contains(" install ", StringComparison.Ordinal)).Text);
        Assert.Contains(host.Commands, command => command.Text == "systemctl enable --now virtqemud.service virtnetworkd.service virtstoraged.service");
        Assert.DoesNotContain(host.Commands, command => command.Text.Contains("libvirtd.service", StringComparison.Ordinal)
                                                       && command.Text.StartsWith("systemctl", StringComparison.Ordinal));
        Assert.Equal(("disabled", "inactive"), host.Units["libvirtd.service"]);
        Assert.True(host.Files.ContainsKey("/etc/polkit-1/rules.d/50-vmetal-libvirt-stack.rules"));
        // Nesting is on already: only the persistent option is written, the module is not reloaded.
        Assert.Contains(SimulatedHost.NestedConfigFile, host.Files.Keys);
        Assert.DoesNotContain(host.Commands, command => command.Text.StartsWith("modprobe", StringComparison.Ordinal));
        Assert.Contains("kvm_intel nested=Y", Step(report, "nested-kvm").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fedora_40_with_libvirt_running_installs_only_what_is_missing_and_keeps_the_rest()
    {
        var host = SimulatedHost.Fresh(HostProfile.Fedora40, "libvirt", "qemu-kvm", "wget", "ipxe-roms-qemu", "edk2-ovmf");
        foreach (var unit in new[] { "virtqemud.service", "virtnetworkd.service", "virtstoraged.service" })
            host.Units[unit] = ("enabled", "active");
        host.Units["libvirtd.service"] = ("disabled", "inactive");
        host.NestedOn = true;
        host.Files["/etc/modprobe.d/kvm.conf"] = "# Setting modprobe kvm_amd/kvm_intel nested = 1\noptions kvm_amd nested=1\n";

        var check = await HypervisorChecker.CheckAsync(host, new CheckRequirements(), Ct);
        var report = await HypervisorPreparer.PrepareAsync(host, Options, cancellationToken: Ct);

        // wget is provided by wget2-wget on Fedora 40: rpm --whatprovides counts it as installed.
        Assert.Equal("missing: guestfs-tools libguestfs-xfs virt-install", check["packages"]!.Found);
        Assert.Equal("pass", Status(report, "nested-kvm"));
        Assert.Equal("dnf -y install guestfs-tools libguestfs-xfs virt-install",
            Assert.Single(host.Commands, command => command.Text.Contains(" install ", StringComparison.Ordinal)).Text);
        Assert.Equal(StepStatus.Unchanged, Step(report, "libvirt").Status);
        Assert.Equal(StepStatus.Unchanged, Step(report, "nested-kvm").Status);
        Assert.Equal(StepStatus.Changed, Step(report, "packages").Status);
        Assert.DoesNotContain(SimulatedHost.NestedConfigFile, host.Files.Keys);
        Assert.Contains("polkit 124", Step(report, "polkit").Detail, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task A_second_run_changes_nothing_and_says_so(string family)
    {
        var host = SimulatedHost.Fresh(Profile(family), "wget");

        var first = await HypervisorPreparer.PrepareAsync(host, Options, cancellationToken: Ct);
        var changesAfterFirst = host.ChangingCommands.Count();
        var second = await HypervisorPreparer.PrepareAsync(host, Options, cancellationToken: Ct);

        Assert.True(first.Succeeded, Describe(first));
        Assert.True(second.Succeeded, Describe(second));
        Assert.All(second.Steps, step => Assert.Equal(StepStatus.Unchanged, step.Status));
        Assert.False(second.ChangedAnything);
        Assert.Equal(changesAfterFirst, host.ChangingCommands.Count());
    }

    public static TheoryData<string> Families => ["CentOS 7.9", "Rocky Linux 9.4", "Fedora 40"];

    [Fact]
    public async Task Ubuntu_22_04_with_polkit_0_105_gets_a_pkla_file()
    {
        var host = SimulatedHost.Fresh(HostProfile.Ubuntu2204, [.. HostProfile.Ubuntu2204.Repository.Keys]);

        var report = await HypervisorPreparer.PrepareAsync(host, Options with { Only = new HashSet<string> { "user", "polkit" } }, cancellationToken: Ct);

        Assert.True(report.Succeeded, Describe(report));
        Assert.Equal("""
            [vmetal: libvirt management for stack]
            Identity=unix-user:stack
            Action=org.libvirt.unix.manage
            ResultAny=yes
            ResultInactive=yes
            ResultActive=yes

            """, host.Files["/etc/polkit-1/localauthority/50-local.d/50-vmetal-libvirt-stack.pkla"]);
        Assert.DoesNotContain(host.Files.Keys, path => path.EndsWith(".rules", StringComparison.Ordinal));
        Assert.Equal("pass", Status(report, "os"));
    }

    private static HostProfile Profile(string name) =>
        new[] { HostProfile.CentOs7, HostProfile.Rocky9, HostProfile.Fedora40 }.Single(profile => profile.Name == name);
}
