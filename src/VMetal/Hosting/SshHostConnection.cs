using System.Net.Sockets;
using System.Text;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace VMetal.Hosting;

/// <summary>How to reach and trust an SSH host.</summary>
public sealed record SshConnectOptions(HostTarget Target)
{
    /// <summary>Private key file (OpenSSH or PEM; ed25519, ECDSA, RSA). Null: the agent and ~/.ssh/id_*.</summary>
    public string? KeyPath { get; init; }

    public string? KeyPassphrase { get; init; }

    public string KnownHostsPath { get; init; } = KnownHostsFile.DefaultPath;

    /// <summary>Record the key of a host not yet in known_hosts (never a changed one).</summary>
    public bool AcceptNewHostKey { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>ssh-agent socket to take keys from when no key file is given; null: none.</summary>
    public string? AgentSocketPath { get; init; } = Environment.GetEnvironmentVariable("SSH_AUTH_SOCK");

    /// <summary>
    /// Channels vmetal opens at once. OpenSSH allows 10 sessions per connection by default;
    /// one is kept spare so a long-lived channel (libvirt) never starves short commands.
    /// </summary>
    public int MaxChannels { get; init; } = 9;
}

/// <summary>
/// One SSH connection (SSH.NET) that carries every command, file transfer and the
/// libvirt stream for a host; commands run concurrently on separate channels.
/// </summary>
public sealed class SshHostConnection : IHostConnection
{
    private readonly SshClient _client;
    private readonly SemaphoreSlim _channels;
    private int _disposed;

    private SshHostConnection(HostTarget target, SshClient client, int maxChannels)
    {
        Target = target;
        _client = client;
        _channels = new SemaphoreSlim(maxChannels, maxChannels);
    }

    public HostTarget Target { get; }

    public bool IsRoot => Target.User == "root";

    /// <summary>Connects, verifies the host key against known_hosts and authenticates.</summary>
    /// <exception cref="HostConnectionException">with a one-line reason.</exception>
    public static async Task<SshHostConnection> ConnectAsync(SshConnectOptions options, CancellationToken cancellationToken = default)
    {
        var target = options.Target;
        var keySources = LoadKeySources(options);
        var connectionInfo = new ConnectionInfo(target.Address, target.Port, target.User,
            new PrivateKeyAuthenticationMethod(target.User, keySources.ToArray()))
        {
            Timeout = options.ConnectTimeout,
            MaxSessions = options.MaxChannels + 1,
        };
        var knownHosts = KnownHostsFile.Load(options.KnownHostsPath);
        PreferKnownHostKeyTypes(connectionInfo, knownHosts.KnownKeyTypes(target.KnownHostsName));

        var client = new SshClient(connectionInfo) { KeepAliveInterval = TimeSpan.FromSeconds(30) };
        HostConnectionException? hostKeyProblem = null;
        client.HostKeyReceived += (_, e) =>
        {
            hostKeyProblem = TrustHostKey(options, knownHosts, e.HostKey);
            e.CanTrust = hostKeyProblem is null;
        };

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            await client.ConnectAsync(timeout.Token);
            return new SshHostConnection(target, client, options.MaxChannels);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            client.Dispose();
            throw hostKeyProblem ?? Classify(target, options, ex);
        }
    }

