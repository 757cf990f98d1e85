using VMetal.Hosting;
using VMetal.Hypervisor;
using VMetal.Testing;
using static VMetal.IntegrationTests.Prepare.HypervisorCli;

namespace VMetal.IntegrationTests.Prepare;

/// <summary>
/// <c>vmetal prepare</c> against the sandbox (Debian family) over SSH, as its sudoer. Each test
/// prepares its own stack user and workspace and removes them again.
/// </summary>
[Collection(HostPackagesCollection.Name)]
public sealed class PrepareSandboxTests(SandboxFixture sandbox, HostPackages packages)
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Prepare_twice_then_stack_logs_in_with_the_undercloud_key_and_manages_vms_without_sudo()
    {
        var environment = sandbox.Require();
        await packages.EnsureAsync();
        using var temp = new TempDirectory("vmetal-prepare");
        await using var trace = new SandboxPrepareTrace(sandbox, TestNames.Unique("stk"), Path.Combine(temp.Path, "workspace"));
        string[] arguments = ["prepare", "--stack-user", trace.User, "--workspace-dir", trace.Workspace, .. SandboxArguments(environment)];

        var (first, firstResult) = await RunJsonAsync(arguments);
        var (second, secondResult) = await RunJsonAsync(arguments);
        var text = await CliRunner.RunAsync(arguments, stdin: null, cancellationToken: Ct);

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Equal(["workspace-keys", "user", "polkit", "root-key", "user-key"], firstResult.StepsWith("changed"));
        Assert.Equal(0, second.ExitCode);
        Assert.Equal(HypervisorPreparer.StepNames, secondResult.StepsWith("unchanged"));
        Assert.Contains("was already prepared: nothing changed (9 unchanged", text.Stdout, StringComparison.Ordinal);

        Assert.Equal(Private | UnixFileMode.UserExecute, File.GetUnixFileMode(trace.Workspace));
        foreach (var key in new[] { WorkspaceKeys.RootKeyName, WorkspaceKeys.UndercloudKeyName })
        {
            Assert.Equal(Private, File.GetUnixFileMode(Path.Combine(trace.Workspace, key)));
            Assert.Equal(Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(Path.Combine(trace.Workspace, key + ".pub")));
        }

        // stack: an SSH login with the undercloud key (SSH.NET, then the OpenSSH client), virsh without sudo.
        var undercloudKey = Path.Combine(trace.Workspace, WorkspaceKeys.UndercloudKeyName);
        await using (var stack = await ConnectAsync(environment, trace.User, undercloudKey))
        {
            Assert.NotEqual("0", (await stack.RunCheckedAsync(HostCommand.Of("id -u"), Ct)).Stdout.Trim());
            Assert.False((await stack.RunAsync(HostCommand.Of("sudo -n true"), Ct)).Succeeded, "the stack user must not have sudo");
            var virsh = await RetryWhileDeniedAsync(() => stack.RunAsync(HostCommand.Of("virsh -c qemu:///system list --all"), Ct));
            Assert.True(virsh.Succeeded, virsh.Stderr);
            Assert.Contains(" Id ", virsh.Stdout, StringComparison.Ordinal);
            Assert.Equal("700 600", (await stack.RunCheckedAsync(HostCommand.Of("stat -c %a ~/.ssh ~/.ssh/authorized_keys | tr '\\n' ' '"), Ct)).Stdout.Trim());
        }
        var ssh = await ProcessRunner.RunAsync("ssh", ["-i", undercloudKey, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
            "-o", $"UserKnownHostsFile={environment.KnownHostsPath}", $"{trace.User}@{environment.Target.Address}", "virsh -c qemu:///system list --all"],
            cancellationToken: Ct);
        Assert.True(ssh.ExitCode == 0, ssh.Output);

        // root: the workspace key opens it, and is in authorized_keys exactly once.
        var rootKey = Path.Combine(trace.Workspace, WorkspaceKeys.RootKeyName);
        var blob = WorkspaceKeys.Blob(await File.ReadAllTextAsync(rootKey + ".pub", Ct))!;
        await using (var root = await ConnectAsync(environment, "root", rootKey))
        {
            Assert.Equal("1", (await root.RunAsync(HostCommand.Of($"grep -cF {ShellQuote.Quote(blob)} /root/.ssh/authorized_keys"), Ct)).Stdout.Trim());
            Assert.Equal("700 600", (await root.RunCheckedAsync(HostCommand.Of("stat -c %a /root/.ssh /root/.ssh/authorized_keys | tr '\\n' ' '"), Ct)).Stdout.Trim());
        }
    }

    [Fact]
    public async Task An_interrupted_run_is_completed_by_the_next_and_damage_is_repaired_step_by_step()
    {
        var environment = sandbox.Require();
        await packages.EnsureAsync();
        using var temp = new TempDirectory("vmetal-prepare");
        var pool = TestNames.Unique("pool");
        await using var trace = new SandboxPrepareTrace(sandbox, TestNames.Unique("stk"), Path.Combine(temp.Path, "workspace"))
        {
            PoolName = pool,
            PoolPath = $"/var/lib/libvirt/{pool}",
        };
        string[] arguments = ["prepare", "--stack-user", trace.User, "--workspace-dir", trace.Workspace, "--pool-name", pool, "--disk-pool", trace.PoolPath,
            .. SandboxArguments(environment)];

        // Real interruptions: cancel runs at growing delays, wherever they happen to be.
        var interrupted = new List<int>();
        foreach (var delay in new[] { 100, 300, 600, 900, 1300, 1800 })
        {
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            cancel.CancelAfter(delay);
            interrupted.Add((await CliRunner.RunAsync(arguments, stdin: null, cancellationToken: cancel.Token)).ExitCode);
        }
        Assert.All(interrupted, exitCode => Assert.True(exitCode is 0 or 130, $"exit {exitCode}"));
        var (completed, _) = await RunJsonAsync(arguments);
        var (settled, settledResult) = await RunJsonAsync(arguments);
        Assert.True(completed.ExitCode == 0, completed.Output);
        Assert.Equal(HypervisorPreparer.StepNames, settledResult.StepsWith("unchanged"));

        // What an interruption (or a hand) leaves behind, one thing per step.
        File.Delete(Path.Combine(trace.Workspace, WorkspaceKeys.UndercloudKeyName + ".pub"));
        var rootLine = (await File.ReadAllTextAsync(Path.Combine(trace.Workspace, WorkspaceKeys.RootKeyName + ".pub"), Ct)).Trim();
        (await sandbox.RunAsync(
            $"printf '%s\\n' {ShellQuote.Quote(rootLine)} >> /root/.ssh/authorized_keys; chmod 0755 /home/{trace.User}/.ssh; " +
            $"virsh -q -c qemu:///system pool-destroy {pool} && virsh -q -c qemu:///system pool-autostart --disable {pool}", sudo: true))
            .EnsureSuccess(HostCommand.Of("damage"), environment.Target);

        var (repair, repairResult) = await RunJsonAsync(arguments);
        var (after, afterResult) = await RunJsonAsync(arguments);

        Assert.True(repair.ExitCode == 0, repair.Output);
        Assert.Equal(["workspace-keys", "storage-pool", "root-key", "user-key"], repairResult.StepsWith("changed"));
        Assert.Contains("rewrote id_rsa_undercloud.pub", repairResult.Step("workspace-keys").Detail, StringComparison.Ordinal);
        Assert.Contains("removed 1 duplicate line(s)", repairResult.Step("root-key").Detail, StringComparison.Ordinal);
        Assert.Contains($"/home/{trace.User}/.ssh owned by {trace.User}, mode 0700", repairResult.Step("user-key").Detail, StringComparison.Ordinal);
        Assert.Equal($"started {pool}; autostart {pool}", repairResult.Step("storage-pool").Detail);
        Assert.Equal(0, after.ExitCode);
        Assert.Equal(HypervisorPreparer.StepNames, afterResult.StepsWith("unchanged"));
        var info = await sandbox.VirshAsync("pool-info", pool);
        Assert.Contains("running", info, StringComparison.Ordinal);
        Assert.Matches(@"Autostart:\s+yes", info);
    }

    [Fact]
    public async Task A_package_no_repository_has_fails_the_step_and_the_next_run_works()
    {
        var environment = sandbox.Require();
        await packages.EnsureAsync();
        using var temp = new TempDirectory("vmetal-prepare");
        string[] arguments = ["prepare", "--only", "packages", "--workspace-dir", temp.Path, .. SandboxArguments(environment)];

        var (failed, failedResult) = await RunJsonAsync([.. arguments, "--extra-packages", "vmetal-no-such-package"]);
        var (next, nextResult) = await RunJsonAsync(arguments);

        Assert.Equal(1, failed.ExitCode);
        var step = failedResult.Step("packages");
        Assert.Equal("failed", step.Status);
        Assert.Contains("not installed: vmetal-no-such-package", step.Detail, StringComparison.Ordinal);
        Assert.Contains("E: Unable to locate package vmetal-no-such-package", step.Detail, StringComparison.Ordinal);
        Assert.Contains("prepare failed", failed.Stderr, StringComparison.Ordinal);
        Assert.Equal(HypervisorPreparer.StepNames.Where(name => name != "packages"), failedResult.StepsWith("skipped"));
        Assert.Equal(0, next.ExitCode);
        Assert.Equal("unchanged", nextResult.Step("packages").Status);
    }

    /// <summary>A real SSH login to the sandbox as <paramref name="user"/> with one of the workspace's keys.</summary>
    private static async Task<IHostConnection> ConnectAsync(VMetal.Sandbox.SandboxEnvironment environment, string user, string keyPath) =>
        await new HostConnector().ConnectAsync(environment.HostSettings with { Target = environment.Target with { User = user }, KeyPath = keyPath }, Ct);

    /// <summary>polkitd reads a new rules file by inotify: give it a moment before calling access denied final.</summary>
    private static async Task<CommandResult> RetryWhileDeniedAsync(Func<Task<CommandResult>> run)
    {
        for (var attempt = 1; ; attempt++)
        {
            var result = await run();
            if (result.Succeeded || attempt == 20 || !result.Stderr.Contains("authentication unavailable", StringComparison.Ordinal))
                return result;
            await Task.Delay(250, Ct);
        }
    }
}
