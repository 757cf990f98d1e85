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
