using VMetal.Hosting;
using VMetal.Sandbox;
using Xunit;

namespace VMetal.Testing;

/// <summary>
/// Access to the sandbox hypervisor for integration tests: connection details, one shared
/// SSH connection, and helpers to run virsh there. Tests that need it call
/// <see cref="Require"/>, which skips them when no sandbox is up — unless
/// VMETAL_REQUIRE_SANDBOX=1 (as in CI), where a missing sandbox fails the run.
/// </summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private IHostConnection? _host;

    public SandboxEnvironment? Environment { get; private set; }

    public string Problem { get; private set; } = string.Empty;

    public static bool Required => System.Environment.GetEnvironmentVariable("VMETAL_REQUIRE_SANDBOX") == "1";

    public ValueTask InitializeAsync()
    {
        Environment = Discover(out var problem);
        Problem = problem;
        if (Environment is null && Required)
            throw new InvalidOperationException($"VMETAL_REQUIRE_SANDBOX=1 but {problem}");
        return ValueTask.CompletedTask;
    }

    /// <summary>The sandbox's environment; skips the calling test when there is no sandbox.</summary>
    public SandboxEnvironment Require()
    {
        if (Environment is null)
            Assert.Skip(Problem);
        return Environment;
    }

    /// <summary>A new SSH connection as the sandbox's sudoer.</summary>
    public async Task<IHostConnection> ConnectAsync(CancellationToken cancellationToken = default) =>
        await new HostConnector().ConnectAsync(Require().HostSettings, cancellationToken);

    /// <summary>One connection shared by the helpers below.</summary>
    public async Task<IHostConnection> HostAsync()
    {
        await _connectLock.WaitAsync();
        try
        {
            return _host ??= await ConnectAsync();
        }
        finally
        {
            _connectLock.Release();
        }
    }

    /// <summary>Runs a shell command in the sandbox as the sudoer (or root with <paramref name="sudo"/>).</summary>
    public async Task<CommandResult> RunAsync(string command, bool sudo = false, string? stdin = null)
    {
        var host = await HostAsync();
        // Bounded, so a lost reply fails one test instead of stalling the run.
        var hostCommand = new HostCommand(command) { Sudo = sudo, Timeout = TimeSpan.FromMinutes(3) };
        if (stdin is not null)
            hostCommand = hostCommand.WithStdin(stdin);
        return await host.RunAsync(hostCommand);
    }

    /// <summary><c>virsh -c qemu:///system ARGS</c> as root in the sandbox; throws on failure.</summary>
    public async Task<string> VirshAsync(params string[] arguments)
    {
        var result = await VirshResultAsync(arguments);
        if (!result.Succeeded)
            throw new InvalidOperationException($"virsh {string.Join(' ', arguments)} exited {result.ExitCode}: {result.Stderr}");
        return result.Stdout;
    }

    /// <summary><c>virsh</c> with the XML fed on stdin as <c>/dev/stdin</c> where an argument says so.</summary>
    public async Task<CommandResult> VirshResultAsync(string[] arguments, string? stdin = null) =>
        await RunAsync("virsh -c qemu:///system " + ShellQuote.Join(arguments), sudo: true, stdin);

    public Task<CommandResult> VirshResultAsync(params string[] arguments) => VirshResultAsync(arguments, null);

    /// <summary>Runs a local program inside the sandbox's network namespace (e.g. ipmitool against a BMC there).</summary>
    public Task<ProcessResult> RunInNetworkNamespaceAsync(string fileName, IEnumerable<string> arguments, TimeSpan? timeout = null) =>
        ProcessRunner.RunAsync("ip", new[] { "netns", "exec", Require().NetworkNamespace, fileName }.Concat(arguments), timeout: timeout);

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
            await _host.DisposeAsync();
        _connectLock.Dispose();
    }

    private static SandboxEnvironment? Discover(out string problem)
    {
        var variables = new[]
        {
            "VMETAL_HOST", "VMETAL_KEY", "VMETAL_KNOWN_HOSTS", "VMETAL_SANDBOX_NETNS", "VMETAL_SANDBOX_MOUNTNS",
            "VMETAL_SANDBOX_LIBVIRT_SOCKET", "VMETAL_SANDBOX_SSH_CONFIG", "VMETAL_SANDBOX_BLACKHOLE",
        };
        if (System.Environment.GetEnvironmentVariable("VMETAL_SANDBOX_NETNS") is { Length: > 0 })
        {
            problem = string.Empty;
            return SandboxEnvironment.Parse(string.Join('\n',
                variables.Select(name => $"{name}={System.Environment.GetEnvironmentVariable(name)}")));
        }
        if (SandboxManager.LooksUp())
        {
            problem = string.Empty;
            return SandboxManager.DefaultEnvironment;
        }
        problem = "the sandbox hypervisor is not up (run: ./vmetal sandbox up)";
        return null;
    }
}
