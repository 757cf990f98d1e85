using VMetal.Hosting;
using VMetal.Hypervisor;
using VMetal.Testing;
using static VMetal.IntegrationTests.Prepare.HypervisorCli;

namespace VMetal.IntegrationTests.Prepare;

/// <summary>
/// Package installation for real, on this (disposable CI) machine: a package prepare requires is
/// removed, and <c>prepare --host local --only packages</c> puts it back in one apt call. Only the
/// packages step runs here: the other steps would create users or start libvirtd on this machine.
/// </summary>
[Collection(HostPackagesCollection.Name)]
public sealed class LocalPackageTests(HostPackages packages)
{
    /// <summary>
    /// Required by prepare, used by no test, and a metapackage: removing it removes nothing else
    /// (the tools it pulls in stay), and putting it back fetches a few kilobytes.
    /// </summary>
    private const string Package = "libguestfs-tools";

    private const string AptHistory = "/var/log/apt/history.log";

    [Fact]
    public async Task Prepare_on_this_machine_reinstalls_a_removed_package_with_one_apt_call()
    {
        await using var local = new LocalHostConnection();
        Assert.SkipUnless(File.Exists("/usr/bin/apt-get"), "this machine has no apt");
        Assert.SkipUnless(local.IsRoot || (await local.RunAsync(HostCommand.Of("sudo -n true"))).Succeeded, "needs root or passwordless sudo");
        await packages.EnsureAsync();
        var simulation = await local.RunCheckedAsync(HostCommand.AsRoot($"apt-get -s remove {Package}"));
        Assert.Equal([$"Remv {Package}"], simulation.Stdout.Split('\n').Where(line => line.StartsWith("Remv ", StringComparison.Ordinal))
            .Select(line => string.Join(' ', line.Split(' ').Take(2))));
        using var temp = new TempDirectory("vmetal-local");
        var workspace = Path.Combine(temp.Path, "workspace");
        string[] arguments = ["prepare", "--host", "local", "--only", "packages", "--workspace-dir", workspace];

        await local.RunCheckedAsync(HostCommand.AsRoot($"DEBIAN_FRONTEND=noninteractive apt-get -y -q remove {Package}") with { Timeout = TimeSpan.FromMinutes(5) });
        try
        {
            var historyBefore = AptRuns();
            var (installed, installedResult) = await RunJsonAsync(arguments);
            var newRuns = AptRuns().Skip(historyBefore.Count).ToList();
            var (again, againResult) = await RunJsonAsync(arguments);

            Assert.True(installed.ExitCode == 0, installed.Output);
            Assert.Equal(("changed", $"installed {Package} (apt-get, one transaction)"), installedResult.Step("packages"));
            Assert.Equal(HypervisorPreparer.StepNames.Where(name => name != "packages"), installedResult.StepsWith("skipped"));
            var run = Assert.Single(newRuns);
            Assert.Contains($"install --no-install-recommends {Package}", run, StringComparison.Ordinal);
            Assert.Contains($"Install: {Package}:", run, StringComparison.Ordinal);
            Assert.StartsWith("ii", (await local.RunAsync(HostCommand.Of($"dpkg-query -W -f='${{db:Status-Abbrev}}' {Package}"))).Stdout, StringComparison.Ordinal);
            Assert.Equal(0, again.ExitCode);
            Assert.Equal("unchanged", againResult.Step("packages").Status);
            Assert.False(Directory.Exists(workspace), "only the packages step may run on this machine");
        }
        finally
        {
            if (!(await local.RunAsync(HostCommand.Of($"dpkg-query -W -f='${{db:Status-Abbrev}}' {Package}"))).Stdout.StartsWith("ii", StringComparison.Ordinal))
                await local.RunAsync(HostCommand.AsRoot($"DEBIAN_FRONTEND=noninteractive apt-get -y -q install {Package}") with { Timeout = TimeSpan.FromMinutes(10) });
        }
    }

    /// <summary>The entries of apt's history log, one per apt run (each starts with "Start-Date:").</summary>
    private static List<string> AptRuns() =>
        File.Exists(AptHistory)
            ? File.ReadAllText(AptHistory).Split("Start-Date:", StringSplitOptions.RemoveEmptyEntries).Where(entry => entry.Trim().Length > 0).ToList()
            : [];
}
