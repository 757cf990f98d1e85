using System.Diagnostics;
using System.Text.Json;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Converge;

/// <summary>
/// One vmetal lab on the sandbox for a test: a unique workspace and prefix (so concurrent tests
/// never meet), its own workspace directory, and `vmetal down` when the test ends.
/// </summary>
internal sealed class TestLab : IAsyncDisposable
{
    private readonly SandboxFixture _sandbox;
    private readonly TempDirectory _directory = new("vmetal-lab");

    /// <param name="kind">First letter of the prefix and part of the workspace name, so labs of different suites are told apart.</param>
    public TestLab(SandboxFixture sandbox, string area, string kind = "t")
    {
        _sandbox = sandbox;
        var environment = sandbox.Require();
        Prefix = kind[..1] + TestNames.Unique(area)[2..].Replace("-", "", StringComparison.Ordinal)[..7];
        Workspace = (kind.Length > 1 ? $"it-{kind}-" : "it-") + Prefix;
        ConnectionArgs = ["--host", environment.Host, "--key", environment.KeyPath, "--known-hosts", environment.KnownHostsPath];
    }

    public string Prefix { get; }

    public string Workspace { get; }

    public string WorkspaceDirectory => _directory.Path;

    public string[] ConnectionArgs { get; }

    /// <summary>A small powered-off lab: two compute nodes at 128 MiB with 1 GiB thin disks, on 3_nets.</summary>
    public static readonly string[] SmallTopology =
        ["--topology-nodes", "compute:2", "-e", "override.compute.memory=128", "-e", "override.compute.disks.disk1.size=1G"];

    public string[] Args(params string[] command) =>
        [.. command, .. ConnectionArgs, "--workspace", Workspace, "--workspace-dir", WorkspaceDirectory];

    /// <summary>`up` of this lab; no BMC unless the test asks for one (it is tested on its own).</summary>
    public string[] UpArgs(params string[] topology) => [.. Args("up"), "--prefix", Prefix, "--bmc", "none", .. topology];

    /// <summary>Runs vmetal in-process (same command tree as the binary).</summary>
    public Task<CliResult> RunAsync(params string[] args) => CliRunner.RunAsync(args);

    /// <summary>Runs vmetal in-process and fails the test unless it exits 0.</summary>
    public async Task<CliResult> RunCheckedAsync(params string[] args)
    {
        var result = await CliRunner.RunAsync(args);
        Assert.True(result.ExitCode == 0, $"vmetal {string.Join(' ', args)} exited {result.ExitCode}:\n{result.Output}");
        return result;
    }

    /// <summary>Starts the real vmetal binary as a separate process (for kill and concurrency tests).</summary>
    public static Process StartProcess(IEnumerable<string> args)
    {
        var startInfo = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "vmetal"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in args)
            startInfo.ArgumentList.Add(argument);
        startInfo.Environment["CI"] = "true";
        return Process.Start(startInfo) ?? throw new InvalidOperationException("could not start vmetal");
    }

    /// <summary>Names of the sandbox's domains / networks / volumes in the default pool that carry this lab's prefix.</summary>
    public async Task<(IReadOnlyList<string> Domains, IReadOnlyList<string> Networks, IReadOnlyList<string> Volumes)> ObjectsAsync()
    {
        var domains = Lines(await _sandbox.VirshAsync("-q", "list", "--all", "--name"));
        var networks = Lines(await _sandbox.VirshAsync("-q", "net-list", "--all", "--name"));
        var volumes = (await _sandbox.RunAsync("ls /var/lib/libvirt/images", sudo: true)).Stdout;
        return (Mine(domains), Mine(networks), Mine(Lines(volumes)));
    }

    public JsonDocument State() => JsonDocument.Parse(File.ReadAllText(Path.Combine(WorkspaceDirectory, "state.json")));

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CliRunner.RunAsync(Args("down"));
        }
        finally
        {
            _directory.Dispose();
        }
    }

    private IReadOnlyList<string> Mine(IEnumerable<string> names) =>
        names.Where(name => name.StartsWith(Prefix + "-", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

    private static IEnumerable<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
