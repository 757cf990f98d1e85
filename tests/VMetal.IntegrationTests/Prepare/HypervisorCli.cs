using System.Text.Json;
using VMetal.Hosting;
using VMetal.Hypervisor;
using VMetal.Sandbox;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Prepare;

/// <summary>Runs vmetal check/prepare in-process against a host and reads their JSON results.</summary>
internal static class HypervisorCli
{
    public static string[] SandboxArguments(SandboxEnvironment sandbox) =>
        ["--host", sandbox.Host, "--key", sandbox.KeyPath, "--known-hosts", sandbox.KnownHostsPath];

    public static async Task<(CliResult Cli, Result Json)> RunJsonAsync(params string[] arguments)
    {
        var cli = await CliRunner.RunAsync([.. arguments, "--output", "json"], stdin: null, cancellationToken: TestContext.Current.CancellationToken);
        return (cli, Result.Parse(cli));
    }

    /// <summary>The checks and steps of one run's JSON document.</summary>
    public sealed record Result(IReadOnlyDictionary<string, (string Status, string Found)> Checks, IReadOnlyList<(string Name, string Status, string Detail)> Steps)
    {
        public (string Status, string Detail) Step(string name)
        {
            var step = Steps.Single(s => s.Name == name);
            return (step.Status, step.Detail);
        }

        public IEnumerable<string> StepsWith(string status) => Steps.Where(step => step.Status == status).Select(step => step.Name);

        public static Result Parse(CliResult cli)
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(cli.Stdout);
            }
            catch (JsonException)
            {
                throw new InvalidOperationException($"exit {cli.ExitCode}, no JSON on stdout:\n{cli.Output}");
            }
            using (document)
            {
                var checks = document.RootElement.TryGetProperty("checks", out var checkArray)
                    ? checkArray.EnumerateArray().ToDictionary(c => c.GetProperty("id").GetString()!,
                        c => (c.GetProperty("status").GetString()!, c.GetProperty("found").GetString()!))
                    : [];
                var steps = document.RootElement.TryGetProperty("steps", out var stepArray)
                    ? stepArray.EnumerateArray().Select(s => (s.GetProperty("name").GetString()!, s.GetProperty("status").GetString()!,
                        s.GetProperty("detail").GetString()!)).ToList()
                    : [];
                return new Result(checks, steps);
            }
        }
    }
}

/// <summary>What a prepare test created in the sandbox, removed again at the end (the sandbox is shared).</summary>
internal sealed class SandboxPrepareTrace(SandboxFixture sandbox, string user, string workspace) : IAsyncDisposable
{
    public string User { get; } = user;

    public string Workspace { get; } = workspace;

    public string? PoolName { get; init; }

    public string? PoolPath { get; init; }

    public async ValueTask DisposeAsync()
    {
        var rootKey = Path.Combine(Workspace, WorkspaceKeys.RootKeyName + ".pub");
        var blob = File.Exists(rootKey) ? WorkspaceKeys.Blob(await File.ReadAllTextAsync(rootKey)) : null;
        var script = $"rm -f /etc/polkit-1/rules.d/50-vmetal-libvirt-{User}.rules; pkill -u {User} 2>/dev/null; " +
                     $"for i in 1 2 3 4 5; do userdel -r {User} 2>/dev/null && break; getent passwd {User} >/dev/null || break; sleep 0.5; done; " +
                     (blob is null ? "" : $"f=/root/.ssh/authorized_keys; if [ -f $f ]; then grep -vF {ShellQuote.Quote(blob)} $f > $f.t; chmod 600 $f.t; mv $f.t $f; fi; ") +
                     (PoolName is null ? "" : $"virsh -q -c qemu:///system pool-destroy {PoolName} 2>/dev/null; virsh -q -c qemu:///system pool-undefine {PoolName} 2>/dev/null; rmdir {PoolPath} 2>/dev/null; ") +
                     "true";
        await sandbox.RunAsync(script, sudo: true);
    }
}
