using System.Diagnostics;
using VMetal.Cli;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Converge;

/// <summary>`vmetal console`: a sandbox VM's serial console over the one SSH connection, ended by the VM stopping.</summary>
public sealed class ConsoleCommandTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task Console_shows_the_firmware_of_a_running_node_and_ends_when_it_stops()
    {
        await using var lab = new TestLab(sandbox, "con");
        await lab.RunCheckedAsync([.. lab.UpArgs(TestLab.SmallTopology), "--start"]);
        var name = $"{lab.Prefix}-compute-0";

        // Piped input that ends at once: the console stays (a script capturing a log), until the node stops.
        var console = CliRunner.RunAsync([.. lab.Args("console"), "compute-0"], stdin: "", cancellationToken: TestContext.Current.CancellationToken);
        // Resets make the firmware print its banner again; two, in case the first came before the console was attached.
        foreach (var delay in new[] { 3, 5 })
        {
            await Task.Delay(TimeSpan.FromSeconds(delay), TestContext.Current.CancellationToken);
            if (console.IsCompleted)
                Assert.Fail($"console ended early: {(await console).Stderr}");
            await sandbox.VirshAsync("reset", name);
        }
        await Task.Delay(TimeSpan.FromSeconds(4), TestContext.Current.CancellationToken);
        await sandbox.VirshAsync("destroy", name);

        var result = await console.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.True(result.ExitCode == ExitCodes.Success, result.Stderr);
        Assert.Contains("SeaBIOS", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{name} stopped", result.Stderr, StringComparison.Ordinal);

        // A node that is off has no console to attach to; a name the workspace does not have is named with those it has.
        var off = await lab.RunAsync([.. lab.Args("console"), "compute-0"]);
        Assert.Equal(ExitCodes.OperationFailed, off.ExitCode);
        Assert.Contains("is shut off", off.Stderr, StringComparison.Ordinal);
        var unknown = await lab.RunAsync([.. lab.Args("console"), "compute-9"]);
        Assert.Equal(ExitCodes.BadInput, unknown.ExitCode);
        Assert.Contains($"nodes: {name}", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_a_terminal_ctrl_close_bracket_leaves_the_console()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/script"), "script (util-linux) is not installed");
        await using var lab = new TestLab(sandbox, "cont");
        await lab.RunCheckedAsync([.. lab.UpArgs("--topology-nodes", "compute:1", "-e", "override.compute.memory=128",
            "-e", "override.compute.disks.disk1.size=1G"), "--start"]);

        // script(1) gives vmetal a terminal, as a person's shell would; the test types into it.
        string[] console = [Path.Combine(AppContext.BaseDirectory, "vmetal"), .. lab.Args("console"), "compute-0"];
        var command = string.Join(' ', console.Select(word => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        using var process = Process.Start(new ProcessStartInfo("script", ["-qec", $"{command}; echo exit=$?", "/dev/null"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
            await process.StandardInput.WriteAsync("\u001d");
            await process.StandardInput.FlushAsync(TestContext.Current.CancellationToken);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

            var text = await output;
            Assert.Contains("Ctrl+] leaves", text, StringComparison.Ordinal);
            Assert.Contains("exit=0", text, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Force_takes_the_console_over_and_the_first_client_is_told()
    {
        await using var lab = new TestLab(sandbox, "conf");
        await lab.RunCheckedAsync([.. lab.UpArgs("--topology-nodes", "compute:1", "-e", "override.compute.memory=128",
            "-e", "override.compute.disks.disk1.size=1G"), "--start"]);
        var first = CliRunner.RunAsync([.. lab.Args("console"), "compute-0"], stdin: "", cancellationToken: TestContext.Current.CancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(4), TestContext.Current.CancellationToken);

        using var stopSecond = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var second = CliRunner.RunAsync([.. lab.Args("console"), "compute-0", "--force"], stdin: "", cancellationToken: stopSecond.Token);
        var taken = await first.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await stopSecond.CancelAsync();
        await second;

        Assert.True(taken.ExitCode == ExitCodes.Success, taken.Stderr);
        Assert.Contains("was taken over by another client", taken.Stderr, StringComparison.Ordinal);
    }
}
