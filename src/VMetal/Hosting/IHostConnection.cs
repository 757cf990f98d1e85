namespace VMetal.Hosting;

/// <summary>
/// A host vmetal can run commands on and copy files to: over one SSH connection, or this
/// machine. Many commands may be in flight at once; implementations are thread-safe.
/// </summary>
public interface IHostConnection : IAsyncDisposable
{
    HostTarget Target { get; }

    /// <summary>True when commands already run as root, so sudo is not needed.</summary>
    bool IsRoot { get; }

    /// <summary>Runs a command to completion and returns its exit code and output.</summary>
    /// <exception cref="SudoPasswordRequiredException">sudo wanted a password.</exception>
    /// <exception cref="HostCommandTimeoutException">the command's timeout elapsed.</exception>
    Task<CommandResult> RunAsync(HostCommand command, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts a long-running command whose stdin/stdout are streamed (e.g. the helper
    /// that carries libvirt's RPC protocol, or a file transfer).
    /// </summary>
    Task<IHostProcess> StartAsync(HostCommand command, CancellationToken cancellationToken = default);
}

/// <summary>A command running on a host, with its standard streams.</summary>
public interface IHostProcess : IAsyncDisposable
{
    /// <summary>Write to the command's stdin; disposing it sends end-of-file.</summary>
    Stream StandardInput { get; }

    Stream StandardOutput { get; }

    /// <summary>Everything the command wrote to stderr so far (diagnostics only).</summary>
    string StandardErrorText { get; }

    /// <summary>Completes with the exit code when the command ends.</summary>
    Task<int> Completion { get; }

    /// <summary>
    /// Asks the command to stop (SIGTERM) because we were interrupted; <see cref="Completion"/> then
    /// ends. Closing the channel alone would leave a remote command that reads nothing running on.
    /// </summary>
    Task TerminateAsync() => DisposeAsync().AsTask();
}
