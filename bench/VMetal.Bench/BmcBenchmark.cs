using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using VMetal.Bmc.Configuration;
using VMetal.Bmc.Hosting;
using VMetal.Bmc.Libvirt;
using VMetal.Bmc.Machines;
using VMetal.Libvirt;
using VMetal.Sandbox;

namespace VMetal.Bench;

/// <summary>
/// One BMC service for many machines: memory (RSS) and request latency, seen from real clients: one
/// <c>ipmitool -I lanplus power status</c> process per request (so the figures include starting ipmitool and the
/// RMCP+ handshake), the same command inside one ipmitool session (typed into <c>ipmitool shell</c>, and N lines run by
/// one <c>ipmitool exec FILE</c>, whose whole run divided by N amortises start-up and handshake), and an HTTPS client
/// on a kept-alive connection for Redfish. Backends: in-memory machines,
/// and defined (not started) domains in the sandbox. With <c>--serve PATH</c> the libvirt case runs the real
/// <c>vmetal bmc serve</c> binary at PATH in its own process, and its RSS is read from /proc.
/// </summary>
internal static class BmcBenchmark
{
    private const int FirstIpmiPort = 46230;

    public static async Task<int> RunAsync(string[] args)
    {
        if (!Options.TryParse(args, out var options))
        {
            Console.Error.WriteLine("usage: VMetal.Bench bmc [--machines N (50)] [--rounds R (200)] [--backend memory|libvirt|both] [--serve PATH-to-vmetal]");
            return BenchExitCodes.Usage;
        }

        if (!File.Exists("/usr/bin/ipmitool"))
        {
            Console.Error.WriteLine("ipmitool is needed (apt-get install ipmitool)");
            return BenchExitCodes.NoTarget;
        }

        if (options.Backend is "memory" or "both")
        {
            await RunMemoryAsync(options);
        }

        if (options.Backend is "libvirt" or "both")
        {
            if (!SandboxManager.LooksUp())
            {
                Console.Error.WriteLine("libvirt: the sandbox hypervisor is not up (run: ./vmetal sandbox up)");
                return options.Backend == "libvirt" ? BenchExitCodes.NoTarget : BenchExitCodes.Ok;
            }

            await RunLibvirtAsync(options, SandboxManager.DefaultEnvironment.LibvirtSocket);
        }

        return BenchExitCodes.Ok;
    }

    private static async Task RunMemoryAsync(Options options)
    {
        var baseline = ResidentMiB(Environment.ProcessId);
        var backend = new InMemoryMachineBackend();
        var machines = Enumerable.Range(0, options.Machines).Select(i => InMemoryMachineBackend.NewMachine($"b-mem-{i}")).ToList();
        machines.ForEach(backend.Define);
        using var lab = new LabFiles("b-mem", machines.Select(m => (m.Id, m.Name)));
        var clock = Stopwatch.StartNew();
        await using var host = await BmcHost.StartAsync(lab.HostOptions, backend, NullLoggerFactory.Instance, CancellationToken.None);
        Console.WriteLine($"== in-memory backend, {options.Machines} machines, one process (this one): started in {clock.Elapsed.TotalMilliseconds:0} ms, " +
            $"{host.IpmiEndPoints.Count} IPMI endpoints, {host.RedfishEndPoints.Count} Redfish listener");
        await MeasureAsync(lab, options, () => ResidentMiB(Environment.ProcessId), $"process RSS before the BMC started: {baseline:0.0} MiB");
    }

    private static async Task RunLibvirtAsync(Options options, string socket)
    {
        var prefix = $"b-bmc-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        await using var client = await LibvirtClient.ConnectAsync(new UnixSocketTransport(socket));
        var domains = new List<DomainRef>();
        try
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < options.Machines; i++)
            {
                domains.Add(await client.DomainDefineXmlAsync(DomainXml($"{prefix}-{i}", i)));
            }

            Console.WriteLine($"== libvirt backend, {options.Machines} domains defined (not started) in the sandbox in {clock.Elapsed.TotalMilliseconds:0} ms");
            using var lab = new LabFiles(prefix, domains.Select(d => (d.Uuid, d.Name)));
            if (options.ServeBinary is { } binary)
            {
                await MeasureServeProcessAsync(options, lab, binary, socket);
                return;
            }

