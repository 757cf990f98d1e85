using VMetal.Cli.Output;
using VMetal.Testing;

namespace VMetal.Cli.Tests.Converge;

/// <summary>Options of the lab commands, checked through the real command tree; nothing here reaches a hypervisor.</summary>
public sealed class ConvergeCommandOptionTests
{
    /// <summary>Nothing listens on port 1: a run that gets as far as connecting fails at once.</summary>
    private const string ClosedLoopbackHost = "root@127.0.0.1:1";

    /// <summary>The options a command's --help lists (the first one of each line).</summary>
    private static async Task<IReadOnlyList<string>> OptionsAsync(string command)
    {
        var help = await CliRunner.RunAsync(command, "--help");
        Assert.Equal(ExitCodes.Success, help.ExitCode);
        return [.. help.Stdout.Split('\n').Select(line => line.TrimStart())
            .Where(line => line.StartsWith("--", StringComparison.Ordinal)).Select(line => line.Split(' ', ',')[0])];
    }

    [Fact]
    public async Task Plan_takes_every_option_up_takes()
    {
        var up = await OptionsAsync("up");
        var plan = await OptionsAsync("plan");

        Assert.Contains("--bmc", up);
        Assert.Contains("--prepare", up);
        Assert.Empty(up.Except(plan));
    }

    [Fact]
    public async Task Plan_names_the_options_only_up_acts_on_and_goes_on_to_the_host()
    {
        var result = await CliRunner.RunAsync("plan", "--host", ClosedLoopbackHost, "--topology-nodes", "compute:1", "--prepare", "--skip-checks",
            "--host-memory-overcommit", "--require-kvm", "--bmc", "ipmi", "--bmc-port", "8443", "--start");

        // Accepted (exit 4: the closed port), not refused as usage (2).
        Assert.Equal(ExitCodes.CannotConnect, result.ExitCode);
        Assert.Contains("plan checks, prepares and downloads nothing: --prepare, --skip-checks, --require-kvm, --host-memory-overcommit only affect up",
            result.Output, StringComparison.Ordinal);
    }

    /// <summary>up would only fail at deploying the BMCs, after creating the lab.</summary>
    [Theory]
    [InlineData("up", "--bmc-port", "70000", "--bmc-port '70000': give a TCP port from 1 to 65535")]
    [InlineData("plan", "--bmc-port", "0", "--bmc-port '0': give a TCP port from 1 to 65535")]
    [InlineData("up", "--bmc-address", "notanip", "--bmc-address 'notanip': give an IP address of the hypervisor, e.g. 172.16.0.1")]
    public async Task Bad_bmc_options_are_refused_before_the_host_is_contacted(string command, string option, string value, string message)
    {
        var result = await CliRunner.RunAsync(command, "--host", ClosedLoopbackHost, "--topology-nodes", "compute:1", option, value);

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>`--prefix "$PREFIX"` with the variable unset must not become "every lab of every workspace".</summary>
    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public async Task Cleanup_refuses_an_empty_prefix_before_the_host_is_contacted(string prefix)
    {
        var result = await CliRunner.RunAsync("cleanup", "--host", ClosedLoopbackHost, "--prefix", prefix);

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("--prefix is empty: give the prefix of the labs to remove, or leave --prefix out to remove every vmetal lab on the host",
            result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_checks_the_image_digest_as_up_does()
    {
        var result = await CliRunner.RunAsync("plan", "--host", ClosedLoopbackHost, "--topology-nodes", "compute:1", "--image-sha256", "abc");

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("--image-sha256 'abc' is not a SHA-256 digest", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_without_apply_only_options_says_nothing_about_them()
    {
        var result = await CliRunner.RunAsync("plan", "--host", ClosedLoopbackHost, "--topology-nodes", "compute:1", "-o", "json");

        Assert.Equal(ExitCodes.CannotConnect, result.ExitCode);
        Assert.DoesNotContain("only affect up", result.Output, StringComparison.Ordinal);
    }
}
