using System.Text.Json.Nodes;
using VMetal.Bmc.Machines;
using VMetal.Testing.Bmc;

namespace VMetal.Bmc.Tests.Redfish;

/// <summary>Ironic's Redfish library (python3-sushy) against the Redfish service and in-memory machines.</summary>
public sealed class SushyTests : IAsyncLifetime
{
    private RedfishTestBmc _bmc = null!;

    public async ValueTask InitializeAsync()
    {
        Assert.SkipUnless(SushyClient.IsInstalled, "python3-sushy is not installed for /usr/bin/python3 (apt-get install python3-sushy)");
        _bmc = await RedfishTestBmc.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_bmc is not null)
        {
            await _bmc.DisposeAsync();
        }
    }

    [Fact]
    public async Task GetsTheSystemWithPowerBootAndMacs()
    {
        var machine = _bmc.AlphaMachine(0);

        var system = (await _bmc.Sushy(_bmc.Alpha).RunAsync(new { op = "system", id = $"/redfish/v1/Systems/{machine.Id}" }))[0]!;

        Assert.Equal(machine.Id.ToString(), (string?)system["uuid"]);
        Assert.Equal("alpha-0", (string?)system["name"]);
        Assert.Equal("Off", (string?)system["power_state"]);
        Assert.Equal("Hdd", (string?)system["boot"]!["target"]);
        Assert.Equal("Continuous", (string?)system["boot"]!["enabled"]);
        Assert.Equal("Legacy", (string?)system["boot"]!["mode"]);
        Assert.Equal(machine.MacAddresses, system["macs"]!.AsArray().Select(mac => (string?)mac));
        Assert.Contains("ForceRestart", system["allowed_resets"]!.AsArray().Select(v => (string?)v));
    }

    [Fact]
    public async Task InspectionInventoryIsWhatSushyReads()
    {
        var machine = _bmc.AlphaMachine(0) with
        {
            ProcessorCount = 4,
            MemoryMiB = 8192,
            Disks = [new MachineDisk("vda", 50L << 30), new MachineDisk("vdb", 10L << 30), new MachineDisk("vdc", null)],
        };
        _bmc.Backend.Define(machine);

        var inventory = (await _bmc.Sushy(_bmc.Alpha).RunAsync(new { op = "inventory", id = $"/redfish/v1/Systems/{machine.Id}" }))[0]!;

        Assert.Null(inventory["error"]?.ToJsonString());
        Assert.Equal(4, (int?)inventory["cpus"]);
        Assert.Equal("x86", (string?)inventory["architecture"]);
        Assert.Equal(8, (int?)inventory["memory_gib"]);
        Assert.Equal([10L << 30, 50L << 30], inventory["disks"]!.AsArray().Select(v => (long?)v));
        Assert.Equal(50L << 30, (long?)inventory["max_disk"]);
        Assert.Equal([0, 10L << 30, 50L << 30], inventory["drives"]!.AsArray().Select(v => (long?)v));
        Assert.Equal("Bios", (string?)inventory["bios"]!["BootMode"]);
        Assert.Equal(false, (bool?)inventory["secure_boot"]!["enabled"]);
        Assert.Equal("Disabled", (string?)inventory["secure_boot"]!["current"]);
    }

    [Fact]
    public async Task SushySendsTheETagAsIfMatchAndRecoversFromAStaleOne()
    {
        var machine = _bmc.AlphaMachine(0);
        var id = $"/redfish/v1/Systems/{machine.Id}";

        var results = await _bmc.Sushy(_bmc.Alpha).RunAsync(
            new { op = "etag", id },
            new { op = "stale_set_boot", id, target = "Pxe", enabled = "Continuous" },
            new { op = "system", id });

        Assert.Matches("^\"[0-9a-f]{16}\"$", (string?)results[0]);
        // sushy sent If-Match with the ETag it had read; the system had changed since, so the BMC refused with 412, and
        // sushy, as it does with real BMCs, sent the PATCH again without If-Match, which was done.
        var stale = (string?)results[1]!["etag"];
        var log = results[1]!["log"]!.AsArray().Select(line => (string)line!).ToList();
        Assert.True(log.Count >= 4, string.Join('\n', log));
        Assert.Contains($"'If-Match': '{stale}'", log[0], StringComparison.Ordinal);
        Assert.Contains("status code: 412", log[1], StringComparison.Ordinal);
        Assert.DoesNotContain("If-Match", log[^2], StringComparison.Ordinal);
        Assert.EndsWith("status code: 204", log[^1], StringComparison.Ordinal);
        Assert.Equal("Pxe", (string?)results[2]!["boot"]!["target"]);
        Assert.Equal(new BootSettings(BootTarget.Pxe, BootOverride.Continuous, BootMode.Legacy), _bmc.AlphaMachine(0).Boot);
    }

    [Fact]
    public async Task SetsBootOptionsResetsAndReadsPowerBack()
    {
        var machine = _bmc.AlphaMachine(1);
        var id = $"/redfish/v1/Systems/{machine.Id}";

        var results = await _bmc.Sushy(_bmc.Alpha).RunAsync(
            new { op = "set_boot", id, target = "Pxe", enabled = "Once", mode = "UEFI" },
            new { op = "system", id },
            new { op = "reset", id, type = "On" },
            new { op = "system", id },
            new { op = "reset", id, type = "ForceOff" },
            new { op = "system", id });

        AssertNoError(results);
        Assert.Equal("Pxe", (string?)results[1]!["boot"]!["target"]);
        Assert.Equal("Once", (string?)results[1]!["boot"]!["enabled"]);
        Assert.Equal("UEFI", (string?)results[1]!["boot"]!["mode"]);
        Assert.Equal("On", (string?)results[3]!["power_state"]);
        Assert.Equal("Hdd", (string?)results[3]!["boot"]!["target"]); // the once override was used by that boot
        Assert.Equal("Off", (string?)results[5]!["power_state"]);
        Assert.Equal([PowerAction.On, PowerAction.ForceOff], _bmc.Backend.ActionLog.Where(a => a.Id == machine.Id).Select(a => a.Action));
    }

    [Fact]
    public async Task ListsOnlyTheSystemsOfTheCallersWorkspace()
    {
        var alpha = (await _bmc.Sushy(_bmc.Alpha).RunAsync(new { op = "systems" }))[0]!.AsArray().Select(v => (string?)v);
        var beta = (await _bmc.Sushy(_bmc.Beta).RunAsync(new { op = "systems" }))[0]!.AsArray().Select(v => (string?)v);

        Assert.Equal(_bmc.Alpha.Machines.Select(m => $"/redfish/v1/Systems/{m.Uuid}").Order(), alpha);
        Assert.Equal([$"/redfish/v1/Systems/{_bmc.Beta.Machines[0].Uuid}"], beta);
    }

    [Fact]
    public async Task AnotherWorkspacesCredentialsDoNotOpenTheSystem()
    {
        var machine = _bmc.AlphaMachine(0);

        var results = await _bmc.Sushy(_bmc.Beta).RunAsync(new { op = "reset", id = $"/redfish/v1/Systems/{machine.Id}", type = "On" });

        Assert.Equal(404, (int?)results[0]!["error"]!["status"]);
        Assert.Equal(PowerState.Off, _bmc.AlphaMachine(0).Power);
    }

    [Fact]
    public async Task WrongCredentialsGet401()
    {
        var client = new SushyClient(_bmc.BaseAddress, _bmc.Alpha.Credentials.Username, "wrong-password");

        var results = await client.RunAsync(new { op = "system", id = $"/redfish/v1/Systems/{_bmc.AlphaMachine(0).Id}" });

        Assert.Equal(401, (int?)results[0]!["error"]!["status"]);
    }

    [Fact]
    public async Task InsertsAndEjectsVirtualMedia()
    {
        var machine = _bmc.AlphaMachine(0);
        var id = $"/redfish/v1/Systems/{machine.Id}";

        var inserted = await _bmc.Sushy(_bmc.Alpha).RunAsync(new { op = "insert_media", id, image = "http://192.0.2.10/images/ipa.iso" });
        Assert.Equal(new Uri("http://192.0.2.10/images/ipa.iso"), _bmc.AlphaMachine(0).Media.Image);
        var ejected = await _bmc.Sushy(_bmc.Alpha).RunAsync(new { op = "eject_media", id });

        AssertNoError(inserted);
        AssertNoError(ejected);
        Assert.False(_bmc.AlphaMachine(0).Media.Inserted);
    }

    private static void AssertNoError(JsonArray results) =>
        Assert.All(results, result => Assert.False(result is JsonObject o && o.ContainsKey("error"), result?.ToJsonString()));
}
