using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using VMetal.Bmc.Configuration;
using VMetal.Bmc.Hosting;
using VMetal.Bmc.Machines;
using VMetal.Testing.Bmc;

namespace VMetal.Bmc.Tests.Redfish;

/// <summary>
/// A BMC host on 127.0.0.1 over in-memory machines, configured from files like in production: workspace "alpha"
/// with two machines and workspace "beta" with one, sharing one Redfish listener.
/// </summary>
internal sealed class RedfishTestBmc : IAsyncDisposable
{
    private readonly string _directory;

    private RedfishTestBmc(string directory, InMemoryMachineBackend backend, BmcHost host, BmcWorkspaceConfig alpha, BmcWorkspaceConfig beta)
    {
        _directory = directory;
        Backend = backend;
        Host = host;
        Alpha = alpha;
        Beta = beta;
    }

    public InMemoryMachineBackend Backend { get; }

    public BmcHost Host { get; }

    public BmcWorkspaceConfig Alpha { get; }

    public BmcWorkspaceConfig Beta { get; }

    public string ConfigDirectory => Path.Combine(_directory, "config");

    public Uri BaseAddress => new($"https://127.0.0.1:{Host.RedfishEndPoints[0].Port}");

    public Uri ServiceRoot => new(BaseAddress, "/redfish/v1");

    public Machine AlphaMachine(int index) => Backend.Find(Alpha.Machines[index].Uuid)!;

    public static async Task<RedfishTestBmc> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("vmetal-bmc-test-").FullName;
        var backend = new InMemoryMachineBackend();
        var port = FreePort.Tcp();
        var alpha = Workspace("alpha", port, backend, "alpha-0", "alpha-1");
        var beta = Workspace("beta", port, backend, "beta-0");
        var config = Path.Combine(directory, "config");
        BmcConfigFile.Write(Path.Combine(config, BmcConfigFile.FileName(alpha.Workspace)), alpha);
        BmcConfigFile.Write(Path.Combine(config, BmcConfigFile.FileName(beta.Workspace)), beta);
        var host = await BmcHost.StartAsync(
            new BmcHostOptions(config, Path.Combine(directory, "state")) { WatchConfiguration = false }, backend, NullLoggerFactory.Instance, CancellationToken.None);
        return new RedfishTestBmc(directory, backend, host, alpha, beta);
    }

    public SushyClient Sushy(BmcWorkspaceConfig workspace) => new(BaseAddress, workspace.Credentials.Username, workspace.Credentials.Password);

    /// <summary>Trusts exactly the certificate the host generated for "alpha" (the listener's owner).</summary>
    public bool IsServerCertificate(X509Certificate? certificate)
    {
        using var expected = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(_directory, "state", "tls", "alpha.pfx"), null);
        return certificate?.GetCertHashString() == expected.Thumbprint;
    }

    /// <summary>An HTTP client that trusts the service's own certificate only, with Basic credentials if given.</summary>
    public HttpClient HttpClient(BmcWorkspaceConfig? basicAuthFor = null)
    {
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => IsServerCertificate(certificate),
        };
        var client = new HttpClient(handler) { BaseAddress = BaseAddress };
        if (basicAuthFor is not null)
        {
            var credentials = $"{basicAuthFor.Credentials.Username}:{basicAuthFor.Credentials.Password}";
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static BmcWorkspaceConfig Workspace(string name, int port, InMemoryMachineBackend backend, params string[] machineNames)
    {
        var machines = machineNames.Select((machineName, index) =>
        {
            var machine = InMemoryMachineBackend.NewMachine(machineName, macAddress: $"52:54:00:{name.Length:x2}:00:{index:x2}");
            backend.Define(machine);
            return new BmcMachineConfig(machine.Id, machineName, FreePort.Udp());
        }).ToList();
        return new BmcWorkspaceConfig
        {
            Workspace = name,
            Credentials = BmcCredentials.Generate(),
            Ipmi = new IpmiConfig(IPAddress.Loopback.ToString()),
            Redfish = new RedfishConfig(IPAddress.Loopback.ToString(), port),
            Machines = machines,
        };
    }
}