            var baseline = ResidentMiB(Environment.ProcessId);
            clock.Restart();
            await using var backend = await LibvirtMachineBackend.ConnectAsync(new UnixSocketTransport(socket), NullLoggerFactory.Instance, CancellationToken.None);
            await using var host = await BmcHost.StartAsync(lab.HostOptions, backend, NullLoggerFactory.Instance, CancellationToken.None);
            Console.WriteLine($"   BMC in this process: connected, loaded and serving in {clock.Elapsed.TotalMilliseconds:0} ms");
            await MeasureAsync(lab, options, () => ResidentMiB(Environment.ProcessId), $"process RSS before the BMC started: {baseline:0.0} MiB");
        }
        finally
        {
            foreach (var domain in domains)
            {
                await client.DomainUndefineAsync(domain);
            }
        }
    }

    private static async Task MeasureServeProcessAsync(Options options, LabFiles lab, string binary, string socket)
    {
        var clock = Stopwatch.StartNew();
        using var serve = Process.Start(new ProcessStartInfo(binary)
        {
            ArgumentList = { "bmc", "serve", "--config", lab.ConfigDirectory, "--state-dir", lab.StateDirectory, "--libvirt-socket", socket },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException($"cannot start {binary}");
        _ = serve.StandardOutput.ReadToEndAsync();
        _ = serve.StandardError.ReadToEndAsync();
        try
        {
            while ((await Ipmitool(lab, 0, 17)).ExitCode != 0)
            {
                if (serve.HasExited || clock.Elapsed > TimeSpan.FromMinutes(1))
                {
                    throw new InvalidOperationException($"{binary} bmc serve did not come up");
                }
            }

            Console.WriteLine($"   BMC as its own process ({binary} bmc serve, pid {serve.Id}): answering after {clock.Elapsed.TotalMilliseconds:0} ms");
            await MeasureAsync(lab, options, () => ResidentMiB(serve.Id), "RSS is that process's alone");
        }
        finally
        {
            using var stop = Process.Start("kill", ["-TERM", serve.Id.ToString(CultureInfo.InvariantCulture)]);
            await serve.WaitForExitAsync();
        }
    }

    private static async Task MeasureAsync(LabFiles lab, Options options, Func<double> resident, string note)
    {
        GC.Collect();
        var idle = resident();

        // Steady state is measured: the first requests pay for JIT compilation (startup is reported above).
        using var http = lab.HttpClient();
        await MeasureIpmitoolAsync(lab, 5, 17);
        await MeasureIpmitoolAsync(lab, 5, 3);
        await MeasureRedfishAsync(http, lab, 50, "warm-up");

        var suite17 = await MeasureIpmitoolAsync(lab, options.Rounds, 17);
        var suite3 = await MeasureIpmitoolAsync(lab, options.Rounds / 2, 3);
        var trimmed = await MeasureIpmitoolAsync(lab, options.Rounds, 17, lab.TrimmedRegistryHome);
        var inSession = await MeasureIpmitoolShellAsync(lab, options.Rounds);
        var exec = await MeasureIpmitoolExecAsync(lab, options.Rounds, repetitions: 5);
        var startup = await MeasureIpmitoolStartupAsync(options.Rounds / 2);
        var burst = Stopwatch.StartNew();
        var parallel = new Measurements($"{lab.Machines.Count} x ipmitool at once");
        await Task.WhenAll(Enumerable.Range(0, lab.Machines.Count).Select(i => parallel.TimeAsync(() => Ipmitool(lab, i, 17))));
        burst.Stop();

        var basic = await MeasureRedfishAsync(http, lab, options.Rounds * 5, "Redfish GET system (Basic)");
        http.DefaultRequestHeaders.Authorization = null;
        http.DefaultRequestHeaders.Add("X-Auth-Token", await lab.LogInAsync(http));
        var token = await MeasureRedfishAsync(http, lab, options.Rounds * 5, "Redfish GET system (X-Auth-Token)");
        var loaded = resident();

        Console.WriteLine($"   RSS idle after start: {idle:0.0} MiB; after the load below: {loaded:0.0} MiB ({note})");
        Console.WriteLine($"   {"request",-40} {"count",6} {"median",10} {"p90",10}");
        foreach (var measurement in new[] { suite17, suite3, trimmed, startup, inSession, exec, parallel, basic, token })
        {
            Console.WriteLine($"   {measurement.Name,-40} {measurement.Count,6} {measurement.Median,7:0.00} ms {measurement.P90,7:0.00} ms");
        }

        Console.WriteLine($"   the {lab.Machines.Count} parallel ipmitool runs took {burst.Elapsed.TotalMilliseconds:0} ms in all");
        Console.WriteLine($"   IPMI p50 target < 20 ms: a new ipmitool process per call {suite17.Median:0.0} ms ({(suite17.Median < 20 ? "met" : "not met")}; " +
            $"ipmitool's own start-up is {startup.Median:0.0} ms of it); with ipmitool's enterprise-number registry trimmed {trimmed.Median:0.0} ms " +
            $"({(trimmed.Median < 20 ? "met" : "not met")}); per command in one ipmitool session {inSession.Median:0.00} ms (shell), " +
            $"{exec.Median:0.00} ms ({options.Rounds} commands by one exec process, start-up and handshake included) " +
            $"({(Math.Max(inSession.Median, exec.Median) < 20 ? "met" : "not met")})");
        Console.WriteLine();
    }

    /// <param name="home">
    /// The HOME ipmitool runs with, when not the caller's: ipmitool 1.8.19 reads the IANA enterprise-number registry
    /// from $HOME/.local/usr/share/misc/enterprise-numbers.txt before the 4.7 MB system copy, so a HOME holding a
    /// one-entry registry shows the same request without that start-up cost.
    /// </param>
    private static async Task<Measurements> MeasureIpmitoolAsync(LabFiles lab, int rounds, int suite, string? home = null)
    {
        var measurements = new Measurements(home is null ? $"ipmitool -C {suite} power status" : $"ipmitool -C {suite}, registry trimmed");
        for (var i = 0; i < rounds; i++)
        {
            var machine = i % lab.Machines.Count;
            await measurements.TimeAsync(async () =>
            {
                var result = await Ipmitool(lab, machine, suite, home);
                if (result.ExitCode != 0 || !result.Output.Contains("Chassis Power is", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"ipmitool failed for machine {machine}: {result.Error}");
                }
            });
        }

        return measurements;
    }

    /// <summary>
    /// ipmitool starting and giving up at once (<c>-I open</c> with no local BMC device): its own start-up cost, which is
    /// part of every "ipmitool power status" figure and has nothing to do with the BMC.
    /// </summary>
    private static async Task<Measurements> MeasureIpmitoolStartupAsync(int rounds)
    {
        var measurements = new Measurements("ipmitool start-up alone (-I open, no BMC)");
        for (var i = 0; i < rounds; i++)
        {
            await measurements.TimeAsync(async () =>
            {
                using var process = Process.Start(new ProcessStartInfo("/usr/bin/ipmitool", ["-I", "open", "power", "status"]) { RedirectStandardError = true })!;
                await process.StandardError.ReadToEndAsync();
                await process.WaitForExitAsync();
            });
        }

        return measurements;
    }

    /// <summary>
    /// One request in an established session: "power status" typed into one long-running <c>ipmitool shell</c>. This is
    /// the BMC's own latency, without starting ipmitool (which reads a 4.7 MB enterprise-number file) and the handshake.
    /// </summary>
    private static async Task<Measurements> MeasureIpmitoolShellAsync(LabFiles lab, int rounds)
    {
        var credentials = lab.Config.Credentials;
        using var shell = Process.Start(new ProcessStartInfo("stdbuf")
        {
            ArgumentList =
            {
                "-oL", "/usr/bin/ipmitool", "-I", "lanplus", "-H", "127.0.0.1", "-p", lab.Machines[0].IpmiPort!.Value.ToString(CultureInfo.InvariantCulture),
                "-U", credentials.Username, "-P", credentials.Password, "-C", "17", "shell",
            },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _ = shell.StandardError.ReadToEndAsync();
        var measurements = new Measurements("power status in an ipmitool shell session");
        try
        {
            for (var i = -5; i < rounds; i++)
            {
                var measurement = i < 0 ? new Measurements("warm-up") : measurements;
                await measurement.TimeAsync(async () =>
                {
                    await shell.StandardInput.WriteLineAsync("power status");
                    await shell.StandardInput.FlushAsync();
                    while (await shell.StandardOutput.ReadLineAsync() is { } line && !line.StartsWith("Chassis Power is", StringComparison.Ordinal))
                    {
                    }
                });
            }
        }
        finally
        {
            await shell.StandardInput.WriteLineAsync("exit");
            shell.StandardInput.Close();
            await shell.WaitForExitAsync();
        }

        return measurements;
    }

    /// <summary>
    /// <c>ipmitool exec FILE</c> with <paramref name="commands"/> lines of "power status": one process, one session, the
    /// commands one after another. Each repetition gives one sample, the run's whole time (start-up, handshake and the
    /// session's close included) divided by the number of commands.
    /// </summary>
    private static async Task<Measurements> MeasureIpmitoolExecAsync(LabFiles lab, int commands, int repetitions)
    {
        var credentials = lab.Config.Credentials;
        var script = Path.Combine(lab.StateDirectory, "power-status.ipmitool");
        await File.WriteAllLinesAsync(script, Enumerable.Repeat("power status", commands));
        var measurements = new Measurements($"ipmitool exec, {commands} per run, per cmd");
        for (var i = 0; i < repetitions; i++)
        {
            var clock = Stopwatch.StartNew();
            var (exitCode, output, error) = await Ipmitool(lab, i % lab.Machines.Count, 17, null, "exec", script);
            var elapsed = clock.Elapsed.TotalMilliseconds;
            var answered = output.Split('\n').Count(line => line.StartsWith("Chassis Power is", StringComparison.Ordinal));
            if (exitCode != 0 || answered != commands)
            {
                throw new InvalidOperationException($"ipmitool exec answered {answered} of {commands} (exit {exitCode}): {error}");
            }

            measurements.Add(elapsed / commands);
        }

        return measurements;
    }

    private static async Task<Measurements> MeasureRedfishAsync(HttpClient http, LabFiles lab, int rounds, string name)
    {
        var measurements = new Measurements(name);
        for (var i = 0; i < rounds; i++)
        {
            var path = $"/redfish/v1/Systems/{lab.Machines[i % lab.Machines.Count].Uuid}";
            await measurements.TimeAsync(async () => (await http.GetAsync(path)).EnsureSuccessStatusCode().Dispose());
        }

        return measurements;
    }

    /// <summary>One ipmitool process (lanplus, 1 s timeout, 3 retries) running <paramref name="command"/> (default: power status).</summary>
    private static async Task<(int ExitCode, string Output, string Error)> Ipmitool(LabFiles lab, int machine, int suite, string? home = null, params string[] command)
    {
        var credentials = lab.Config.Credentials;
        var start = new ProcessStartInfo("/usr/bin/ipmitool")
        {
            ArgumentList =
            {
                "-I", "lanplus", "-H", "127.0.0.1", "-p", lab.Machines[machine].IpmiPort!.Value.ToString(CultureInfo.InvariantCulture),
                "-U", credentials.Username, "-P", credentials.Password, "-C", suite.ToString(CultureInfo.InvariantCulture), "-N", "1", "-R", "3",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (home is not null)
        {
            start.Environment["HOME"] = home;
        }

        foreach (var argument in command.Length == 0 ? ["power", "status"] : command)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }

    /// <summary>VmRSS of a process, in MiB.</summary>
    private static double ResidentMiB(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    private static string DomainXml(string name, int index) => $"""
        <domain type='qemu'>
          <name>{name}</name>
          <memory unit='MiB'>64</memory>
          <os><type arch='x86_64' machine='pc'>hvm</type></os>
          <devices>
            <interface type='user'><mac address='52:54:00:be:{index / 256:x2}:{index % 256:x2}'/><boot order='1'/></interface>
          </devices>
        </domain>
        """;

    private sealed record Options(int Machines, int Rounds, string Backend, string? ServeBinary)
    {
        public static bool TryParse(string[] args, out Options options)
        {
            options = new Options(50, 200, "both", null);
            for (var i = 0; i + 1 < args.Length; i += 2)
            {
                var value = args[i + 1];
                switch (args[i])
                {
                    case "--machines" when int.TryParse(value, out var machines) && machines is > 0 and <= 1000:
                        options = options with { Machines = machines };
                        break;
                    case "--rounds" when int.TryParse(value, out var rounds) && rounds > 1:
                        options = options with { Rounds = rounds };
                        break;
                    case "--backend" when value is "memory" or "libvirt" or "both":
                        options = options with { Backend = value };
                        break;
                    case "--serve" when File.Exists(value):
                        options = options with { ServeBinary = Path.GetFullPath(value) };
                        break;
                    default:
                        return false;
                }
            }

            return args.Length % 2 == 0;
        }
    }

    /// <summary>A BMC configuration for the machines, in a temporary directory with the service's state.</summary>
    private sealed class LabFiles : IDisposable
    {
        private readonly string _directory;

        public LabFiles(string workspace, IEnumerable<(Guid Uuid, string Name)> machines)
        {
            _directory = Directory.CreateTempSubdirectory(workspace + "-").FullName;
            var list = machines.ToList();
            var ports = IpmiPortAllocator.Allocate(list.Select(m => m.Name), null, [], FirstIpmiPort);
            Config = new BmcWorkspaceConfig
            {
                Workspace = workspace,
                Credentials = BmcCredentials.Generate(),
                Ipmi = new IpmiConfig("127.0.0.1"),
                Redfish = new RedfishConfig("127.0.0.1", FreeTcpPort()),
                Machines = [.. list.Select(m => new BmcMachineConfig(m.Uuid, m.Name, ports[m.Name]))],
            };
            BmcConfigFile.Write(Path.Combine(ConfigDirectory, BmcConfigFile.FileName(workspace)), Config);
            var registry = Path.Combine(TrimmedRegistryHome, ".local", "usr", "share", "misc", "enterprise-numbers.txt");
            Directory.CreateDirectory(Path.GetDirectoryName(registry)!);

            // One entry in the registry's format: ipmitool refuses an empty file ("Failed to initialize the OEM info dictionary").
            File.WriteAllText(registry, "0\n  Reserved\n");
        }

        /// <summary>A HOME for ipmitool whose per-user enterprise-number registry has one entry (see MeasureIpmitoolAsync).</summary>
        public string TrimmedRegistryHome => Path.Combine(_directory, "ipmitool-home");

        public BmcWorkspaceConfig Config { get; }

        public IReadOnlyList<BmcMachineConfig> Machines => Config.Machines;

        public string ConfigDirectory => Path.Combine(_directory, "config");

        public string StateDirectory => Path.Combine(_directory, "state");

        public BmcHostOptions HostOptions => new(ConfigDirectory, StateDirectory) { WatchConfiguration = false };

        /// <summary>A client that trusts the certificate the service generated, and nothing else.</summary>
        public HttpClient HttpClient()
        {
            var expected = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(StateDirectory, "tls", Config.Workspace + ".pfx"), null).Thumbprint;
            var client = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate?.Thumbprint == expected })
            {
                BaseAddress = new Uri($"https://127.0.0.1:{Config.Redfish!.Port}"),
            };
            var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Config.Credentials.Username}:{Config.Credentials.Password}"));
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", basic);
            return client;
        }

        public async Task<string> LogInAsync(HttpClient client)
        {
            var body = $$"""{"UserName": "{{Config.Credentials.Username}}", "Password": "{{Config.Credentials.Password}}"}""";
            using var response = await client.PostAsync("/redfish/v1/SessionService/Sessions", new StringContent(body, Encoding.UTF8, "application/json"));
            return response.EnsureSuccessStatusCode().Headers.GetValues("X-Auth-Token").Single();
        }

        public void Dispose() => Directory.Delete(_directory, recursive: true);

        private static int FreeTcpPort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
