using System.CommandLine;
using VMetal.Cli.Output;
using VMetal.Hosting;
using VMetal.Sandbox;

namespace VMetal.Cli.Commands;

/// <summary>What a running command gets: its parsed options, the console, and the services.</summary>
public sealed class CommandContext(ParseResult parseResult, IConsoleOutput output, CliServices services)
{
    public ParseResult ParseResult { get; } = parseResult;

    public IConsoleOutput Output { get; } = output;

    public CliServices Services { get; } = services;

    public T? Get<T>(Option<T> option) => ParseResult.GetValue(option);

    public T? Get<T>(Argument<T> argument) => ParseResult.GetValue(argument);

    public string WorkspaceName => Get(GlobalOptions.Workspace) ?? (Environment.GetEnvironmentVariable("VMETAL_WORKSPACE") is { Length: > 0 } name ? name : "default");

    /// <summary>
    /// Checks the options every command has before anything runs: the workspace name becomes file
    /// names on both sides (and reaches root shells on the host), so it must be a plain name.
    /// </summary>
    /// <exception cref="UsageException">One of them is malformed.</exception>
    public void ValidateGlobalOptions()
    {
        if (!Converge.WorkspaceRecord.IsValidWorkspaceName(WorkspaceName))
            throw new UsageException($"--workspace '{WorkspaceName}': use 1-64 letters, digits, '.', '_' and '-', starting with a letter or digit");
        if (ParseResult.GetResult(GlobalOptions.Host) is { Implicit: false } && string.IsNullOrWhiteSpace(Get(GlobalOptions.Host)))
            throw new UsageException("--host is empty: pass user@address[:port] or 'local'");
        if (Get(GlobalOptions.ConnectTimeout) is < 1 or > MaxConnectTimeoutSeconds)
            throw new UsageException($"--connect-timeout {Get(GlobalOptions.ConnectTimeout)}: use 1 to {MaxConnectTimeoutSeconds} seconds");
    }

    private const int MaxConnectTimeoutSeconds = 3600;

    public string WorkspaceDirectory => Get(GlobalOptions.WorkspaceDir) is { Length: > 0 } directory
        ? Path.GetFullPath(directory)
        : DefaultWorkspaceDirectory(WorkspaceName);

    /// <summary>Where a workspace's outputs go without --workspace-dir: <c>~/.vmetal/workspaces/NAME</c>.</summary>
    public static string DefaultWorkspaceDirectory(string workspace) =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".vmetal", "workspaces", workspace);

    /// <summary>
    /// The host to work on: <c>--host</c> (or VMETAL_HOST), else the sandbox when it is up.
    /// Key and known_hosts come from the options, or from the sandbox for the sandbox.
    /// </summary>
    public HostSettings ResolveHost()
    {
        var timeout = TimeSpan.FromSeconds(Get(GlobalOptions.ConnectTimeout));
        var explicitHost = Get(GlobalOptions.Host);
        HostSettings settings;
        if (explicitHost is { Length: > 0 })
        {
            HostTarget target;
            try
            {
                target = HostTarget.Parse(explicitHost);
            }
            catch (FormatException ex)
            {
                throw new UsageException($"--host: {ex.Message}");
            }
            settings = new HostSettings(target);
        }
        else if (SandboxManager.LooksUp())
        {
            settings = SandboxManager.DefaultEnvironment.HostSettings;
            Output.Detail($"no --host given: using the sandbox ({settings.Target})");
        }
        else
        {
            throw new UsageException("no host given: pass --host user@address (or set VMETAL_HOST), or start the sandbox with 'vmetal sandbox up'");
        }
        return settings with
        {
            // Absolute: `hosts` and `ssh.config` name these files and are used from other directories.
            KeyPath = Get(GlobalOptions.Key) is { Length: > 0 } key ? Path.GetFullPath(key) : settings.KeyPath,
            KnownHostsPath = Get(GlobalOptions.KnownHosts) is { Length: > 0 } knownHosts ? Path.GetFullPath(knownHosts) : settings.KnownHostsPath,
            KeyPassphrase = Environment.GetEnvironmentVariable("VMETAL_KEY_PASSPHRASE"),
            AcceptNewHostKey = Get(GlobalOptions.AcceptNewHostKey),
            ConnectTimeout = timeout,
        };
    }

    /// <summary>Opens the resolved host (one connection for the whole command).</summary>
    public async Task<IHostConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var settings = ResolveHost();
        Output.Detail($"connecting to {settings.Target}");
        return await Services.HostConnector.ConnectAsync(settings, cancellationToken);
    }
}

/// <summary>The command line itself is wrong (exit 2).</summary>
public sealed class UsageException(string message) : VMetalException(FailureKind.BadInput, message);
