using VMetal.Testing;

namespace VMetal.Cli.Tests.Virsh;

/// <summary>
/// `vmetal virsh` through the real command tree. Nothing here reaches a hypervisor: bad input
/// stops before any connection, and the one host used is a closed port on loopback.
/// </summary>
public sealed class VirshCommandTests
{
    /// <summary>Nothing listens on port 1: a run that gets as far as connecting fails at once.</summary>
    private const string ClosedLoopbackHost = "127.0.0.1:1";

    [Theory]
    [InlineData(new[] { "virsh", "--frobnicate" }, "error: unknown flag '--frobnicate'; 'vmetal virsh --help' lists the infrared flags vmetal accepts")]
    [InlineData(new[] { "virsh", "--cleanup", "maybe" }, "error: --cleanup: expected yes, no, true or false, got 'maybe'")]
    [InlineData(new[] { "virsh", "--host-address", "hv", "--host", "root@hv", "--topology-nodes", "compute:1" },
        "error: give the hypervisor once: --host-address (infrared) or --host (vmetal), not both")]
    [InlineData(new[] { "virsh", "--host-key", "/a", "--key", "/b", "--kill", "yes" }, "error: give the key once: --host-key (infrared) or --key (vmetal), not both")]
    [InlineData(new[] { "virsh", "--host-address", ClosedLoopbackHost, "--topology-nodes", "compute:1", "--virtopts=--cpu=host" },
        "error: --virtopts: vmetal defines VMs from libvirt XML, not with virt-install; put the change in a node file (--topology-dir) or an -e override")]
    public async Task Bad_input_exits_2_with_the_message_and_changes_nothing(string[] args, string firstLine)
    {
        var result = await CliRunner.RunAsync(args);

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Equal(firstLine, result.Stderr.Split('\n')[0]);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task Several_problems_are_listed_one_per_line()
    {
        var result = await CliRunner.RunAsync("virsh", "--host-address", "a,b", "--topology-nodes", "c:1", "--bootmode", "efi");

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Equal(
            "error: 2 problems:\n" +
            "  --host-address: vmetal drives one hypervisor per run, got a, b; run vmetal virsh once per hypervisor, each with its own --workspace\n" +
            "  --bootmode: 'efi' is not one of bios, uefi\n",
            result.Stderr);
    }

    [Fact]
    public async Task An_invalid_topology_is_refused_before_the_host_is_contacted()
    {
        // infrared's -vv is vmetal's --verbose.
        var result = await CliRunner.RunAsync("virsh", "-vv", "--host-address", ClosedLoopbackHost, "--topology-nodes", "nosuchtype:1");

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("nosuchtype", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("connecting to", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_infrared_extra_vars_file_is_read_as_in_infrared()
    {
        using var directory = new TempDirectory();
        var file = directory.File("vars.yml");
        await File.WriteAllTextAsync(file, "override:\n  compute:\n    memory: 1234\n", TestContext.Current.CancellationToken);

        var result = await CliRunner.RunAsync("virsh", "-vv", "--host-address", ClosedLoopbackHost, "--topology-nodes", "compute:1", "-e", "@" + file);
        var rendered = await CliRunner.RunAsync("render", "--topology-nodes", "compute:1", "-e", "@" + file, "-o", "json");

        // The file is read and valid: bad input would stop at exit 2 before connecting.
        Assert.Equal(ExitCodes.CannotConnect, result.ExitCode);
        Assert.Equal(ExitCodes.Success, rendered.ExitCode);
        Assert.Contains("\"memoryMiB\": 1234", rendered.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_extend_takes_the_overrides_of_the_run_that_built_the_lab()
    {
        // The lab has undercloud and controller nodes; the extend names only the type it adds, but
        // a CI job passes its usual -e overrides, as the extend must keep the existing nodes unchanged.
        var result = await CliRunner.RunAsync("virsh", "--host-address", ClosedLoopbackHost, "--connect-timeout", "2",
            "--topology-nodes", "compute:1", "--topology-extend", "yes",
            "-e", "override.controller.memory=512", "-e", "override.undercloud.memory=512", "-e", "override.compute.memory=512");

        Assert.DoesNotContain("unknown node file", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.CannotConnect, result.ExitCode);
    }

    [Theory]
    [InlineData("up", "--topology-nodes", "compute:1", "--prefix", "ab")]
    [InlineData("down", "--kill", "yes", "--topology-nodes", "compute:1")]
    [InlineData("cleanup", "--cleanup", "yes", "--prefix", "ab")]
    [InlineData("remove-nodes", "--remove-nodes", "compute-1")]
    public async Task A_valid_command_line_runs_the_vmetal_command_against_the_given_host(string command, params string[] flags)
    {
        var result = await CliRunner.RunAsync(["virsh", "--host-address", ClosedLoopbackHost, "--host-user", "ci", .. flags,
            "--workspace", "virsh-unit", "--connect-timeout", "2"]);

        Assert.Equal(ExitCodes.CannotConnect, result.ExitCode);
        Assert.Contains("127.0.0.1", result.Stderr, StringComparison.Ordinal);
        if (command != "up")
        {
            // Provisioning connects once before it runs up (to read the workspace), so only the others get to say what they run.
            Assert.StartsWith($"running vmetal {command} ", result.Stdout, StringComparison.Ordinal);
            Assert.EndsWith("--host ci@127.0.0.1:1 --connect-timeout 2 --workspace virsh-unit\n", result.Stdout, StringComparison.Ordinal);
        }
    }
}

/// <summary>The key and known_hosts paths given on the command line, as the hypervisor connection gets them.</summary>
public sealed class HostPathTests
{
    private sealed class RecordingConnector : VMetal.Hosting.IHostConnector
    {
        public VMetal.Hosting.HostSettings? Settings { get; private set; }

        public Task<VMetal.Hosting.IHostConnection> ConnectAsync(VMetal.Hosting.HostSettings settings, CancellationToken cancellationToken = default)
        {
            Settings = settings;
            throw new VMetalException(FailureKind.Connection, "recorded");
        }
    }

    /// <summary>`hosts` and `ssh.config` name these files and are used from other directories.</summary>
    [Fact]
    public async Task Relative_key_and_known_hosts_paths_become_absolute()
    {
        var connector = new RecordingConnector();

        var result = await CliRunner.RunAsync(["virsh", "--host-address", "hv", "--host-key", "keys/hv_key", "--known-hosts", "kh",
            "--topology-nodes", "compute:1", "--workspace", "virsh-unit"], stdin: null, connector);

        Assert.Equal(ExitCodes.CannotConnect, result.ExitCode);
        Assert.Equal(Path.GetFullPath("keys/hv_key"), connector.Settings?.KeyPath);
        Assert.Equal(Path.GetFullPath("kh"), connector.Settings?.KnownHostsPath);
    }
}
