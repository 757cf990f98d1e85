using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace VMetal.Bmc.Tests.Redfish;

/// <summary>
/// Thousands of random requests (methods, paths, headers, bodies), plus raw garbage over TLS and over plain TCP:
/// no server error, and the service keeps answering afterwards.
/// </summary>
public sealed class RedfishFuzzTests : IAsyncLifetime
{
    private const int Seed = 7071;
    private const int MaximumBody = 64 * 1024;

    private static readonly string[] Methods = ["GET", "POST", "PATCH", "DELETE", "PUT", "HEAD", "OPTIONS"];

    private RedfishTestBmc _bmc = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _bmc = await RedfishTestBmc.StartAsync();

    public async ValueTask DisposeAsync() => await _bmc.DisposeAsync();

    [Fact]
    public async Task RandomRequestsNeverCauseServerErrors()
    {
        var random = new Random(Seed);
        var id = _bmc.Alpha.Machines[0].Uuid;
        string[] paths =
        [
            "/redfish/v1", "/redfish/v1/Systems", $"/redfish/v1/Systems/{id}", $"/redfish/v1/Systems/{id}/Actions/ComputerSystem.Reset",
            $"/redfish/v1/Systems/{id}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia", "/redfish/v1/SessionService/Sessions",
            $"/redfish/v1/Managers/{id}", "/redfish/v1/Chassis", $"/redfish/v1/Systems/{id}/EthernetInterfaces",
        ];
        using var authorized = _bmc.HttpClient(_bmc.Alpha);
        using var anonymous = _bmc.HttpClient();
        var failures = new List<string>();

        for (var i = 0; i < 3000; i++)
        {
            using var request = new HttpRequestMessage(new HttpMethod(Methods[random.Next(Methods.Length)]), RandomPath(random, paths));
            AddRandomHeaders(random, request);
            var body = random.Next(3) > 0 ? RandomBody(random) : null;
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.TryAddWithoutValidation("Content-Type", random.Next(2) == 0 ? "application/json" : "text/plain; charset=x");
            }

            HttpResponseMessage response;
            try
            {
                response = await (random.Next(2) == 0 ? authorized : anonymous).SendAsync(request, Ct);
            }
            catch (HttpRequestException) when (body?.Length > MaximumBody)
            {
                continue; // refused (413) and closed while the client was still sending: the only place a reset is expected
            }
            catch (HttpRequestException error)
            {
                throw new InvalidOperationException($"request {i}: {request.Method} {request.RequestUri} body {body?.Length} headers {request.Headers}", error);
            }

            using var _ = response;
            if ((int)response.StatusCode >= 500)
            {
                failures.Add($"{request.Method} {request.RequestUri} -> {(int)response.StatusCode}");
            }
        }

        Assert.Empty(failures);
        Assert.Equal(HttpStatusCode.OK, (await authorized.GetAsync($"/redfish/v1/Systems/{id}", Ct)).StatusCode);
    }

    [Fact]
    public async Task GarbageOnTheWireDoesNotStopTheService()
    {
        var random = new Random(Seed + 1);
        var endPoint = _bmc.Host.RedfishEndPoints[0];

        for (var i = 0; i < 100; i++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(endPoint, Ct);
            var garbage = new byte[random.Next(1, 4096)];
            random.NextBytes(garbage);
            if (i % 2 == 0)
            {
                // Not even TLS.
                await tcp.GetStream().WriteAsync(garbage, Ct);
                continue;
            }

            await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) => _bmc.IsServerCertificate(certificate));
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, Ct);
            var prefix = random.Next(2) == 0 ? Encoding.ASCII.GetBytes("PATCH /redfish/v1/Systems HTTP/1.1\r\nContent-Length: 99999999\r\n") : [];
            try
            {
                await tls.WriteAsync(prefix.Concat(garbage).ToArray(), Ct);
            }
            catch (IOException)
            {
                // The server may close first: that is an acceptable answer to garbage.
            }
        }

        using var client = _bmc.HttpClient(_bmc.Alpha);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/redfish/v1/Systems", Ct)).StatusCode);
    }

    private static string RandomPath(Random random, string[] paths)
    {
        var path = paths[random.Next(paths.Length)];
        return random.Next(5) switch
        {
            0 => path + "/" + Uri.EscapeDataString(RandomText(random, random.Next(1, 40))),
            1 => path + "?$expand=" + RandomText(random, 10),
            2 => "/redfish/v1/" + string.Concat(Enumerable.Repeat("a/", random.Next(1, 200))),
            _ => path,
        };
    }

    private static void AddRandomHeaders(Random random, HttpRequestMessage request)
    {
        switch (random.Next(5))
        {
            case 0:
                request.Headers.TryAddWithoutValidation("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(RandomText(random, 30))));
                break;
            case 1:
                request.Headers.TryAddWithoutValidation("Authorization", "Basic " + RandomText(random, random.Next(1, 200)));
                break;
            case 2:
                request.Headers.TryAddWithoutValidation("X-Auth-Token", RandomText(random, random.Next(1, 100)));
                break;
            case 3:
                request.Headers.TryAddWithoutValidation("If-Match", RandomText(random, 20));
                break;
        }
    }

    private static byte[] RandomBody(Random random)
    {
        string[] shapes =
        [
            """{"Boot": {"BootSourceOverrideTarget": "Pxe", "BootSourceOverrideEnabled": "Sometimes"}}""",
            """{"ResetType": null}""",
            """{"UserName": 5, "Password": []}""",
            """{"Image": "http://[::1"}""",
            new string('[', 5000),
            "{\"Boot\": {\"BootSourceOverrideTarget\": \"" + new string('x', 100_000) + "\"}}",
            """{"Boot": {"BootSourceOverrideMode": "UEFI" """,
        ];
        if (random.Next(2) == 0)
        {
            return Encoding.UTF8.GetBytes(shapes[random.Next(shapes.Length)]);
        }

        var bytes = new byte[random.Next(0, 2048)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string RandomText(Random random, int length) =>
        new([.. Enumerable.Range(0, length).Select(_ => (char)random.Next(0x21, 0x7F))]);
}
