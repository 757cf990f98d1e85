using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using VMetal.Cli;
using VMetal.Hosting;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Hosting;

/// <summary>Commands, sudo, concurrency, timeouts and file transfer over one SSH connection to the sandbox.</summary>
public sealed class SshCommandTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task Runs_virsh_as_root_through_sudo_and_sees_the_sandbox_domains()
    {
        var name = TestNames.Unique("ssh");
        (await sandbox.VirshResultAsync(["define", "/dev/stdin"],
            $"<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>"))
            .EnsureSuccess(HostCommand.Of("virsh define"), sandbox.Require().Target);
        try
        {
            await using var host = await sandbox.ConnectAsync();

            var result = await host.RunAsync(HostCommand.AsRoot("virsh -c qemu:///system list --all"));

            Assert.Equal(0, result.ExitCode);
            Assert.Matches(@"Id\s+Name\s+State", result.Stdout);
            Assert.Contains(result.Stdout.Split('\n'), line => line.Contains(name, StringComparison.Ordinal) && line.Contains("shut off", StringComparison.Ordinal));
            Assert.False(host.IsRoot);
            Assert.Equal("0", (await host.RunAsync(HostCommand.AsRoot("id -u"))).Stdout.Trim());
        }
        finally
        {
            await sandbox.VirshAsync("undefine", name);
        }
    }

    [Fact]
    public async Task Twenty_commands_in_flight_on_one_connection_all_complete()
    {
        await using var host = await sandbox.ConnectAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            host.RunAsync(HostCommand.Of($"sleep 0.5; echo command-{i}; echo err-{i} >&2; exit {i % 3}"))));

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal($"command-{i}", results[i].Stdout.Trim());
            Assert.Equal($"err-{i}", results[i].Stderr.Trim());
            Assert.Equal(i % 3, results[i].ExitCode);
        }
    }

    [Fact]
    public async Task Stdin_reaches_the_command_byte_for_byte()
    {
        await using var host = await sandbox.ConnectAsync();
        var payload = RandomNumberGenerator.GetBytes(256 * 1024);

        var result = await host.RunAsync(new HostCommand("sha256sum") { Stdin = payload });

        Assert.StartsWith(Convert.ToHexStringLower(SHA256.HashData(payload)), result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_over_its_timeout_is_stopped_with_a_timeout_error()
    {
        await using var host = await sandbox.ConnectAsync();
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<HostCommandTimeoutException>(() =>
            host.RunAsync(new HostCommand("sleep 30") { Timeout = TimeSpan.FromSeconds(1) }));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
        Assert.Contains("did not finish within 1 s", error.Message, StringComparison.Ordinal);
        Assert.Equal("still usable", (await host.RunAsync(HostCommand.Of("echo still usable"))).Stdout.Trim());
    }

    [Fact]
    public async Task Cancelling_a_command_stops_waiting_for_it()
    {
        await using var host = await sandbox.ConnectAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => host.RunAsync(HostCommand.Of("sleep 30"), cancel.Token));

        Assert.True((await host.RunAsync(HostCommand.Of("true"))).Succeeded);
    }

    [Fact]
    public async Task Files_are_written_atomically_as_root_with_mode_and_owner_and_read_back()
    {
        await using var host = await sandbox.ConnectAsync();
        var directory = $"/etc/{TestNames.Unique("files")}";
        var path = $"{directory}/data.bin";
        var content = RandomNumberGenerator.GetBytes(1024 * 1024);
        try
        {
            await host.WriteFileAsync(path, new MemoryStream(content),
                new FileWriteOptions { Sudo = true, Mode = Convert.ToInt32("640", 8), Owner = "root:libvirt" });

            var stat = await host.RunCheckedAsync(HostCommand.AsRoot($"stat -c '%a %U %G %s' {path}; ls -A {directory}"));
            Assert.Equal(["640 root libvirt 1048576", "data.bin"], stat.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal(content, await host.ReadFileAsync(path, sudo: true));
            await Assert.ThrowsAsync<HostCommandException>(() => host.ReadFileAsync(path, sudo: false));
        }
        finally
        {
            await host.RunAsync(HostCommand.AsRoot($"rm -rf {directory}"));
        }
    }

    [Fact]
    public async Task Cli_exec_passes_output_stdin_and_exit_code_through()
    {
        var environment = sandbox.Require();

        var result = await CliRunner.RunAsync(
            ["exec", "--host", environment.Host, "--key", environment.KeyPath, "--known-hosts", environment.KnownHostsPath,
             "--", "tr a-z A-Z; echo to-stderr >&2; exit 3"],
            stdin: "shout\n");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("SHOUT", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("to-stderr", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Interrupting <c>vmetal exec</c> stops the remote command too (closing the channel alone would not: it reads nothing).</summary>
    [Fact]
    public async Task An_interrupted_cli_exec_stops_the_remote_command()
    {
        var environment = sandbox.Require();
        var pidFile = $"/tmp/vmetal-exec-interrupt-{Guid.NewGuid():N}.pid";
        using var interrupt = new CancellationTokenSource();

        var run = CliRunner.RunAsync(
            ["exec", "--host", environment.Host, "--key", environment.KeyPath, "--known-hosts", environment.KnownHostsPath,
             "--", $"echo $$ >{pidFile}; exec sleep 300"],
            stdin: null, cancellationToken: interrupt.Token);
        await using var host = await new HostConnector().ConnectAsync(environment.HostSettings);
        var pid = await WaitForFileAsync(host, pidFile);
        await interrupt.CancelAsync();
        var result = await run;

        Assert.True(result.ExitCode == ExitCodes.Cancelled, result.Output);
        var alive = await host.RunAsync(HostCommand.Of($"for i in $(seq 50); do kill -0 {pid} 2>/dev/null || exit 1; sleep 0.1; done; exit 0"));
        await host.RunAsync(HostCommand.Of($"kill {pid} 2>/dev/null; rm -f {pidFile}"));
        Assert.True(alive.ExitCode == 1, $"remote process {pid} still runs 5 s after the interruption");
    }

    /// <summary>A CI runner's timeout sends SIGTERM: the real process exits 143 and takes the remote command with it.</summary>
    [Fact]
    public async Task A_terminated_vmetal_process_exits_143_and_stops_the_remote_command()
    {
        var environment = sandbox.Require();
        var binary = VMetalBinary.Require();
        var pidFile = $"/tmp/vmetal-exec-term-{Guid.NewGuid():N}.pid";
        var start = new ProcessStartInfo(binary)
        {
            ArgumentList = { "exec", "--host", environment.Host, "--key", environment.KeyPath, "--known-hosts", environment.KnownHostsPath,
                             "--", $"echo $$ >{pidFile}; exec sleep 300" },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var vmetal = Process.Start(start)!;
        await using var host = await new HostConnector().ConnectAsync(environment.HostSettings);
        var pid = await WaitForFileAsync(host, pidFile);

        (await ProcessRunner.RunAsync("kill", "-TERM", vmetal.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))).EnsureSuccess("kill -TERM vmetal");
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await vmetal.WaitForExitAsync(limit.Token);

        var alive = await host.RunAsync(HostCommand.Of($"for i in $(seq 50); do kill -0 {pid} 2>/dev/null || exit 1; sleep 0.1; done; exit 0"));
        await host.RunAsync(HostCommand.Of($"kill {pid} 2>/dev/null; rm -f {pidFile}"));
        Assert.Equal(ExitCodes.Terminated, vmetal.ExitCode);
        Assert.True(alive.ExitCode == 1, $"remote process {pid} still runs 5 s after vmetal was terminated");
    }

    private static async Task<string> WaitForFileAsync(IHostConnection host, string path)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var read = await host.RunAsync(HostCommand.Of($"cat {path} 2>/dev/null"));
            if (read.ExitCode == 0 && read.Stdout.Trim() is { Length: > 0 } content)
                return content;
            await Task.Delay(100);
        }
        throw new TimeoutException($"{path} never appeared on the host");
    }

    [Fact]
    public async Task A_host_that_never_answers_fails_with_exit_4_within_the_connect_timeout()
    {
        var environment = sandbox.Require();
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<HostConnectionException>(() => new HostConnector().ConnectAsync(
            environment.HostSettings with { Target = HostTarget.Parse($"vmadmin@{environment.Blackhole}"), ConnectTimeout = TimeSpan.FromSeconds(2) }));
        var cli = await CliRunner.RunAsync("exec", "--host", $"vmadmin@{environment.Blackhole}", "--key", environment.KeyPath,
            "--known-hosts", environment.KnownHostsPath, "--connect-timeout", "2", "--", "true");

        Assert.Equal(ConnectFailure.Timeout, error.Failure);
        Assert.Equal(4, cli.ExitCode);
        Assert.Contains("no answer within 2 s", cli.Stderr, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_closed_port_fails_with_exit_4_connection_refused()
    {
        var environment = sandbox.Require();

        var result = await CliRunner.RunAsync("exec", "--host", "vmadmin@127.0.0.1:1", "--key", environment.KeyPath,
            "--known-hosts", environment.KnownHostsPath, "--", "true");

        Assert.Equal(4, result.ExitCode);
        Assert.Contains("connection refused", result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Sandbox_ssh_runs_as_the_sudoer_and_relays_stdin()
    {
        sandbox.Require();

        var result = await CliRunner.RunAsync(["sandbox", "ssh", "--", "id -un; wc -c"], stdin: new string('x', 5000));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["vmadmin", "5000"], result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task Output_is_decoded_as_utf8()
    {
        await using var host = await sandbox.ConnectAsync();
        var text = "naïve ☃ 日本";

        var result = await host.RunAsync(new HostCommand("cat") { Stdin = Encoding.UTF8.GetBytes(text) });

        Assert.Equal(text, result.Stdout);
    }
}
