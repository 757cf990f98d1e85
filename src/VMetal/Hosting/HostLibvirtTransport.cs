using VMetal.Libvirt;

namespace VMetal.Hosting;

/// <summary>Whose rights libvirt sees on the host.</summary>
public enum LibvirtAccess
{
    /// <summary>Root through sudo (or directly when already root): no polkit needed.</summary>
    Root,

    /// <summary>The login user: libvirtd asks polkit (group libvirt or a rule must allow it).</summary>
    LoginUser,
}

/// <summary>
/// Carries libvirt's RPC protocol over a command on the host's existing connection (no second
/// SSH connection): <c>virt-ssh-helper</c> where it exists (it finds modular daemons' sockets
/// too), else <c>socat</c> or <c>nc -U</c> on the daemon's socket, like libvirt's own client does.
/// </summary>
public sealed class HostLibvirtTransport(IHostConnection host, LibvirtAccess access = LibvirtAccess.Root, string uri = "qemu:///system")
    : ILibvirtTransport
{
    private const string SystemSocket = "/run/libvirt/libvirt-sock";

    public async ValueTask<Stream> OpenAsync(CancellationToken cancellationToken)
    {
        var sudo = access == LibvirtAccess.Root;
        // One cheap round trip first, so a host without any helper gets a clear message
        // instead of a stream that just ends.
        var probe = await host.RunAsync(new HostCommand(
            "for c in virt-ssh-helper socat nc; do command -v $c >/dev/null 2>&1 && { echo $c; exit 0; }; done; exit 1") { Sudo = sudo },
            cancellationToken);
        var helper = probe.Stdout.Trim();
        if (!probe.Succeeded || helper.Length == 0)
            throw new LibvirtConnectionException(
                $"cannot reach libvirt on {host.Target}: none of virt-ssh-helper, socat or nc is installed there (install libvirt-daemon / libvirt-clients)");
        var command = helper switch
        {
            "virt-ssh-helper" => $"exec virt-ssh-helper {ShellQuote.Quote(uri)}",
            "socat" => $"exec socat STDIO UNIX-CONNECT:{SystemSocket}",
            _ => $"exec nc -U {SystemSocket}",
        };
        var process = await host.StartAsync(new HostCommand(command) { Sudo = sudo }, cancellationToken);
        return new HostProcessStream(process, $"{host.Target}: {helper}");
    }

    public override string ToString() => $"{host.Target} ({(access == LibvirtAccess.Root ? "root" : host.Target.User)})";

    /// <summary>
    /// Disposing the stream ends the helper command (not the host connection). When the helper
    /// ends by itself, the read fails with its exit code and stderr, so the libvirt error says why.
    /// </summary>
    private sealed class HostProcessStream(IHostProcess process, string description)
        : DuplexStream(process.StandardOutput, process.StandardInput)
    {
        public override string ToString() => description;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            if (read == 0 && buffer.Length > 0)
            {
                var exited = await Task.WhenAny(process.Completion, Task.Delay(TimeSpan.FromSeconds(1), cancellationToken)) == process.Completion;
                var stderr = process.StandardErrorText.Trim();
                throw new IOException($"the libvirt helper ({description}) ended" +
                    (exited ? $" with exit code {process.Completion.Result}" : "") + (stderr.Length > 0 ? $": {stderr}" : ""));
            }
            return read;
        }

        /// <summary>
        /// The process goes first: it closes the channel, so the stdin stream disposed after it
        /// sends no EOF (libvirt needs none, and one racing the helper's exit costs the connection).
        /// </summary>
        protected override void Dispose(bool disposing)
        {
            if (disposing)
                process.DisposeAsync().AsTask().GetAwaiter().GetResult();
            base.Dispose(disposing);
        }
    }
}

/// <summary>Opens a <see cref="LibvirtClient"/> to the libvirtd of a host vmetal is connected to.</summary>
public static class HostLibvirt
{
    public static Task<LibvirtClient> ConnectAsync(IHostConnection host, LibvirtAccess access = LibvirtAccess.Root,
        CancellationToken cancellationToken = default) =>
        LibvirtClient.ConnectAsync(new HostLibvirtTransport(host, access), cancellationToken: cancellationToken);
}
