using System.Globalization;
using VMetal.IntegrationTests.Prepare;
using VMetal.Testing;
using static VMetal.IntegrationTests.Prepare.HypervisorCli;

namespace VMetal.IntegrationTests.Check;

/// <summary>
/// <c>vmetal check</c> against the sandbox, which runs on this very machine: what it reports is
/// compared with what this machine's /proc says.
/// </summary>
public sealed class CheckCommandTests(SandboxFixture sandbox)
{
    private static readonly string[] CpuFlags = File.ReadLines("/proc/cpuinfo")
        .FirstOrDefault(line => line.StartsWith("flags", StringComparison.Ordinal))?.Split(' ') ?? [];

    private static bool HasHardwareVirtualization => CpuFlags.Contains("vmx") || CpuFlags.Contains("svm");

    [Fact]
    public async Task Check_on_the_sandbox_tells_the_truth_about_this_machine_and_exits_0()
    {
        var environment = sandbox.Require();

        var (cli, result) = await RunJsonAsync(["check", .. SandboxArguments(environment)]);

        Assert.True(cli.ExitCode == 0, cli.Output);
        Assert.DoesNotContain(result.Checks, check => check.Value.Status == "fail");
        var threads = (await ProcessRunner.RunAsync("nproc", [])).EnsureSuccess("nproc").Stdout.Trim();
        Assert.StartsWith($"{threads} threads", result.Checks["cpu"].Found, StringComparison.Ordinal);
        Assert.Equal(int.Parse(threads, CultureInfo.InvariantCulture) < 4 ? "warn" : "pass", result.Checks["cpu"].Status);
        var memTotalKiB = long.Parse(File.ReadLines("/proc/meminfo").First(line => line.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        Assert.StartsWith($"{(memTotalKiB / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture)} GiB total", result.Checks["memory"].Found, StringComparison.Ordinal);
        Assert.StartsWith("Debian GNU/Linux 12", result.Checks["os"].Found, StringComparison.Ordinal);
        Assert.Equal(("pass", "vmadmin runs sudo without a password"), result.Checks["sudo"]);
        Assert.Equal("pass", result.Checks["libvirt"].Status);
        Assert.StartsWith("libvirt ", result.Checks["libvirt"].Found, StringComparison.Ordinal);
        if (HasHardwareVirtualization)
        {
            Assert.Equal("pass", result.Checks["hardware-virtualization"].Status);
        }
        else
        {
            Assert.Equal("warn", result.Checks["hardware-virtualization"].Status);
            Assert.Contains("software emulation", result.Checks["hardware-virtualization"].Found, StringComparison.Ordinal);
            Assert.Equal(("pass", "not applicable: no vmx/svm"), result.Checks["nested-kvm"]);
        }
    }

    [Fact]
    public async Task Require_kvm_fails_with_exit_3_on_a_cpu_without_vmx_or_svm()
    {
        var environment = sandbox.Require();
        Assert.SkipWhen(HasHardwareVirtualization, "this machine's CPU has vmx/svm");

        var (cli, result) = await RunJsonAsync(["check", "--require-kvm", .. SandboxArguments(environment)]);

        Assert.Equal(3, cli.ExitCode);
        Assert.Equal("fail", result.Checks["hardware-virtualization"].Status);
        Assert.Contains("check(s) failed: hardware-virtualization", cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_output_is_a_table_of_every_check_with_found_required_and_fix()
    {
        var environment = sandbox.Require();

        var cli = await CliRunner.RunAsync(["check", .. SandboxArguments(environment)], stdin: null, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(0, cli.ExitCode);
        foreach (var column in new[] { "check", "status", "found", "required", "fix" })
            Assert.Contains($" {column} ", cli.Stdout, StringComparison.Ordinal);
        foreach (var id in new[] { "sudo", "os", "package-manager", "repositories", "packages", "ipxe", "cpu", "memory", "disk", "kvm", "nested-kvm", "libvirt", "uefi-firmware" })
            Assert.Contains($"│ {id} ", cli.Stdout, StringComparison.Ordinal);
        Assert.Contains("can host the lab", cli.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_topology_larger_than_the_host_fails_on_memory_unless_overcommitted_and_warns_on_thin_disks()
    {
        var environment = sandbox.Require();
        // 16 computes: 128 GiB of RAM and 1 TiB of virtual disk, far beyond this machine.
        string[] topology = ["--topology-nodes", "compute:16"];

        var (strict, strictResult) = await RunJsonAsync(["check", .. topology, .. SandboxArguments(environment)]);
        var (overcommitted, overcommittedResult) = await RunJsonAsync(["check", .. topology, "--host-memory-overcommit", .. SandboxArguments(environment)]);

        Assert.Equal(3, strict.ExitCode);
        Assert.Equal("fail", strictResult.Checks["memory"].Status);
        Assert.Equal(0, overcommitted.ExitCode);
        Assert.Equal("warn", overcommittedResult.Checks["memory"].Status);
        Assert.Equal("warn", overcommittedResult.Checks["disk"].Status);
        Assert.Contains("the topology's VMs have 64 vCPUs", overcommittedResult.Checks["cpu"].Found, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_topology_is_bad_input_before_any_connection()
    {
        var cli = await CliRunner.RunAsync(["check", "--topology-nodes", "nosuchnode:1", "--host", "root@198.18.90.2:9"], stdin: null,
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(2, cli.ExitCode);
        Assert.Contains("nosuchnode", cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_host_exits_4_for_check_and_prepare_and_prepare_changes_nothing()
    {
        var environment = sandbox.Require();
        using var workspace = new TempDirectory("vmetal-unreachable");
        var workspaceDirectory = Path.Combine(workspace.Path, "ws");
        string[] blackhole = ["--host", $"vmadmin@{environment.Blackhole}", "--known-hosts", environment.KnownHostsPath, "--key", environment.KeyPath,
            "--connect-timeout", "2"];

        var check = await CliRunner.RunAsync(["check", .. blackhole], stdin: null, cancellationToken: TestContext.Current.CancellationToken);
        var prepare = await CliRunner.RunAsync(["prepare", "--workspace-dir", workspaceDirectory, .. blackhole], stdin: null,
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(4, check.ExitCode);
        Assert.Equal(4, prepare.ExitCode);
        Assert.Contains(environment.Blackhole.Split(':')[0], prepare.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(workspaceDirectory));

        var next = await CliRunner.RunAsync(["check", .. SandboxArguments(environment)], stdin: null, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(0, next.ExitCode);
    }
}
