using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using VMetal.Bmc.Configuration;
using VMetal.Bmc.Machines;

namespace VMetal.Bmc.Tests.Redfish;

/// <summary>The Redfish service over HTTPS with a plain HTTP client: authentication, sessions, status codes.</summary>
public sealed class RedfishHttpTests : IAsyncLifetime
{
    private RedfishTestBmc _bmc = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _bmc = await RedfishTestBmc.StartAsync();

    public async ValueTask DisposeAsync() => await _bmc.DisposeAsync();

    [Fact]
    public async Task ServiceRootIsOpenEverythingElseNeedsCredentials()
    {
        using var anonymous = _bmc.HttpClient();

        var root = await anonymous.GetFromJsonAsync<JsonObject>("/redfish/v1", Ct);
        var systems = await anonymous.GetAsync("/redfish/v1/Systems", Ct);

        Assert.Equal("/redfish/v1/SessionService/Sessions", (string?)root!["Links"]!["Sessions"]!["@odata.id"]);
        Assert.Equal(HttpStatusCode.Unauthorized, systems.StatusCode);
        Assert.Equal("Basic", systems.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task ServiceRootUuidIsAValidStableRfc4122Uuid()
    {
        using var anonymous = _bmc.HttpClient();

        var uuid = (string?)(await anonymous.GetFromJsonAsync<JsonObject>("/redfish/v1", Ct))!["UUID"];

        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", uuid);
        Assert.Equal(uuid, (string?)(await anonymous.GetFromJsonAsync<JsonObject>("/redfish/v1", Ct))!["UUID"]);
        // Python's uuid.uuid5(uuid.NAMESPACE_DNS, "python.org"): the algorithm is the standard one.
        Assert.Equal(Guid.Parse("886313e1-3b8a-5372-9b90-0c9aee199e5d"), VMetal.Bmc.Hosting.NameBasedUuid.Create(VMetal.Bmc.Hosting.NameBasedUuid.DnsNamespace, "python.org"));
    }

    [Theory]
    [InlineData("Basic")]
    [InlineData("Basic !!!not-base64")]
    [InlineData("Basic bm8tY29sb24=")] // "no-colon"
    [InlineData("Bearer abc")]
    public async Task MalformedOrWrongAuthorizationIs401(string authorization)
    {
        using var client = _bmc.HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/redfish/v1/Systems");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task SessionLoginGivesATokenThatWorksUntilLogout()
    {
        using var client = _bmc.HttpClient();
        var login = await PostAsync(client, "/redfish/v1/SessionService/Sessions",
            new { UserName = _bmc.Alpha.Credentials.Username, Password = _bmc.Alpha.Credentials.Password }, Ct);
        Assert.Equal(HttpStatusCode.Created, login.StatusCode);
        var token = login.Headers.GetValues("X-Auth-Token").Single();
        var location = login.Headers.Location!.ToString();
        client.DefaultRequestHeaders.Add("X-Auth-Token", token);

        var systems = await client.GetFromJsonAsync<JsonObject>("/redfish/v1/Systems", Ct);
        var sessions = await client.GetFromJsonAsync<JsonObject>("/redfish/v1/SessionService/Sessions", Ct);
        var logout = await client.DeleteAsync(location, Ct);
        var afterLogout = await client.GetAsync("/redfish/v1/Systems", Ct);

        Assert.Equal(2, (int?)systems!["Members@odata.count"]);
        Assert.Equal(location, (string?)sessions!["Members"]![0]!["@odata.id"]);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, afterLogout.StatusCode);
    }

    [Fact]
    public async Task WrongPasswordLoginIs401()
    {
        using var client = _bmc.HttpClient();

        var login = await PostAsync(client, "/redfish/v1/SessionService/Sessions",
            new { UserName = _bmc.Alpha.Credentials.Username, Password = "guess-guess" }, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        Assert.False(login.Headers.Contains("X-Auth-Token"));
    }

    [Fact]
    public async Task SystemIsFoundByNameAsWellAsUuid()
    {
        using var client = _bmc.HttpClient(_bmc.Alpha);

        var byName = await client.GetFromJsonAsync<JsonObject>("/redfish/v1/Systems/alpha-1", Ct);

        Assert.Equal($"/redfish/v1/Systems/{_bmc.Alpha.Machines[1].Uuid}", (string?)byName!["@odata.id"]);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/redfish/v1/Systems/beta-0", Ct)).StatusCode);
    }

    [Theory]
    [InlineData("""{"Boot": {"BootSourceOverrideTarget": "Floppy"}}""")]
    [InlineData("""{"Boot": {"BootSourceOverrideEnabled": 1}}""")]
    [InlineData("""{"Boot": {"UefiTargetBootSourceOverride": "x"}}""")]
    [InlineData("""{"AssetTag": "x"}""")]
    [InlineData("""{"Boot": "Pxe"}""")]
    [InlineData("""[1, 2]""")]
    [InlineData("""{"Boot": {""")]
    public async Task BadPatchIs400AndChangesNothing(string body)
    {
        using var client = _bmc.HttpClient(_bmc.Alpha);
        var before = _bmc.AlphaMachine(0).Boot;

        var response = await client.PatchAsync($"/redfish/v1/Systems/{_bmc.Alpha.Machines[0].Uuid}", new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["error"]);
        Assert.Equal(before, _bmc.AlphaMachine(0).Boot);
    }

    [Fact]
    public async Task BootAdvertisesOnlyWhatCanBeSetAndRefusesBiosSetupClearly()
    {
        using var client = _bmc.HttpClient(_bmc.Alpha);
        var path = $"/redfish/v1/Systems/{_bmc.Alpha.Machines[0].Uuid}";
        var before = _bmc.AlphaMachine(0).Boot;

        var boot = (await client.GetFromJsonAsync<JsonObject>(path, Ct))!["Boot"]!;
        var setup = await client.PatchAsync(path, new StringContent("""{"Boot": {"BootSourceOverrideTarget": "BiosSetup"}}""", Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(["None", "Pxe", "Hdd", "Cd"], boot["BootSourceOverrideTarget@Redfish.AllowableValues"]!.AsArray().Select(v => (string?)v));
        Assert.Equal(["UEFI", "Legacy"], boot["BootSourceOverrideMode@Redfish.AllowableValues"]!.AsArray().Select(v => (string?)v));
        Assert.Equal(HttpStatusCode.BadRequest, setup.StatusCode);
        Assert.Contains("BIOS setup", (string?)(await setup.Content.ReadFromJsonAsync<JsonObject>(Ct))!["error"]!["message"], StringComparison.Ordinal);
        Assert.Equal(before, _bmc.AlphaMachine(0).Boot);
    }

    [Fact]
    public async Task ResetChecksItsTypeAndTheMachineState()
    {
        using var client = _bmc.HttpClient(_bmc.Alpha);
        var reset = $"/redfish/v1/Systems/{_bmc.Alpha.Machines[0].Uuid}/Actions/ComputerSystem.Reset";

        var unknown = await PostAsync(client, reset, new { ResetType = "Explode" }, Ct);
        var nmiWhileOff = await PostAsync(client, reset, new { ResetType = "Nmi" }, Ct);
        var button = await PostAsync(client, reset, new { ResetType = "PushPowerButton" }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, nmiWhileOff.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, button.StatusCode);
        Assert.Equal(PowerState.On, _bmc.AlphaMachine(0).Power);
    }

    [Theory]
    [InlineData("PowerCycle", PowerAction.PowerCycle)]
    [InlineData("ForceRestart", PowerAction.ForceRestart)]
    public async Task RestartsPowerOnASystemThatIsOffAsIpmiDoes(string resetType, PowerAction action)
    {
        using var client = _bmc.HttpClient(_bmc.Alpha);
        var reset = $"/redfish/v1/Systems/{_bmc.Alpha.Machines[0].Uuid}/Actions/ComputerSystem.Reset";

        var response = await PostAsync(client, reset, new { ResetType = resetType }, Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(PowerState.On, _bmc.AlphaMachine(0).Power);
        Assert.Equal([action], _bmc.Backend.ActionLog.Select(entry => entry.Action));
    }

    [Theory]
    [InlineData("GracefulRestart")]
    [InlineData("Nmi")]
    public async Task WhatNeedsARunningGuestIs409WhileOff(string resetType)
    {
        using var client = _bmc.HttpClient(_bmc.Alpha);
        var reset = $"/redfish/v1/Systems/{_bmc.Alpha.Machines[0].Uuid}/Actions/ComputerSystem.Reset";

        var response = await PostAsync(client, reset, new { ResetType = resetType }, Ct);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(PowerState.Off, _bmc.AlphaMachine(0).Power);
    }

    [Fact]
    public async Task UnknownResourcesAre404()
    {
        using var client = _bmc.HttpClient(_bmc.Alpha);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/redfish/v1/Nope", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/redfish/v1/Systems/{Guid.NewGuid()}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/redfish/v1/Systems/{_bmc.Alpha.Machines[0].Uuid}/EthernetInterfaces/00:00:00:00:00:00", Ct)).StatusCode);
    }

    [Fact]
    public async Task WrongMethodOnAnExistingResourceIs405WithAllowAndHeadWorks()
    {
        using var client = _bmc.HttpClient(_bmc.Alpha);
        using var anonymous = _bmc.HttpClient();
        var system = $"/redfish/v1/Systems/{_bmc.Alpha.Machines[0].Uuid}";

        var delete = await client.DeleteAsync(system, Ct);
        var post = await PostAsync(client, "/redfish/v1/Systems", new { }, Ct);
        var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, system), Ct);
        var rootHead = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/redfish/v1"), Ct);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, delete.StatusCode);
        Assert.Equal(["GET", "HEAD", "PATCH"], delete.Content.Headers.Allow.Order(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        Assert.Equal(["GET", "HEAD"], post.Content.Headers.Allow.Order(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, rootHead.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync("/redfish/v1/Nope", Ct)).StatusCode);
    }

    [Fact]
    public async Task UndefinedMachineIs404()
    {
        using var client = _bmc.HttpClient(_bmc.Alpha);
        var machine = _bmc.Alpha.Machines[0].Uuid;

        _bmc.Backend.Undefine(machine);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/redfish/v1/Systems/{machine}", Ct)).StatusCode);
        Assert.Equal(1, (int?)(await client.GetFromJsonAsync<JsonObject>("/redfish/v1/Systems", Ct))!["Members@odata.count"]);
    }

    [Fact]
    public async Task VirtualMediaIsServedUnderSystemsAndManagers()
    {
        using var client = _bmc.HttpClient(_bmc.Alpha);
        var id = _bmc.Alpha.Machines[0].Uuid;

        var insert = await PostAsync(client, $"/redfish/v1/Systems/{id}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia", new { Image = "https://192.0.2.1/a.iso" }, Ct);
        var viaManager = await client.GetFromJsonAsync<JsonObject>($"/redfish/v1/Managers/{id}/VirtualMedia/Cd", Ct);
        var badImage = await PostAsync(client, $"/redfish/v1/Managers/{id}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia", new { Image = "file:///etc/shadow" }, Ct);

        Assert.Equal(HttpStatusCode.NoContent, insert.StatusCode);
        Assert.True((bool?)viaManager!["Inserted"]);
        Assert.Equal("a.iso", (string?)viaManager["ImageName"]);
        Assert.Equal(HttpStatusCode.BadRequest, badImage.StatusCode);
    }

    [Fact]
    public async Task ReloadedCredentialsTakeEffectAndOldOnesStop()
    {
        var changed = _bmc.Alpha with { Credentials = BmcCredentials.Generate() };
        BmcConfigFile.Write(Path.Combine(_bmc.ConfigDirectory, BmcConfigFile.FileName("alpha")), changed);

        Assert.True(await _bmc.Host.ReloadAsync(Ct));

        using var old = _bmc.HttpClient(_bmc.Alpha);
        using var current = _bmc.HttpClient(changed);
        Assert.Equal(HttpStatusCode.Unauthorized, (await old.GetAsync("/redfish/v1/Systems", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await current.GetAsync("/redfish/v1/Systems", Ct)).StatusCode);
    }

    [Fact]
    public async Task InvalidReloadKeepsTheRunningConfiguration()
    {
        await File.WriteAllTextAsync(Path.Combine(_bmc.ConfigDirectory, "broken.json"), """{"version": 1, "workspace": "x"}""", Ct);

        Assert.False(await _bmc.Host.ReloadAsync(Ct));

        using var client = _bmc.HttpClient(_bmc.Alpha);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/redfish/v1/Systems", Ct)).StatusCode);
    }

    /// <summary>POSTs JSON with the property names as written: Redfish names are PascalCase and case-sensitive.</summary>
    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string url, object body, CancellationToken cancellationToken) =>
        client.PostAsync(url, JsonContent.Create(body, options: new System.Text.Json.JsonSerializerOptions()), cancellationToken);
}
