namespace VMetal.Hosting;

/// <summary>How to write a file on a host.</summary>
public sealed record FileWriteOptions
{
    /// <summary>Unix permission bits of the file, e.g. 0600.</summary>
    public int Mode { get; init; } = Convert.ToInt32("644", 8);

    /// <summary><c>user[:group]</c> to chown the file to; null keeps the writer's.</summary>
    public string? Owner { get; init; }

    /// <summary>Write as root (sudo), e.g. under /etc.</summary>
    public bool Sudo { get; init; }

    /// <summary>Create missing parent directories (mode 0755).</summary>
    public bool CreateDirectories { get; init; } = true;
}

/// <summary>
/// File transfer over the host's own command channel. Files stream through a command's
/// stdin/stdout, so transfers share the host's single SSH connection (SSH.NET's SFTP
/// client would open a second one) and can write as root through sudo.
/// </summary>
public static class HostFiles
{
    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/> atomically: a temporary
    /// file in the same directory is filled, given its mode and owner, then renamed.
    /// </summary>
    public static async Task WriteFileAsync(this IHostConnection host, string path, Stream content,
        FileWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new FileWriteOptions();
        // A client that dies mid-transfer closes the channel, which the remote cat reads as a normal end of
        // input: only a file of the announced length replaces the old one (else a killed run leaves it truncated).
        var length = content.CanSeek ? content.Length - content.Position : -1;
        var script =
            "set -e; umask 077; dst=$1; len=$2; dir=$(dirname -- \"$dst\"); " +
            (options.CreateDirectories ? "mkdir -p -- \"$dir\"; " : string.Empty) +
            "tmp=$(mktemp \"$dst.vmetal.XXXXXX\"); trap 'rm -f \"$tmp\"' EXIT; cat >\"$tmp\"; " +
            "if [ \"$len\" -ge 0 ] && [ \"$(wc -c <\"$tmp\")\" -ne \"$len\" ]; then echo \"$dst: input ended early\" >&2; exit 1; fi; " +
            $"chmod {OctalMode(options.Mode)} \"$tmp\"; " +
            (options.Owner is null ? string.Empty : $"chown {ShellQuote.Quote(options.Owner)} \"$tmp\"; ") +
            "mv -f \"$tmp\" \"$dst\"; trap - EXIT";
        var command = new HostCommand($"sh -c {ShellQuote.Quote(script)} vmetal-write {ShellQuote.Quote(path)} {length}") { Sudo = options.Sudo };
        await using var process = await host.StartAsync(command, cancellationToken);
        await using (var stdin = process.StandardInput)
        {
            await content.CopyToAsync(stdin, cancellationToken);
        }
        var drain = process.StandardOutput.CopyToAsync(Stream.Null, cancellationToken);
        var exitCode = await process.Completion.WaitAsync(cancellationToken);
        await drain;
        if (exitCode != 0)
            throw new HostCommandException(host.Target, command, new CommandResult(exitCode, string.Empty, process.StandardErrorText));
    }

    public static async Task WriteFileAsync(this IHostConnection host, string path, string text,
        FileWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var content = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
        await host.WriteFileAsync(path, content, options, cancellationToken);
    }

    /// <summary>Copies a file from the host into <paramref name="destination"/>.</summary>
    public static async Task ReadFileAsync(this IHostConnection host, string path, Stream destination,
        bool sudo = false, CancellationToken cancellationToken = default)
    {
        var command = new HostCommand($"cat -- {ShellQuote.Quote(path)}") { Sudo = sudo };
        await using var process = await host.StartAsync(command, cancellationToken);
        await process.StandardInput.DisposeAsync();
        await process.StandardOutput.CopyToAsync(destination, cancellationToken);
        var exitCode = await process.Completion.WaitAsync(cancellationToken);
        if (exitCode != 0)
            throw new HostCommandException(host.Target, command, new CommandResult(exitCode, string.Empty, process.StandardErrorText));
    }

    public static async Task<byte[]> ReadFileAsync(this IHostConnection host, string path, bool sudo = false,
        CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await host.ReadFileAsync(path, buffer, sudo, cancellationToken);
        return buffer.ToArray();
    }

    /// <summary>Runs the command and throws <see cref="HostCommandException"/> unless it exits 0.</summary>
    public static async Task<CommandResult> RunCheckedAsync(this IHostConnection host, HostCommand command,
        CancellationToken cancellationToken = default)
    {
        var result = await host.RunAsync(command, cancellationToken);
        return result.EnsureSuccess(command, host.Target);
    }

    internal static string OctalMode(int mode) => Convert.ToString(mode, 8).PadLeft(4, '0');
}
