using VMetal.Hypervisor;

namespace VMetal.Tests.Prepare;

/// <summary>
/// Transcript tests of failures on EL hosts (<see cref="SimulatedHost"/>): no repositories, a
/// package no repository has, yum's habit of exiting 0 anyway, blocking checks; each time the
/// failure is reported as such and the next run completes the job.
/// </summary>
public sealed class PrepareFaultTests : TranscriptTest
{
    [Fact]
    public async Task No_repositories_fail_the_packages_step_clearly_and_the_run_after_configuring_them_completes()
    {
        var host = SimulatedHost.Fresh(HostProfile.Rocky9, "wget");
        host.RepositoriesConfigured = false;

        var failed = await HypervisorPreparer.PrepareAsync(host, Options, cancellationToken: Ct);

        Assert.False(failed.Succeeded);
        Assert.False(failed.StoppedByChecks);
        Assert.Equal("fail", Status(failed, "repositories"));
        Assert.Contains("subscription-manager", failed.Check["repositories"]!.Fix, StringComparison.Ordinal);
        var packages = Step(failed, "packages");
        Assert.Equal(StepStatus.Failed, packages.Status);
        Assert.Contains("no package repositories are configured (dnf repolist is empty)", packages.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Commands, command => command.Text.Contains(" install ", StringComparison.Ordinal));
        Assert.Equal(StepStatus.Failed, Step(failed, "libvirt").Status);
        Assert.Equal(StepStatus.Skipped, Step(failed, "storage-pool").Status);
        Assert.Equal(StepStatus.Changed, Step(failed, "user").Status);

        host.RepositoriesConfigured = true;
        var fixedRun = await HypervisorPreparer.PrepareAsync(host, Options, cancellationToken: Ct);

        Assert.True(fixedRun.Succeeded, Describe(fixedRun));
        Assert.Equal(StepStatus.Changed, Step(fixedRun, "packages").Status);
        Assert.Equal(StepStatus.Changed, Step(fixedRun, "storage-pool").Status);
        Assert.Equal(StepStatus.Unchanged, Step(fixedRun, "user").Status);
        Assert.Equal(StepStatus.Unchanged, Step(fixedRun, "root-key").Status);
    }

    [Fact]
    public async Task A_package_dnf_cannot_find_fails_the_step_with_dnfs_words_and_nothing_is_half_installed()
    {
        var host = SimulatedHost.Fresh(HostProfile.Rocky9, "wget");

        var report = await HypervisorPreparer.PrepareAsync(host, Options with { ExtraPackages = ["vmetal-no-such-package"] }, cancellationToken: Ct);

        var packages = Step(report, "packages");
        Assert.Equal(StepStatus.Failed, packages.Status);
        Assert.Contains("No match for argument: vmetal-no-such-package", packages.Detail, StringComparison.Ordinal);
        Assert.Contains("not installed: libvirt", packages.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("libvirt", host.Installed.Keys);

        var next = await HypervisorPreparer.PrepareAsync(host, Options, cancellationToken: Ct);
        Assert.True(next.Succeeded, Describe(next));
    }

    [Fact]
    public async Task Yum_exiting_0_without_a_package_is_still_a_failed_step()
    {
        var host = SimulatedHost.Fresh(HostProfile.CentOs7, "wget");

        var report = await HypervisorPreparer.PrepareAsync(host, Options with { ExtraPackages = ["vmetal-no-such-package"], Only = new HashSet<string> { "packages" } },
            cancellationToken: Ct);

        var packages = Step(report, "packages");
        Assert.Equal(StepStatus.Failed, packages.Status);
        Assert.StartsWith("yum install exited 0, not installed: vmetal-no-such-package", packages.Detail, StringComparison.Ordinal);
        Assert.Contains("No package vmetal-no-such-package available.", packages.Detail, StringComparison.Ordinal);
        Assert.Contains("libvirt", host.Installed.Keys);
    }

    [Fact]
    public async Task Too_little_memory_for_the_topology_stops_prepare_before_it_changes_anything()
    {
        var host = SimulatedHost.Fresh(HostProfile.CentOs7, "wget");
        var options = Options with { Requirements = new CheckRequirements { MemoryMiB = 128 * 1024 } };

        var report = await HypervisorPreparer.PrepareAsync(host, options, cancellationToken: Ct);

        Assert.True(report.StoppedByChecks);
        Assert.False(report.Succeeded);
        Assert.Empty(report.Steps);
        Assert.Equal("memory", Assert.Single(report.Check.Blocking).Id);
        Assert.Empty(host.ChangingCommands);
        Assert.Empty(Directory.GetFiles(WorkspacePath));

        var overcommitted = await HypervisorPreparer.PrepareAsync(host,
            options with { Requirements = options.Requirements with { MemoryOvercommit = true } }, cancellationToken: Ct);
        Assert.True(overcommitted.Succeeded, Describe(overcommitted));
        Assert.Equal("warn", Status(overcommitted, "memory"));
    }

    [Fact]
    public async Task Unknown_step_names_are_bad_input()
    {
        var host = SimulatedHost.Fresh(HostProfile.CentOs7, "wget");

        var error = await Assert.ThrowsAsync<VMetalException>(() =>
            HypervisorPreparer.PrepareAsync(host, Options with { Only = new HashSet<string> { "pakages" } }, cancellationToken: Ct));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("pakages", error.Message, StringComparison.Ordinal);
        Assert.Empty(host.Commands);
    }
}
