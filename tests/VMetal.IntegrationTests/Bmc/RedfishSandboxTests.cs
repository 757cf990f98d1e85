using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using VMetal.Testing;
using VMetal.Testing.Bmc;

namespace VMetal.IntegrationTests.Bmc;

/// <summary>Ironic's Redfish library (python3-sushy) against the BMC, each change checked with virsh in the sandbox.</summary>
public sealed class RedfishSandboxTests(SandboxFixture sandbox)
    : SandboxBmcTest(sandbox, machines: 1, SushyClient.IsInstalled, "python3-sushy is not installed for /usr/bin/python3 (apt-get install python3-sushy)")
{
    [Fact]
    public async Task SushyGetsSetsBootResetsAndReadsPowerBack()
    {
        var id = $"/redfish/v1/Systems/{Lab.Uuid(0)}";

        var results = await Lab.Sushy().RunAsync(
            new { op = "system", id },
            new { op = "set_boot", id, target = "Hdd", enabled = "Continuous" },
            new { op = "reset", id, type = "On" },
            new { op = "system", id });

        AssertNoError(results);
        Assert.Equal("Off", (string?)results[0]!["power_state"]);
        Assert.Equal("Pxe", (string?)results[0]!["boot"]!["target"]);
        Assert.Equal(["52:54:00:b3:00:00"], results[0]!["macs"]!.AsArray().Select(m => (string?)m));
        Assert.Equal("On", (string?)results[3]!["power_state"]);
        Assert.Equal("Hdd", (string?)results[3]!["boot"]!["target"]);
        Assert.Equal("running", await Lab.DomStateAsync(0));
        Assert.Equal(["disk", "nic"], (await Lab.BootAsync(0)).Order);

        var off = await Lab.Sushy().RunAsync(new { op = "reset", id, type = "ForceOff" }, new { op = "system", id });

        AssertNoError(off);
        Assert.Equal("Off", (string?)off[1]!["power_state"]);
        Assert.Equal("shut off", await Lab.DomStateAsync(0));
    }

    [Fact]
    public async Task PxeOnceIsUsedByTheNextBootOnly()
    {
        var id = $"/redfish/v1/Systems/{Lab.Uuid(0)}";
        AssertNoError(await Lab.Sushy().RunAsync(new { op = "set_boot", id, target = "Hdd", enabled = "Continuous" }));

        var once = await Lab.Sushy().RunAsync(new { op = "set_boot", id, target = "Pxe", enabled = "Once" }, new { op = "system", id });
        var pending = await Lab.BootAsync(0);
        var booted = await Lab.Sushy().RunAsync(new { op = "reset", id, type = "ForceRestart" }, new { op = "system", id });

        AssertNoError(once);
        AssertNoError(booted);
        Assert.Equal("Once", (string?)once[1]!["boot"]!["enabled"]);
        Assert.Equal(["nic", "disk"], pending.Order);
        Assert.True(pending.OncePending);
        Assert.Equal("Continuous", (string?)booted[1]!["boot"]!["enabled"]);
        Assert.Equal("Hdd", (string?)booted[1]!["boot"]!["target"]);
        Assert.Equal(["disk", "nic"], (await Lab.BootAsync(0)).Order);
    }

    [Fact]
    public async Task PowerCycleStartsADomainThatIsOffAndNmiIsRefused()
    {
        var id = $"/redfish/v1/Systems/{Lab.Uuid(0)}";

        var nmi = await Lab.Sushy().RunAsync(new { op = "reset", id, type = "Nmi" });
        var cycled = await Lab.Sushy().RunAsync(new { op = "reset", id, type = "PowerCycle" }, new { op = "system", id });

        Assert.Equal(409, (int?)nmi[0]!["error"]!["status"]);
        AssertNoError(cycled);
        Assert.Equal("On", (string?)cycled[1]!["power_state"]);
        Assert.Equal("running", await Lab.DomStateAsync(0));
    }

    [Fact]
    public async Task AStaleETagIsRefusedWith412AndSushysRetryWithoutItChangesTheDomain()
    {
        var id = $"/redfish/v1/Systems/{Lab.Uuid(0)}";

        var results = await Lab.Sushy().RunAsync(new { op = "stale_set_boot", id, target = "Hdd", enabled = "Continuous" });

        AssertNoError(results);
        var log = results[0]!["log"]!.AsArray().Select(line => (string)line!).ToList();
        Assert.Contains("If-Match", log[0], StringComparison.Ordinal);
        Assert.Contains("status code: 412", log[1], StringComparison.Ordinal);
        Assert.EndsWith("status code: 204", log[^1], StringComparison.Ordinal);
        Assert.Equal(["disk", "nic"], (await Lab.BootAsync(0)).Order);
    }

    [Fact]
    public async Task BootModeSwitchesFirmwareThroughLibvirt()
    {
        var id = $"/redfish/v1/Systems/{Lab.Uuid(0)}";

        var uefi = await Lab.Sushy().RunAsync(new { op = "set_boot", id, mode = "UEFI" }, new { op = "system", id });
        var firmware = (await Lab.BootAsync(0)).Firmware;
        var legacy = await Lab.Sushy().RunAsync(new { op = "set_boot", id, mode = "Legacy" }, new { op = "system", id });

        AssertNoError(uefi);
        AssertNoError(legacy);
        Assert.Equal("UEFI", (string?)uefi[1]!["boot"]!["mode"]);
        Assert.Equal("efi", firmware);
        Assert.Equal("Legacy", (string?)legacy[1]!["boot"]!["mode"]);
        Assert.Equal("bios", (await Lab.BootAsync(0)).Firmware);
    }

    [Fact]
    public async Task VirtualMediaIsDownloadedIntoTheCdAndBootedOnce()
    {
        var id = $"/redfish/v1/Systems/{Lab.Uuid(0)}";
        var image = RandomNumberGenerator.GetBytes(1024 * 1024);
        using var server = new HttpListener();
        var port = FreePort.Tcp();
        server.Prefixes.Add($"http://127.0.0.1:{port}/");
        server.Start();
        var serving = ServeAsync(server, image);

        var inserted = await Lab.Sushy().RunAsync(
            new { op = "insert_media", id, image = $"http://127.0.0.1:{port}/images/ipa.iso" },
            new { op = "set_boot", id, target = "Cd", enabled = "Once" });
        var file = await Lab.CdromFileAsync(0);
        var pending = await Lab.BootAsync(0);
        var booted = await Lab.Sushy().RunAsync(new { op = "reset", id, type = "On" }, new { op = "system", id });
        var ejected = await Lab.Sushy().RunAsync(new { op = "eject_media", id });
        server.Stop();
        await serving;

        AssertNoError(inserted);
        AssertNoError(booted);
        AssertNoError(ejected);
        Assert.NotNull(file);
        Assert.Equal(["cdrom", "nic", "disk"], pending.Order);
        Assert.Equal("running", await Lab.DomStateAsync(0));
        Assert.Equal(["nic", "disk"], (await Lab.BootAsync(0)).Order);
        Assert.Null(await Lab.CdromFileAsync(0));
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task VirtualMediaChangesReachTheRunningDomainAndTheImageGoesOnlyWithIt()
    {
        var id = $"/redfish/v1/Systems/{Lab.Uuid(0)}";
        using var server = new HttpListener();
        var port = FreePort.Tcp();
        server.Prefixes.Add($"http://127.0.0.1:{port}/");
        server.Start();
        var serving = ServeAsync(server, RandomNumberGenerator.GetBytes(1024 * 1024));
        var image = $"http://127.0.0.1:{port}/ipa.iso";

        // The domain has no CD-ROM drive: inserting adds one, which the domain has from its next start.
        AssertNoError(await Lab.Sushy().RunAsync(new { op = "insert_media", id, image }, new { op = "reset", id, type = "On" }));
        var file = await Lab.CdromFileAsync(0);
        Assert.NotNull(file);
        Assert.Equal(file, await Lab.LiveCdromAsync(0));

        var ejected = await Lab.Sushy().RunAsync(new { op = "eject_media", id }, new { op = "media", id });

        AssertNoError(ejected);
        Assert.Equal(false, (bool?)ejected[1]!["inserted"]);
        Assert.Equal("-", await Lab.LiveCdromAsync(0));
        Assert.Null(await Lab.CdromFileAsync(0));
        Assert.False(File.Exists(file));

        var inserted = await Lab.Sushy().RunAsync(new { op = "insert_media", id, image }, new { op = "media", id });
        server.Stop();
        await serving;

        AssertNoError(inserted);
        Assert.Equal(true, (bool?)inserted[1]!["inserted"]);
        Assert.Equal(file, await Lab.LiveCdromAsync(0));
        Assert.Equal(file, await Lab.CdromFileAsync(0));
        Assert.Equal("running", await Lab.DomStateAsync(0));
    }

    [Fact]
    public async Task CdBootOnADomainWithoutADriveAddsOneForTheNextStart()
    {
        var id = $"/redfish/v1/Systems/{Lab.Uuid(0)}";
        AssertNoError(await Lab.Sushy().RunAsync(new { op = "reset", id, type = "On" }));

        var cd = await Lab.Sushy().RunAsync(new { op = "set_boot", id, target = "Cd", enabled = "Continuous" }, new { op = "system", id });

        AssertNoError(cd);
        Assert.Equal("Cd", (string?)cd[1]!["boot"]!["target"]);
        Assert.Equal(["cdrom", "nic", "disk"], (await Lab.BootAsync(0)).Order);
        Assert.Null(await Lab.LiveCdromAsync(0)); // IDE/SATA drives cannot be hot-plugged: the running instance has none yet
        await Lab.VirshOnAsync("destroy", 0);
        await Lab.VirshOnAsync("start", 0);
        Assert.Equal("-", await Lab.LiveCdromAsync(0));
    }

    [Fact]
    public async Task SwitchingAUefiNodeToLegacyDeletesTheVariableStoreItsDefinitionNamed()
    {
        var id = $"/redfish/v1/Systems/{Lab.Uuid(0)}";
        var nvram = await Lab.MakeUefiAsync(0);
        Assert.True(File.Exists(nvram));

        var legacy = await Lab.Sushy().RunAsync(new { op = "set_boot", id, mode = "Legacy" }, new { op = "system", id });

        AssertNoError(legacy);
        Assert.Equal("Legacy", (string?)legacy[1]!["boot"]!["mode"]);
        Assert.Equal("bios", (await Lab.BootAsync(0)).Firmware);
        Assert.False(File.Exists(nvram));
    }

    [Fact]
    public async Task InspectionInventoryHasTheDomainsCpusMemoryAndVolumeSizes()
    {
        var id = $"/redfish/v1/Systems/{Lab.Uuid(0)}";
        var unknown = (await Lab.Sushy().RunAsync(new { op = "inventory", id }))[0]!;
        await Lab.AddDiskPoolAsync();
        // A definition change makes the BMC read the domain again, disks' volumes included.
        AssertNoError(await Lab.Sushy().RunAsync(new { op = "set_boot", id, target = "Hdd", enabled = "Continuous" }));

        var inventory = (await Lab.Sushy().RunAsync(new { op = "inventory", id }))[0]!;

        Assert.Null(unknown["error"]?.ToJsonString());
        Assert.Empty(unknown["disks"]!.AsArray()); // the disk is in no pool yet: its size is unknown, not made up
        Assert.Null(inventory["error"]?.ToJsonString());
        Assert.Matches(@"CPU\(s\):\s+1\n", await Lab.VirshOnAsync("dominfo", 0));
        Assert.Equal(1, (int?)inventory["cpus"]);
        Assert.Equal("x86", (string?)inventory["architecture"]);
        Assert.Equal([16L << 20], inventory["disks"]!.AsArray().Select(v => (long?)v)); // qemu-img create … 16M
        Assert.Equal(16L << 20, (long?)inventory["max_disk"]);
        Assert.Equal([16L << 20], inventory["drives"]!.AsArray().Select(v => (long?)v));
        Assert.Equal("Bios", (string?)inventory["bios"]!["BootMode"]);
        Assert.Equal("Disabled", (string?)inventory["secure_boot"]!["current"]);

        // Both disks' volumes are looked up (at once) when the definition changes.
        await Lab.AddSecondDiskAsync(0, 32);
        var twoDisks = await SandboxBmcLab.EventuallyAsync(
            async () => string.Join(',', (await Lab.Sushy().RunAsync(new { op = "inventory", id }))[0]!["drives"]!.AsArray().Select(v => (long?)v)),
            $"{16L << 20},{32L << 20}");
        Assert.Equal($"{16L << 20},{32L << 20}", twoDisks);
    }

    [Fact]
    public async Task WrongCredentialsGet401AndUndefinedDomainsGet404()
    {
        var id = $"/redfish/v1/Systems/{Lab.Uuid(0)}";

        var refused = await Lab.Sushy(password: "wrong-password").RunAsync(new { op = "system", id });
        await Lab.UndefineAsync(0);
        var gone = await Lab.Sushy().RunAsync(new { op = "system", id });

        Assert.Equal(401, (int?)refused[0]!["error"]!["status"]);
        Assert.Equal(404, (int?)gone[0]!["error"]!["status"]);
    }

    /// <summary>Answers every request with the image until the listener stops.</summary>
    private static async Task ServeAsync(HttpListener server, byte[] image)
    {
        try
        {
            while (true)
            {
                var context = await server.GetContextAsync();
                context.Response.ContentLength64 = image.Length;
                await context.Response.OutputStream.WriteAsync(image);
                context.Response.Close();
            }
        }
        catch (Exception error) when (error is HttpListenerException or ObjectDisposedException)
        {
            // stopped
        }
    }

    private static void AssertNoError(JsonArray results) =>
        Assert.All(results, result => Assert.False(result is JsonObject o && o.ContainsKey("error"), result?.ToJsonString()));
}
