using System.CommandLine;
using System.Runtime.InteropServices;
using VMetal.Libvirt;

namespace VMetal.Cli.Commands;

/// <summary>
/// <c>vmetal console NODE</c>: a node's serial console, carried by the same SSH connection as everything else (libvirt's
/// console stream, no virsh and no libvirt on this machine). Like <c>virsh console</c>: Ctrl+] leaves.
/// </summary>
public sealed class ConsoleCommand : CommandBase
{
    /// <summary>Ctrl+], virsh console's escape.</summary>
    private const byte Escape = 0x1d;

    private static readonly Argument<string> Node = new("node")
    {
        Description = "The node, with or without the lab's prefix (e.g. compute-0)",
    };

    private static readonly Option<bool> Force = new("--force")
    {
        Description = "Take the console over from another client holding it (the BMC's Serial-over-LAN, a virsh console)",
    };

    public ConsoleCommand(CliServices services)
        : base("console", "Attach to a running node's serial console (Ctrl+] leaves; piped: output until the node stops or vmetal is stopped)", services)
    {
        Arguments.Add(Node);
        Options.Add(Force);
        Options.Add(LabSession.LabPrefix);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var name = context.Get(Node) ?? "";
        await using var lab = await LabSession.OpenAsync(context, cancellationToken);
        var status = await lab.Engine.StatusAsync(context.WorkspaceName, context.Get(LabSession.LabPrefix), cancellationToken);
        var node = status.Domains.FirstOrDefault(d => d.Name == name)
                   ?? status.Domains.FirstOrDefault(d => status.Record?.Prefix is { Length: > 0 } prefix && d.Name == $"{prefix}-{name}")
                   ?? throw new UsageException(status.Domains.Count == 0
                       ? $"console: workspace '{context.WorkspaceName}' has no nodes on {lab.Host.Target}"
                       : $"console: no node {name} in workspace '{context.WorkspaceName}' (nodes: {string.Join(", ", status.Domains.Select(d => d.Name))})");
        if (!node.Running)
            throw new VMetalException(FailureKind.OperationFailed,
                $"{node.Name} is shut off: power it on first (through its BMC, as Ironic does, or 'vmetal up --start' for new nodes)");

        var domain = await lab.Libvirt.DomainLookupByNameAsync(node.Name, cancellationToken);
        // libvirt does not end a console stream when its domain stops (the pty goes quiet): the lifecycle event does.
        await using var lifecycle = await lab.Libvirt.SubscribeDomainLifecycleEventsAsync(domain, cancellationToken);
        LibvirtStream console;
        try
        {
            console = await lab.Libvirt.DomainOpenConsoleAsync(domain, flags: context.Get(Force) ? DomainConsoleFlags.Force : DomainConsoleFlags.None,
                cancellationToken: cancellationToken);
        }
        catch (LibvirtException error) when (error is not LibvirtConnectionException && !context.Get(Force))
        {
            throw new VMetalException(FailureKind.OperationFailed,
                $"{node.Name}'s console cannot be opened: {error.Message} (another client may hold it; --force takes it over)", error);
        }

        await using (console)
        {
            var terminal = Services.InputIsTerminal();
            context.Output.Note(terminal ? $"connected to {node.Name}'s serial console; Ctrl+] leaves" : $"connected to {node.Name}'s serial console");
            using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var raw = terminal ? RawTerminal.Enter() : null;
            var output = CopyOutputAsync(console, session.Token);
            // A terminal is read as the raw file descriptor: .NET's own stdin stream edits and echoes lines itself there.
            var input = CopyInputAsync(terminal ? new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(0, ownsHandle: false), FileAccess.Read, 1)
                : Services.OpenStandardInput(), console, terminal, session.Token);
            var stopped = WaitUntilStoppedAsync(lifecycle, session.Token);
            var ended = await Task.WhenAny(output, input, stopped);
            await session.CancelAsync();
            try
            {
                await console.AbortAsync(CancellationToken.None);
            }
            catch (LibvirtException error) when (error is not LibvirtConnectionException)
            {
                // Already ended by libvirt (taken over by another client): nothing left to abort.
            }
            raw?.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
            if (ended == stopped)
                context.Output.Note($"{node.Name} stopped");
            else if (ended == output && output.IsCompletedSuccessfully)
                context.Output.Warning($"{node.Name}'s console was taken over by another client (the BMC's Serial-over-LAN, a virsh console)");
            await ended; // surfaces a lost connection
        }
        return ExitCodes.Success;
    }

    private async Task CopyOutputAsync(LibvirtStream console, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        await using var stdout = Services.OpenStandardOutput();
        try
        {
            int read;
            while ((read = await console.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await stdout.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                await stdout.FlushAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (LibvirtException error) when (error is not LibvirtConnectionException)
        {
            // "stream had I/O failure": another client opened the console with force, which ends this stream.
        }
    }

    /// <summary>Types what arrives on stdin; ends on the escape key (a terminal only), never on end of input (a script's log capture).</summary>
    private static async Task CopyInputAsync(Stream stdin, LibvirtStream console, bool terminal, CancellationToken cancellationToken)
    {
        var buffer = new byte[1024];
        try
        {
            int read;
            while ((read = await stdin.ReadAsync(buffer, cancellationToken)) > 0)
            {
                var escape = terminal ? Array.IndexOf(buffer, Escape, 0, read) : -1;
                if (escape >= 0)
                {
                    if (escape > 0)
                        await console.WriteAsync(buffer.AsMemory(0, escape), cancellationToken);
                    return;
                }
                await console.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static async Task WaitUntilStoppedAsync(LibvirtEventStream<DomainLifecycleEvent> lifecycle, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var change in lifecycle.ReadAllAsync(cancellationToken))
            {
                if (change.Event is DomainEventType.Stopped or DomainEventType.Shutdown or DomainEventType.Crashed)
                    return;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>
    /// The terminal in raw mode while attached (keys go to the guest as typed, Ctrl+C included), restored afterwards. Set
    /// with termios calls on stdin rather than by running stty: .NET puts its own terminal settings back whenever a child
    /// process exits, which undid stty's.
    /// </summary>
    private sealed class RawTerminal : IDisposable
    {
        private const int StandardInput = 0;
        private const int ChangeNow = 0; // TCSANOW

        // glibc's struct termios is 60 bytes on Linux; room to spare.
        private readonly byte[] _saved = new byte[128];
        private bool _restored;

        private RawTerminal()
        {
        }

        public static RawTerminal? Enter()
        {
            if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
                return null;
            var terminal = new RawTerminal();
            try
            {
                if (GetAttributes(StandardInput, terminal._saved) != 0)
                    return null; // not a terminal after all: line mode, the escape still works after Enter
                var raw = (byte[])terminal._saved.Clone();
                MakeRaw(raw);
                return SetAttributes(StandardInput, ChangeNow, raw) == 0 ? terminal : null;
            }
            catch (Exception error) when (error is DllNotFoundException or EntryPointNotFoundException)
            {
                return null;
            }
        }

        public void Dispose()
        {
            if (_restored)
                return;
            _restored = true;
            _ = SetAttributes(StandardInput, ChangeNow, _saved);
            Console.Error.WriteLine();
        }

        [DllImport("libc", EntryPoint = "tcgetattr")]
        private static extern int GetAttributes(int fd, [Out] byte[] termios);

        [DllImport("libc", EntryPoint = "tcsetattr")]
        private static extern int SetAttributes(int fd, int when, byte[] termios);

        [DllImport("libc", EntryPoint = "cfmakeraw")]
        private static extern void MakeRaw([In, Out] byte[] termios);
    }
}
