using System.Diagnostics;
using System.Text;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Converge;

/// <summary>Interrupted and concurrent runs of the real vmetal binary against the sandbox.</summary>
public sealed class RobustnessTests(SandboxFixture sandbox)
{
    [Theory]
    [InlineData("create network")]
    [InlineData("create volume")]
    [InlineData("create domain")]
    public async Task Killing_up_mid_apply_then_rerunning_converges_without_duplicates_or_orphans(string killWhenLogged)
    {
        await using var lab = new TestLab(sandbox, "kill");
        var up = lab.UpArgs([.. TestLab.SmallTopology, "-v"]);

        var killed = await RunUntilAsync(up, killWhenLogged);
        Assert.True(killed, $"vmetal up finished before logging '{killWhenLogged}'");
        var partial = await lab.ObjectsAsync();

        var rerun = await RunToEndAsync(up);
        Assert.True(rerun.ExitCode == 0, rerun.Output);
        var converged = await lab.ObjectsAsync();
        Assert.Equal([$"{lab.Prefix}-compute-0", $"{lab.Prefix}-compute-1"], converged.Domains);
        Assert.Equal([$"{lab.Prefix}-data", $"{lab.Prefix}-external", $"{lab.Prefix}-management"], converged.Networks);
        Assert.Equal([$"{lab.Prefix}-compute-0-disk1.qcow2", $"{lab.Prefix}-compute-1-disk1.qcow2"], converged.Volumes);
        Assert.Subset(converged.Domains.ToHashSet(), partial.Domains.ToHashSet());
        var noOp = await lab.RunCheckedAsync([.. lab.UpArgs(TestLab.SmallTopology), "-o", "json"]);
        Assert.DoesNotContain("\"action\": \"create\"", noOp.Stdout, StringComparison.Ordinal);

        // Interrupt the teardown too: the next down finishes it and the host is as before.
        await RunUntilAsync([.. lab.Args("down"), "-v"], "delete domain");
        var down = await RunToEndAsync(lab.Args("down"));
        Assert.True(down.ExitCode == 0, down.Output);
        var after = await lab.ObjectsAsync();
        Assert.Empty(after.Domains);
        Assert.Empty(after.Networks);
        Assert.Empty(after.Volumes);
    }

    [Fact]
    public async Task Two_runs_at_once_on_one_hypervisor_both_finish_one_after_the_other()
    {
        await using var lab = new TestLab(sandbox, "conc");
        var up = lab.UpArgs(TestLab.SmallTopology);

        var results = await Task.WhenAll(RunToEndAsync(up), RunToEndAsync(up));

        Assert.All(results, result => Assert.True(result.ExitCode == 0, result.Output));
        Assert.Contains(results, result => result.Output.Contains("waiting for another vmetal run", StringComparison.Ordinal));
        var objects = await lab.ObjectsAsync();
        Assert.Equal(2, objects.Domains.Count);
        Assert.Equal(2, objects.Volumes.Count);
        Assert.Equal(3, objects.Networks.Count);
    }

    [Fact]
    public async Task No_wait_fails_at_once_while_another_run_holds_the_lock()
    {
        await using var lab = new TestLab(sandbox, "nowait");
        await using var host = await sandbox.ConnectAsync();
        // Waits: other tests' runs on the sandbox may hold the lock for a moment.
        await using (await VMetal.Converge.HostLock.AcquireAsync(host, "the test", wait: true, null, CancellationToken.None))
        {
            var result = await lab.RunAsync([.. lab.UpArgs(TestLab.SmallTopology), "--no-wait"]);

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("holds", result.Stderr, StringComparison.Ordinal);
            Assert.Empty((await lab.ObjectsAsync()).Domains);
        }
    }

    [Fact]
    public async Task An_unreadable_workspace_record_blocks_only_its_own_workspace_and_down_recovers_from_it()
    {
        await using var lab = new TestLab(sandbox, "rec");
        var records = VMetal.Converge.HostWorkspaceRecordStore.DefaultDirectory;
        var other = $"{records}/{lab.Prefix}-other.json";
        var mine = $"{records}/{lab.Workspace}.json";
        try
        {
            // Another workspace's record that does not parse: a warning, not a blocker.
            await sandbox.RunAsync($"mkdir -p {records} && printf '{{\"workspace\": ' > {other}", sudo: true);
            var up = await lab.RunCheckedAsync(lab.UpArgs(TestLab.SmallTopology));
            Assert.Contains($"{lab.Prefix}-other.json is unreadable", up.Stderr, StringComparison.Ordinal);

            // Its own record cut short: up refuses (exit 1) and changes nothing ...
            await sandbox.RunAsync($"truncate -s 20 {mine}", sudo: true);
            var before = await lab.ObjectsAsync();
            var refused = await lab.RunAsync(lab.UpArgs(TestLab.SmallTopology));
            Assert.True(refused.ExitCode == 1, refused.Stderr);
            Assert.Contains("vmetal down", refused.Stderr, StringComparison.Ordinal);
            var unchanged = await lab.ObjectsAsync();
            Assert.Equal(before.Domains, unchanged.Domains);
            Assert.Equal(before.Volumes, unchanged.Volumes);

            // ... and down removes what the marks prove, keeps the disks, sets the record aside.
            var down = await lab.RunCheckedAsync(lab.Args("down"));
            Assert.Contains("set aside", down.Stderr, StringComparison.Ordinal);
            var after = await lab.ObjectsAsync();
            Assert.Empty(after.Domains);
            Assert.Empty(after.Networks);
            Assert.Equal(before.Volumes, after.Volumes);
            var aside = (await sandbox.RunAsync($"ls {records} | grep -c '^{lab.Workspace}.json.unreadable-'", sudo: true)).Stdout.Trim();
            Assert.Equal("1", aside);
            Assert.NotEqual(0, (await sandbox.RunAsync($"test -e {mine}", sudo: true)).ExitCode);
        }
        finally
        {
            await sandbox.RunAsync($"rm -f {other} {mine}.unreadable-*", sudo: true);
            foreach (var volume in (await lab.ObjectsAsync()).Volumes)
                await sandbox.VirshAsync("vol-delete", $"/var/lib/libvirt/images/{volume}");
        }
    }

    /// <summary>Runs vmetal and SIGKILLs it as soon as a log line contains <paramref name="trigger"/>; false if it ended first.</summary>
    private static async Task<bool> RunUntilAsync(string[] args, string trigger)
    {
        using var process = TestLab.StartProcess(args);
        var seen = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(async () =>
        {
            string? line;
            while ((line = await process.StandardError.ReadLineAsync()) is not null)
            {
                if (line.Contains(trigger, StringComparison.Ordinal))
                {
                    process.Kill();
                    seen.TrySetResult(true);
                }
            }
            seen.TrySetResult(false);
        });
        var stdout = process.StandardOutput.ReadToEndAsync();
        var killed = await seen.Task.WaitAsync(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync();
        await reader;
        await stdout;
        return killed;
    }

    private static async Task<ProcessResult> RunToEndAsync(string[] args)
    {
        using var process = TestLab.StartProcess(args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }
}
