using System.Net;
using System.Text;
using VMetal.Bmc.Machines;

namespace VMetal.Bmc.Tests.Redfish;

/// <summary>ComputerSystem ETags and PATCH with If-Match (HTTP conditional requests, as Redfish clients use them).</summary>
public sealed class RedfishETagTests : IAsyncLifetime
{
    private const string PxeOnce = """{"Boot": {"BootSourceOverrideTarget": "Pxe", "BootSourceOverrideEnabled": "Once"}}""";

    private RedfishTestBmc _bmc = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string SystemPath => $"/redfish/v1/Systems/{_bmc.Alpha.Machines[0].Uuid}";

    public async ValueTask InitializeAsync() => _bmc = await RedfishTestBmc.StartAsync();

    public async ValueTask DisposeAsync() => await _bmc.DisposeAsync();

    [Fact]
    public async Task SystemHasAStrongETagThatChangesExactlyWhenTheSystemDoes()
    {
        using var client = _bmc.HttpClient(_bmc.Alpha);

        var first = await ETagAsync(client, HttpMethod.Get);
        var again = await ETagAsync(client, HttpMethod.Get);
        var head = await ETagAsync(client, HttpMethod.Head);
        await _bmc.Backend.PowerAsync(_bmc.Alpha.Machines[0].Uuid, PowerAction.On, Ct);
        var afterPowerOn = await ETagAsync(client, HttpMethod.Get);

        Assert.False(first.IsWeak);
        Assert.Matches("^\"[0-9a-f]{16}\"$", first.Tag);
        Assert.Equal(first, again);
        Assert.Equal(first, head);
        Assert.NotEqual(first, afterPowerOn);
        // Another system has its own.
        using var other = new HttpRequestMessage(HttpMethod.Get, $"/redfish/v1/Systems/{_bmc.Alpha.Machines[1].Uuid}");
        Assert.NotEqual(first, (await client.SendAsync(other, Ct)).Headers.ETag);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("*")]
    [InlineData("strong")]
    [InlineData("weak")]
    [InlineData("list")]
    public async Task PatchWithAMatchingOrNoIfMatchChangesTheBoot(string form)
    {
        using var client = _bmc.HttpClient(_bmc.Alpha);
        var etag = (await ETagAsync(client, HttpMethod.Get)).Tag;
        var ifMatch = form switch
        {
            "none" => null,
            "*" => "*",
            "strong" => etag,
            "weak" => "W/" + etag,
            _ => $"\"0123456789abcdef\", {etag}",
        };

        var response = await PatchAsync(client, ifMatch);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(new BootSettings(BootTarget.Pxe, BootOverride.Once, BootMode.Legacy), _bmc.AlphaMachine(0).Boot);
    }

    [Theory]
    [InlineData("\"0123456789abcdef\"")]
    [InlineData("W/\"0123456789abcdef\"")]
    [InlineData("not-an-entity-tag")]
    public async Task PatchWithAnIfMatchThatDoesNotMatchIs412AndChangesNothing(string ifMatch)
    {
        using var client = _bmc.HttpClient(_bmc.Alpha);
        var before = _bmc.AlphaMachine(0).Boot;

        var response = await PatchAsync(client, ifMatch);

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Contains("PreconditionFailed", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(before, _bmc.AlphaMachine(0).Boot);
    }

    [Fact]
    public async Task AnETagReadBeforeTheSystemChangedNoLongerMatches()
    {
        using var client = _bmc.HttpClient(_bmc.Alpha);
        var stale = (await ETagAsync(client, HttpMethod.Get)).Tag;
        await _bmc.Backend.PowerAsync(_bmc.Alpha.Machines[0].Uuid, PowerAction.On, Ct);

        var refused = await PatchAsync(client, stale);
        var accepted = await PatchAsync(client, (await ETagAsync(client, HttpMethod.Get)).Tag);

        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, accepted.StatusCode);
    }

    private async Task<System.Net.Http.Headers.EntityTagHeaderValue> ETagAsync(HttpClient client, HttpMethod method)
    {
        using var request = new HttpRequestMessage(method, SystemPath);
        using var response = await client.SendAsync(request, Ct);
        response.EnsureSuccessStatusCode();
        return response.Headers.ETag ?? throw new InvalidOperationException("no ETag");
    }

    private async Task<HttpResponseMessage> PatchAsync(HttpClient client, string? ifMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, SystemPath) { Content = new StringContent(PxeOnce, Encoding.UTF8, "application/json") };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await client.SendAsync(request, Ct);
    }
}