    public async Task<CommandResult> RunAsync(HostCommand command, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (command.Timeout is { } limit)
            timeout.CancelAfter(limit);
        await _channels.WaitAsync(timeout.Token);
        try
        {
            using var ssh = _client.CreateCommand(RunCommandLine(command));
            var execution = ssh.ExecuteAsync(timeout.Token);
            if (!command.Stdin.IsEmpty)
            {
                await using var stdin = OpenStdin(ssh, execution);
                try
                {
                    await stdin.WriteAsync(command.Stdin, timeout.Token);
                }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException or SshException)
                {
                    // The command ended without reading all of its input; its exit status tells.
                }
                // Disposing sends EOF, which the remote side waits for (see RunCommandLine).
            }
            await execution;
            var result = new CommandResult(ssh.ExitStatus ?? -1, ssh.Result, ssh.Error);
            if (command.Sudo && SudoPasswordRequiredException.Matches(result))
                throw new SudoPasswordRequiredException(Target, command, result);
            return result;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && command.Timeout is { } elapsed)
        {
            throw new HostCommandTimeoutException(Target, command, elapsed);
        }
        catch (SshConnectionException ex)
        {
            throw new HostConnectionException(Target, ConnectFailure.ProtocolError, $"lost the SSH connection to {Target}: {ex.Message}", ex);
        }
        finally
        {
            _channels.Release();
        }
    }

    public async Task<IHostProcess> StartAsync(HostCommand command, CancellationToken cancellationToken = default)
    {
        await _channels.WaitAsync(cancellationToken);
        try
        {
            var ssh = _client.CreateCommand(CommandLine(command));
            var execution = ssh.ExecuteAsync(CancellationToken.None);
            return new SshHostProcess(ssh, execution, OpenStdin(ssh, execution), _channels);
        }
        catch
        {
            _channels.Release();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            if (_client.IsConnected)
                _client.Disconnect();
            _client.Dispose();
            _channels.Dispose();
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The command's stdin. SSH.NET only hands it out while the command runs; a command that
    /// already finished needs none.
    /// </summary>
    private static Stream OpenStdin(SshCommand ssh, Task execution)
    {
        try
        {
            return ssh.CreateInputStream();
        }
        catch (InvalidOperationException) when (execution.IsCompleted)
        {
            return Stream.Null;
        }
    }

    /// <summary>
    /// The command line of a command run to completion. Without input it reads /dev/null, so
    /// nothing waits for an EOF that is never sent. With input, the remote side drains it to EOF
    /// before exiting: a command that exited early (sudo asking for a password, a tool ignoring
    /// stdin) would otherwise close the channel before our EOF arrives, and OpenSSH drops the
    /// whole connection — every command and the libvirt stream on it — for an EOF on a closed channel.
    /// </summary>
    private string RunCommandLine(HostCommand command)
    {
        var line = CommandLine(command);
        return command.Stdin.IsEmpty
            ? $"{{ {line}\n}} </dev/null"
            : $"{{ {line}\n}}; vmetal_status=$?; cat >/dev/null; exit $vmetal_status";
    }

    private string CommandLine(HostCommand command) =>
        command.Sudo && !IsRoot ? $"sudo -n -- sh -c {ShellQuote.Quote(command.Text)}" : command.Text;

    private static List<IPrivateKeySource> LoadKeySources(SshConnectOptions options)
    {
        var sources = new List<IPrivateKeySource>();
        if (options.KeyPath is { } explicitKey)
        {
            sources.Add(LoadKey(options.Target, explicitKey, options.KeyPassphrase));
            return sources;
        }
        if (options.AgentSocketPath is { Length: > 0 } agentSocket && File.Exists(agentSocket))
        {
            var agent = new SshAgent(agentSocket);
            try
            {
                sources.AddRange(agent.KeySources());
            }
            catch (Exception ex) when (ex is SocketException or InvalidOperationException)
            {
                // An unusable agent is not fatal: fall back to key files.
            }
        }
        var sshDirectory = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh");
        foreach (var name in new[] { "id_ed25519", "id_ecdsa", "id_rsa" })
        {
            var path = Path.Combine(sshDirectory, name);
            if (!File.Exists(path))
                continue;
            try
            {
                sources.Add(new PrivateKeyFile(path, options.KeyPassphrase));
            }
            catch (Exception ex) when (ex is SshException or IOException or UnauthorizedAccessException)
            {
                // Like ssh(1), skip default keys we cannot use (e.g. encrypted without a passphrase).
            }
        }
        if (sources.Count == 0)
            throw new HostConnectionException(options.Target, ConnectFailure.KeyUnreadable,
                $"no SSH key to log in to {options.Target}: pass --key PATH (or set VMETAL_KEY), or load a key into ssh-agent");
        return sources;
    }

    private static PrivateKeyFile LoadKey(HostTarget target, string path, string? passphrase)
    {
        try
        {
            return new PrivateKeyFile(path, passphrase);
        }
        catch (SshPassPhraseNullOrEmptyException ex)
        {
            throw new HostConnectionException(target, ConnectFailure.KeyUnreadable,
                $"SSH key {path} is encrypted: set VMETAL_KEY_PASSPHRASE", ex);
        }
        catch (Exception ex) when (ex is SshException or InvalidOperationException or ArgumentException or FormatException
                                       or System.Security.Cryptography.CryptographicException)
        {
            throw new HostConnectionException(target, ConnectFailure.KeyUnreadable,
                $"cannot use SSH key {path}: {ex.Message} (wrong passphrase or not a private key?)", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new HostConnectionException(target, ConnectFailure.KeyMissing, $"cannot read SSH key {path}: {ex.Message}", ex);
        }
    }

    /// <summary>Returns null when the key may be trusted, or the reason to refuse it.</summary>
    private static HostConnectionException? TrustHostKey(SshConnectOptions options, KnownHostsFile knownHosts, byte[] keyBlob)
    {
        var target = options.Target;
        var name = target.KnownHostsName;
        var key = $"{KnownHostsFile.KeyTypeOf(keyBlob)} key {KnownHostsFile.Fingerprint(keyBlob)}";
        var check = knownHosts.Check(name, keyBlob);
        switch (check.Verdict)
        {
            case HostKeyVerdict.Trusted:
                return null;
            case HostKeyVerdict.Unknown when options.AcceptNewHostKey:
                knownHosts.Append(name, keyBlob);
                return null;
            case HostKeyVerdict.Unknown:
                return new HostConnectionException(target, ConnectFailure.HostKeyUnknown,
                    $"host key of {name} is not in {knownHosts.Path} ({key}); check the fingerprint, then re-run with --accept-new-host-key to record it");
            case HostKeyVerdict.Revoked:
                return new HostConnectionException(target, ConnectFailure.HostKeyRevoked,
                    $"host {name} offered a revoked key ({key}, marked @revoked at {check.EntryLocation}); refusing to connect");
            default:
                return new HostConnectionException(target, ConnectFailure.HostKeyChanged,
                    $"HOST KEY MISMATCH for {name}: it offered {key}, but {check.EntryLocation} records another key " +
                    $"(known types: {string.Join(", ", check.KnownKeyTypes)}). Someone may be intercepting the connection, or the host was reinstalled; " +
                    $"remove the old entry (ssh-keygen -R '{name}' -f {knownHosts.Path}) only if you know why it changed");
        }
    }

    /// <summary>Asks the server for a host key type we already know, as OpenSSH does.</summary>
    private static void PreferKnownHostKeyTypes(ConnectionInfo connectionInfo, IReadOnlyList<string> knownTypes)
    {
        var preferred = knownTypes
            .SelectMany(type => type == "ssh-rsa" ? new[] { "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa" } : [type])
            .Where(connectionInfo.HostKeyAlgorithms.ContainsKey)
            .ToList();
        for (var position = 0; position < preferred.Count; position++)
            connectionInfo.HostKeyAlgorithms.SetPosition(preferred[position], position);
    }

    private static HostConnectionException Classify(HostTarget target, SshConnectOptions options, Exception ex)
    {
        var where = $"{target.Address}:{target.Port}";
        return ex switch
        {
            HostConnectionException already => already,
            SocketException { SocketErrorCode: SocketError.ConnectionRefused } =>
                new(target, ConnectFailure.Refused, $"cannot connect to {where}: connection refused (is sshd running?)", ex),
            SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain } =>
                new(target, ConnectFailure.NameResolution, $"cannot resolve host name '{target.Address}'", ex),
            SocketException { SocketErrorCode: SocketError.TimedOut } or OperationCanceledException or SshOperationTimeoutException =>
                new(target, ConnectFailure.Timeout,
                    $"cannot connect to {where}: no answer within {options.ConnectTimeout.TotalSeconds:0.#} s (host down or filtered?)", ex),
            SocketException socket =>
                new(target, ConnectFailure.Unreachable, $"cannot connect to {where}: {socket.Message}", ex),
            SshAuthenticationException =>
                new(target, ConnectFailure.AuthenticationFailed,
                    $"authentication failed for {target.User}@{target.Address}: the server refused " +
                    (options.KeyPath is null ? "every key from ssh-agent and ~/.ssh" : $"key {options.KeyPath}"), ex),
            _ => new(target, ConnectFailure.ProtocolError, $"SSH connection to {where} failed: {ex.Message}", ex),
        };
    }

    private sealed class SshHostProcess : IHostProcess
    {
        private readonly SshCommand _command;
        private readonly SemaphoreSlim _channels;
        private readonly StringBuilder _stderr = new();
        private readonly Task _stderrDrain;
        private int _released;
        private int _disposed;

        public SshHostProcess(SshCommand command, Task execution, Stream stdin, SemaphoreSlim channels)
        {
            _command = command;
            _channels = channels;
            StandardInput = stdin;
            StandardOutput = BlockingStreamPump.ToAsyncStream(command.OutputStream, "ssh stdout");
            _stderrDrain = BlockingStreamPump.CollectText(command.ExtendedOutputStream, _stderr, 16384, "ssh stderr");
            Completion = WaitForExitAsync(execution);
        }

        public Stream StandardInput { get; }

        public Stream StandardOutput { get; }

        public string StandardErrorText
        {
            get
            {
                lock (_stderr)
                    return _stderr.ToString();
            }
        }

        public Task<int> Completion { get; }

        /// <summary>An SSH "signal" request (OpenSSH's sshd delivers it); a server that ignores it gets 1 s, then the channel closes.</summary>
        public Task TerminateAsync() => Task.Run(() =>
        {
            try
            {
                _command.CancelAsync(forceKill: false, millisecondsTimeout: 1000);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException or SshException)
            {
                // Already ended, or the connection is gone (which ends the command too).
            }
        });

        /// <summary>
        /// Closes the channel through SSH.NET's own close, which sends EOF (when still due) and CLOSE
        /// in order under the channel's lock. The input stream's EOF is checked outside that lock:
        /// racing the server's close (the libvirt helper ends as soon as libvirtd hangs up) it can
        /// follow our CLOSE, and OpenSSH then drops the whole connection. A command that still runs
        /// sees its input end and its output closed.
        /// </summary>
        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
                return;
            // Disposing the command closes the channel first, so disposing the input stream
            // afterwards sees a closed channel and sends nothing.
            _command.Dispose();
            try
            {
                await Completion.WaitAsync(TimeSpan.FromSeconds(2));
            }
            catch (Exception)
            {
                // Disposal must not throw; the failure was reported through Completion.
            }
            Release();
        }

        private async Task<int> WaitForExitAsync(Task execution)
        {
            try
            {
                await execution;
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                // Ended by DisposeAsync: report what the channel says.
            }
            await _stderrDrain;
            Release();
            return _command.ExitStatus ?? -1;
        }

        private void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                _channels.Release();
        }
    }
}
