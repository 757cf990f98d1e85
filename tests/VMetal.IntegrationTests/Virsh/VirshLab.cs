using VMetal.Testing;

namespace VMetal.IntegrationTests.Virsh;

/// <summary>
/// One lab driven through `vmetal virsh` with infrared's host flags: a unique prefix, workspace and
/// workspace directory, and `vmetal down` of the workspace when the test ends.
/// </summary>
internal sealed class VirshLab : IAsyncDisposable
{
    private readonly SandboxFixture _sandbox;
    private readonly Converge.TestLab _lab;

    public VirshLab(SandboxFixture sandbox, string area)
    {
        _sandbox = sandbox;
        _lab = new Converge.TestLab(sandbox, area, kind: "virsh");
        var environment = sandbox.Require();
        HostFlags =
        [
            "--host-address", environment.Target.Address, "--host-user", environment.Target.User, "--host-key", environment.KeyPath,
            "--known-hosts", environment.KnownHostsPath, "--workspace", Workspace, "--workspace-dir", _lab.WorkspaceDirectory,
        ];
    }

    public string Prefix => _lab.Prefix;

    public string Workspace => _lab.Workspace;

    public string WorkspaceDirectory => _lab.WorkspaceDirectory;

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
    public Task<(IReadOnlyList<string> Domains, IReadOnlyList<string> Networks, IReadOnlyList<string> Volumes)> ObjectsAsync() => _lab.ObjectsAsync();

    public async Task<string> UuidAsync(string domain) => (await _sandbox.VirshAsync("domuuid", domain)).Trim();

    public async Task<string> StateAsync(string domain) => (await _sandbox.VirshAsync("domstate", domain)).Trim();

    public async Task<bool> HasRecordAsync() =>
        (await _sandbox.RunAsync($"test -e /var/lib/vmetal/workspaces/{Workspace}.json", sudo: true)).ExitCode == 0;

    public ValueTask DisposeAsync() => _lab.DisposeAsync();
}
