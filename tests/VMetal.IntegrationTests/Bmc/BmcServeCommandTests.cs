using System.Net;
using VMetal.Bmc.Configuration;
using VMetal.Testing;
using VMetal.Testing.Bmc;

namespace VMetal.IntegrationTests.Bmc;

/// <summary><c>vmetal bmc serve</c> through the real command tree: exit codes, and serving until stopped.</summary>
public sealed class BmcServeCommandTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task MissingConfigurationIsBadInput()
    {
        var result = await CliRunner.RunAsync("bmc", "serve", "--config", "/nonexistent/vmetal-bmc");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("/nonexistent/vmetal-bmc: no such file or directory", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidConfigurationIsBadInputAndNamesTheFile()
    {
        using var directory = new TempDirectory("vmetal-bmc-cli");
        var file = directory.File("lab.json");
        await File.WriteAllTextAsync(file, """{"version": 1, "workspace": "lab", "credentials": {"username": "u", "password": "short"}}""", TestContext.Current.CancellationToken);

        var result = await CliRunner.RunAsync("bmc", "serve", "--config", file);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{file}: credentials.password: must be 8 to 20 bytes", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableLibvirtIsCannotConnect()
    {
        using var directory = new TempDirectory("vmetal-bmc-cli");
        var file = directory.File("lab.json");
        BmcConfigFile.Write(file, new BmcWorkspaceConfig { Workspace = "lab", Credentials = BmcCredentials.Generate() });

        var result = await CliRunner.RunAsync("bmc", "serve", "--config", file, "--libvirt-socket", directory.File("no-socket"));

        Assert.Equal(4, result.ExitCode);
        Assert.Contains("cannot connect to libvirt", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServesTheSandboxUntilStopped()
    {
        var socket = sandbox.Require().LibvirtSocket;
        Assert.SkipUnless(Ipmitool.IsInstalled, "ipmitool is not installed (apt-get install ipmitool)");
        await using var lab = await SandboxBmcLab.StartAsync(sandbox, machines: 1, TestContext.Current.CancellationToken);
        await lab.Host.DisposeAsync(); // the command under test serves the same configuration instead
        var config = lab.Config with { Redfish = lab.Config.Redfish! with { Port = FreePort.Tcp() }, Machines = [lab.Config.Machines[0] with { IpmiPort = FreePort.Udp() }] };
        using var directory = new TempDirectory("vmetal-bmc-cli");
        BmcConfigFile.Write(directory.File("lab.json"), config);
        using var stop = new CancellationTokenSource();

        var serving = CliRunner.RunAsync(
            ["bmc", "serve", "--config", directory.Path, "--state-dir", directory.File("state"), "--libvirt-socket", socket], stdin: null, cancellationToken: stop.Token);
        var ipmitool = new Ipmitool(new IPEndPoint(IPAddress.Loopback, config.Machines[0].IpmiPort!.Value), config.Credentials.Username, config.Credentials.Password, 17);
        var status = await ipmitool.RunAsync("power status");
        for (var i = 0; i < 20 && status.ExitCode != 0; i++)
        {
            status = await ipmitool.RunAsync("power status");
        }

        Ipmitool.AssertSays(status, "Chassis Power is off");
        await stop.CancelAsync();
        var result = await serving;

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("serving 1 IPMI endpoint(s) and 1 Redfish listener(s)", result.Output, StringComparison.Ordinal);
    }
}
