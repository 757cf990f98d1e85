using VMetal.Testing;

namespace VMetal.IntegrationTests.Virsh;

/// <summary>
/// One lab driven through `vmetal virsh` with infrared's host flags: a unique prefix, workspace and
/// workspace directory, and `vmetal down` of the workspace when the test ends.
/// </summary>
internal sealed class VirshLab : IAsyncDisposable
{
    private readonly SandboxFixture _sandbox;
    private readonly TempDirectory _directory = new("vmetal-virsh");

    public VirshLab(SandboxFixture sandbox, string area)
    {
        _sandbox = sandbox;
        var environment = sandbox.Require();
        Prefix = "v" + TestNames.Unique(area)[2..].Replace("-", "", StringComparison.Ordinal)[..7];
        Workspace = "it-virsh-" + Prefix;
        HostFlags =
        [
            "--host-address", environment.Target.Address, "--host-user", environment.Target.User, "--host-key", environment.KeyPath,
            "--known-hosts", environment.KnownHostsPath, "--workspace", Workspace, "--workspace-dir", _directory.Path,
        ];
    }

    public string Prefix { get; }

    public string Workspace { get; }

    /// <summary>infrared's host flags plus vmetal's known_hosts and workspace.</summary>
    public string[] HostFlags { get; }

    /// <summary>Bare-metal nodes of 128 MiB with 1 GiB thin disks: small enough for a 2-core sandbox, and left powered off.</summary>
    public static string[] Tiny(int computes, int memory = 128) =>
        ["--topology-nodes", $"compute:{computes}", "-e", $"override.compute.memory={memory}", "-e", "override.compute.disks.disk1.size=1G"];

    public Task<CliResult> VirshAsync(params string[] flags) => CliRunner.RunAsync(["virsh", .. HostFlags, .. flags]);

    public async Task<CliResult> VirshCheckedAsync(params string[] flags)
    {
        var result = await VirshAsync(flags);
        Assert.True(result.ExitCode == 0, $"vmetal virsh {string.Join(' ', flags)} exited {result.ExitCode}:\n{result.Output}");
        return result;
    }

    /// <summary>This lab's domains, networks and volumes (by prefix) as plain virsh sees them.</summary>
    public async Task<(IReadOnlyList<string> Domains, IReadOnlyList<string> Networks, IReadOnlyList<string> Volumes)> ObjectsAsync()
    {
        var domains = Lines(await _sandbox.VirshAsync("-q", "list", "--all", "--name"));
        var networks = Lines(await _sandbox.VirshAsync("-q", "net-list", "--all", "--name"));
        var volumes = Lines((await _sandbox.RunAsync("ls /var/lib/libvirt/images", sudo: true)).Stdout);
        return (Mine(domains), Mine(networks), Mine(volumes));
    }

    public async Task<string> UuidAsync(string domain) => (await _sandbox.VirshAsync("domuuid", domain)).Trim();

    public async Task<string> StateAsync(string domain) => (await _sandbox.VirshAsync("domstate", domain)).Trim();

    public async Task<bool> HasRecordAsync() =>
        (await _sandbox.RunAsync($"test -e /var/lib/vmetal/workspaces/{Workspace}.json", sudo: true)).ExitCode == 0;

    public async ValueTask DisposeAsync()
    {
        try
        {
            var environment = _sandbox.Require();
            await CliRunner.RunAsync("down", "--host", environment.Host, "--key", environment.KeyPath, "--known-hosts", environment.KnownHostsPath,
                "--workspace", Workspace, "--workspace-dir", _directory.Path);
        }
        finally
        {
            _directory.Dispose();
        }
    }

    private List<string> Mine(IEnumerable<string> names) =>
        names.Where(name => name.StartsWith(Prefix + "-", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

    private static IEnumerable<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
