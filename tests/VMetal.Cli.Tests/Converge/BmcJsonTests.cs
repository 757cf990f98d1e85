using System.Text.Json;
using System.Text.Json.Nodes;
using VMetal.Bmc.Configuration;
using VMetal.Cli.Commands;
using VMetal.Cli.Output;

namespace VMetal.Cli.Tests.Converge;

/// <summary>`up -o json` gives each BMC endpoint as fields a script can read, not as the sentence the text output prints.</summary>
public sealed class BmcJsonTests
{
    [Fact]
    public void Up_json_describes_each_nodes_bmc_with_fields_and_without_the_password()
    {
        var uuid = Guid.Parse("c2a48ad7-b191-502a-b476-ce7d2d63a47c");
        var endpoint = new BmcNodeEndpoint("lab-compute-0", uuid, "vm-abc", "secret-password-1234", "172.16.10.1", 6231,
            new Uri("https://172.16.10.1:8000"), $"/redfish/v1/Systems/{uuid}");
        var redfishOnly = endpoint with { Name = "lab-compute-1", IpmiAddress = null, IpmiPort = null };

        var json = JsonSerializer.Serialize(LabSession.BmcNodesJson([endpoint, redfishOnly]), ConsoleOutput.JsonOptions);
        var nodes = JsonNode.Parse(json)!.AsArray();

        var first = nodes[0]!.AsObject();
        Assert.Equal("lab-compute-0", first["name"]!.GetValue<string>());
        Assert.Equal(uuid.ToString(), first["uuid"]!.GetValue<string>());
        Assert.Equal("vm-abc", first["username"]!.GetValue<string>());
        Assert.Equal("172.16.10.1", first["ipmiAddress"]!.GetValue<string>());
        Assert.Equal(6231, first["ipmiPort"]!.GetValue<int>());
        Assert.Equal("https://172.16.10.1:8000", first["redfishAddress"]!.GetValue<string>());
        Assert.Equal($"/redfish/v1/Systems/{uuid}", first["redfishSystemId"]!.GetValue<string>());
        Assert.DoesNotContain("secret-password-1234", json, StringComparison.Ordinal);
        Assert.False(nodes[1]!.AsObject().ContainsKey("ipmiPort"));
    }
}
