using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using VMetal.Bmc.Configuration;
using VMetal.Bmc.Hosting;
using VMetal.Bmc.Machines;
using VMetal.Testing;
using VMetal.Testing.Bmc;

namespace VMetal.Bmc.Tests.Hosting;

/// <summary>The service follows its configuration directory as the deployer rewrites it.</summary>
public sealed class BmcHostTests : IDisposable
{
    private readonly TempDirectory _directory = new("vmetal-bmc-host");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task WrittenFilesAreServedWithoutARestart()
    {
        var backend = new InMemoryMachineBackend();
        var first = InMemoryMachineBackend.NewMachine("first");
        var second = InMemoryMachineBackend.NewMachine("second");
        backend.Define(first);
        backend.Define(second);
        var config = _directory.File("config");
        BmcConfigFile.Write(Path.Combine(config, "lab.json"), Workspace("lab", (first, FreePort.Udp())));
        await using var host = await BmcHost.StartAsync(new BmcHostOptions(config, _directory.File("state")), backend, NullLoggerFactory.Instance, TestContext.Current.CancellationToken);
        Assert.Equal([first.Id], host.IpmiEndPoints.Keys);

        BmcConfigFile.Write(Path.Combine(config, "lab.json"), Workspace("lab", (first, FreePort.Udp()), (second, FreePort.Udp())));
        await WaitUntilAsync(() => host.IpmiEndPoints.Count == 2);
        File.Delete(Path.Combine(config, "lab.json"));
        await WaitUntilAsync(() => host.IpmiEndPoints.Count == 0);

        Assert.Empty(host.IpmiEndPoints);
    }

    [Fact]
    public async Task AMachineThatIsNotDefinedYetGetsItsEndpointWhenItAppears()
    {
        var backend = new InMemoryMachineBackend();
        var later = InMemoryMachineBackend.NewMachine("later");
        var config = _directory.File("lab.json");
        BmcConfigFile.Write(config, Workspace("lab", (later, FreePort.Udp())));
        await using var host = await BmcHost.StartAsync(
            new BmcHostOptions(config, _directory.File("state")) { WatchConfiguration = false }, backend, NullLoggerFactory.Instance, TestContext.Current.CancellationToken);
        Assert.Empty(host.IpmiEndPoints);

        backend.Define(later);
        await WaitUntilAsync(() => host.IpmiEndPoints.ContainsKey(later.Id));
        backend.Undefine(later.Id);
        await WaitUntilAsync(() => host.IpmiEndPoints.Count == 0);
    }

    private static BmcWorkspaceConfig Workspace(string name, params (Machine Machine, int Port)[] machines) => new()
    {
        Workspace = name,
        Credentials = new BmcCredentials("vm-host", "host-test-pass"),
        Ipmi = new IpmiConfig(IPAddress.Loopback.ToString()),
        Machines = [.. machines.Select(m => new BmcMachineConfig(m.Machine.Id, m.Machine.Name, m.Port))],
    };

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.True(condition(), "the host did not follow the change within 5 s");
    }
}
