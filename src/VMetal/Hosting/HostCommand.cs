namespace VMetal.Hosting;

/// <summary>A shell command to run on a host, with how to run it.</summary>
/// <param name="Text">A POSIX shell command line (quote arguments with <see cref="ShellQuote"/>).</param>
public sealed record HostCommand(string Text)
{
    /// <summary>Run as root through non-interactive <c>sudo -n</c> (skipped when already root).</summary>
    public bool Sudo { get; init; }

    /// <summary>Bytes fed to the command's standard input; stdin is closed either way.</summary>
    public ReadOnlyMemory<byte> Stdin { get; init; }

    /// <summary>Fails the command with <see cref="HostCommandTimeoutException"/> after this long.</summary>
    public TimeSpan? Timeout { get; init; }

    public static HostCommand Of(string text) => new(text);

    public static HostCommand AsRoot(string text) => new(text) { Sudo = true };

    public HostCommand WithStdin(string text) => this with { Stdin = System.Text.Encoding.UTF8.GetBytes(text) };

    public override string ToString() => Sudo ? $"sudo {Text}" : Text;
}

/// <summary>What a finished command produced.</summary>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Throws <see cref="HostCommandException"/> unless the command exited 0.</summary>
    public CommandResult EnsureSuccess(HostCommand command, HostTarget host)
    {
        if (!Succeeded)
            throw new HostCommandException(host, command, this);
        return this;
    }
}
