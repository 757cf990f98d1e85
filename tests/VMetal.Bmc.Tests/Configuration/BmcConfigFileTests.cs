using VMetal.Bmc.Configuration;
using VMetal.Testing;

namespace VMetal.Bmc.Tests.Configuration;

/// <summary>The configuration files the deployer writes and the service reads.</summary>
public sealed class BmcConfigFileTests : IDisposable
{
    private readonly TempDirectory _directory = new("vmetal-bmc-config");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void WrittenFileIsOwnerOnlyAndReadsBack()
    {
        var config = Workspace("lab1", 6230);
        var path = _directory.File(BmcConfigFile.FileName("lab1"));

        BmcConfigFile.Write(path, config);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.False(BmcConfigFile.IsReadableByOthers(path));
        var loaded = Assert.Single(BmcConfigFile.Load(_directory.Path));
        Assert.Equal(config.Credentials, loaded.Credentials);
        Assert.Equal(config.Machines, loaded.Machines);
        Assert.Equal(config.Redfish, loaded.Redfish);
    }

    [Fact]
    public void GeneratedCredentialsFitIpmiAndDiffer()
    {
        var first = BmcCredentials.Generate();
        var second = BmcCredentials.Generate();

        Assert.StartsWith("vm-", first.Username, StringComparison.Ordinal);
        Assert.InRange(first.Username.Length, 1, 16);
        Assert.Equal(20, first.Password.Length);
        Assert.NotEqual(first, second);
        Assert.DoesNotContain(first.Password, first.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"version": 2, "workspace": "a", "credentials": {"username": "u", "password": "12345678"}}""", "version: 2 is not supported")]
    [InlineData("""{"version": 1, "workspace": "-bad", "credentials": {"username": "u", "password": "12345678"}}""", "workspace:")]
    [InlineData("""{"version": 1, "workspace": "a", "credentials": {"username": "u:x", "password": "12345678"}}""", "credentials.username")]
    [InlineData("""{"version": 1, "workspace": "a", "credentials": {"username": "u", "password": "short"}}""", "credentials.password: must be 8 to 20 bytes")]
    [InlineData("""{"version": 1, "workspace": "a", "credentials": {"username": "u", "password": "12345678"}, "ipmi": {"address": "nope"}}""", "ipmi.address")]
    [InlineData("""{"version": 1, "workspace": "a", "credentials": {"username": "u", "password": "12345678"}, "ipmi": {"address": "127.0.0.1"}, "machines": [{"uuid": "6f1c1a4e-4a64-4d1e-9d83-5b8f4f4cb001", "name": "n"}]}""", "machines[0].ipmiPort: missing")]
    [InlineData("""{"version": 1, "workspace": "a", "credentials": {"username": "u", "password": "12345678"}, "redfish": {"address": "127.0.0.1", "port": 70000}}""", "redfish.port: 70000")]
    [InlineData("""{"version": 1, "workspace": "a", "credentials": {"username": "u", "password": "12345678"}, "colour": "blue"}""", "colour")]
    [InlineData("""{"version": 1, "workspace": """, "a.json")]
    public void InvalidFilesAreRefusedWithWhereAndWhy(string json, string expected)
    {
        var path = _directory.File("a.json");
        File.WriteAllText(path, json);

        var error = Assert.Throws<BmcConfigException>(() => BmcConfigFile.Load(path));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PasswordNeverAppearsInErrors()
    {
        const string secret = "this-is-way-too-long-a-secret";
        File.WriteAllText(_directory.File("a.json"), $$$"""{"version": 1, "workspace": "a", "credentials": {"username": "u", "password": "{{{secret}}}"}}""");

        var error = Assert.Throws<BmcConfigException>(() => BmcConfigFile.Load(_directory.Path));

        Assert.DoesNotContain(secret, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WorkspacesMustNotShareMachinesOrIpmiEndpoints()
    {
        var first = Workspace("lab1", 6230);
        var second = Workspace("lab2", 6230) with { Machines = [.. Workspace("x", 6230).Machines, first.Machines[0] with { IpmiPort = 6300 }] };
        BmcConfigFile.Write(_directory.File("lab1.json"), first);
        BmcConfigFile.Write(_directory.File("lab2.json"), second);

        var error = Assert.Throws<BmcConfigException>(() => BmcConfigFile.Load(_directory.Path));

        Assert.Contains($"machine {first.Machines[0].Uuid} is in more than one workspace: lab1, lab2", error.Message, StringComparison.Ordinal);
        Assert.Contains("IPMI endpoint 127.0.0.1:6230 is given to more than one machine: lab1/lab1-0, lab2/x-0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteRefusesAnInvalidConfigurationAndWritesNothing()
    {
        var path = _directory.File("bad.json");

        Assert.Throws<BmcConfigException>(() => BmcConfigFile.Write(path, Workspace("lab1", 6230) with { Credentials = new BmcCredentials("u", "x") }));

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void PortsStayStableAndNewMachinesTakeTheLowestFreePort()
    {
        var previous = Workspace("lab1", 6231) with { Machines = [new BmcMachineConfig(Guid.NewGuid(), "a", 6231), new BmcMachineConfig(Guid.NewGuid(), "b", 6233)] };
        var other = Workspace("lab2", 6230);

        var ports = IpmiPortAllocator.Allocate(["c", "b", "a", "d"], previous, [other]);

        Assert.Equal(6231, ports["a"]);
        Assert.Equal(6233, ports["b"]);
        Assert.Equal(6232, ports["c"]);
        Assert.Equal(6234, ports["d"]);
    }

    [Fact]
    public void EndpointsDescribeWhatIronicNeeds()
    {
        var config = Workspace("lab1", 6230) with { Redfish = new RedfishConfig("fd00::1", 8443) };

        var node = Assert.Single(BmcEndpoints.Describe(config));

        Assert.Equal("127.0.0.1", node.IpmiAddress);
        Assert.Equal(6230, node.IpmiPort);
        Assert.Equal(new Uri("https://[fd00::1]:8443"), node.RedfishAddress);
        Assert.Equal($"/redfish/v1/Systems/{config.Machines[0].Uuid}", node.RedfishSystemId);
        Assert.Equal(new Uri($"https://[fd00::1]:8443/redfish/v1/Systems/{config.Machines[0].Uuid}"), node.RedfishSystemUrl);
        Assert.Equal(config.Credentials.Password, node.Password);
    }

    [Fact]
    public void An_endpoints_one_line_description_names_only_the_protocols_served()
    {
        // up prints it: "--bmc redfish" printed "ipmi :, redfish …".
        var both = Workspace("lab1", 6230);
        var uuid = both.Machines[0].Uuid;

        var redfish = Assert.Single(BmcEndpoints.Describe(both with { Ipmi = null })).ToString();
        var ipmi = Assert.Single(BmcEndpoints.Describe(both with { Redfish = null })).ToString();
        var all = Assert.Single(BmcEndpoints.Describe(both)).ToString();

        Assert.Equal($"lab1-0: redfish https://127.0.0.1:8443/redfish/v1/Systems/{uuid}, user {both.Credentials.Username}", redfish);
        Assert.Equal($"lab1-0: ipmi 127.0.0.1:6230, user {both.Credentials.Username}", ipmi);
        Assert.Equal($"lab1-0: ipmi 127.0.0.1:6230, redfish https://127.0.0.1:8443/redfish/v1/Systems/{uuid}, user {both.Credentials.Username}", all);
    }

    private static BmcWorkspaceConfig Workspace(string name, int firstPort) => new()
    {
        Workspace = name,
        Credentials = BmcCredentials.Generate(),
        Ipmi = new IpmiConfig("127.0.0.1"),
        Redfish = new RedfishConfig("127.0.0.1", 8443),
        Machines = [new BmcMachineConfig(Guid.NewGuid(), $"{name}-0", firstPort)],
    };
}
