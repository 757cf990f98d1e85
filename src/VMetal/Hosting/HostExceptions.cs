namespace VMetal.Hosting;

/// <summary>Why vmetal could not open a session on a host.</summary>
public enum ConnectFailure
{
    Unreachable,
    Refused,
    NameResolution,
    Timeout,
    AuthenticationFailed,
    HostKeyUnknown,
    HostKeyChanged,
    HostKeyRevoked,
    KeyUnreadable,
    /// <summary>The key file named does not exist or is no file: a mistake in the input (exit 2), not in the connection.</summary>
    KeyMissing,
    ProtocolError,
}

/// <summary>Connecting or authenticating to a host failed; the message is one line a user can act on.</summary>
public class HostConnectionException : VMetalException
{
    public HostConnectionException(HostTarget host, ConnectFailure failure, string message, Exception? inner = null)
        : base(failure == ConnectFailure.KeyMissing ? FailureKind.BadInput : FailureKind.Connection, message, inner)
    {
        Host = host;
        Failure = failure;
    }

    public HostTarget Host { get; }

    public ConnectFailure Failure { get; }
}

/// <summary>A command could run but did not succeed.</summary>
public class HostCommandException : VMetalException
{
    public HostCommandException(HostTarget host, HostCommand command, CommandResult result)
        : base(FailureKind.OperationFailed, Describe(host, command, result))
    {
        Host = host;
        Command = command;
        Result = result;
    }

    protected HostCommandException(HostTarget host, HostCommand command, CommandResult result, string message)
        : base(FailureKind.OperationFailed, message)
    {
        Host = host;
        Command = command;
        Result = result;
    }

    public HostTarget Host { get; }

    public HostCommand Command { get; }

    public CommandResult Result { get; }

    private static string Describe(HostTarget host, HostCommand command, CommandResult result)
    {
        var detail = FirstLines(string.IsNullOrWhiteSpace(result.Stderr) ? result.Stdout : result.Stderr);
        return $"on {host}: `{Shorten(command.ToString())}` exited {result.ExitCode}" +
               (detail.Length > 0 ? $": {detail}" : string.Empty);
    }

    internal static string FirstLines(string text, int lines = 3) =>
        string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(lines));

    private static string Shorten(string text) => text.Length <= 120 ? text : text[..117] + "...";
}

/// <summary><c>sudo -n</c> refused because the account needs a password for sudo.</summary>
public sealed class SudoPasswordRequiredException : HostCommandException
{
    public SudoPasswordRequiredException(HostTarget host, HostCommand command, CommandResult result)
        : base(host, command, result,
            $"on {host}: sudo asks {host.User} for a password, but vmetal runs sudo non-interactively. " +
            $"Allow it without a password, e.g. '{host.User} ALL=(ALL) NOPASSWD: ALL' in /etc/sudoers.d/{host.User}, or connect as root.")
    {
    }

    /// <summary>True when a failed sudo -n asked for a password (or a terminal to ask on).</summary>
    public static bool Matches(CommandResult result) =>
        result.ExitCode != 0 &&
        (result.Stderr.Contains("sudo: a password is required", StringComparison.Ordinal) ||
         result.Stderr.Contains("sudo: a terminal is required", StringComparison.Ordinal) ||
         result.Stderr.Contains("no tty present and no askpass program specified", StringComparison.Ordinal));
}

/// <summary>A command ran longer than its <see cref="HostCommand.Timeout"/>.</summary>
public sealed class HostCommandTimeoutException : HostCommandException
{
    public HostCommandTimeoutException(HostTarget host, HostCommand command, TimeSpan timeout)
        : base(host, command, new CommandResult(-1, string.Empty, string.Empty),
            $"on {host}: `{command}` did not finish within {timeout.TotalSeconds:0.#} s")
    {
    }
}
