using System.Runtime.InteropServices;
using VMetal.Cli.Output;
using VMetal.Hosting;
using VMetal.Sandbox;

namespace VMetal.Cli;

/// <summary>
/// The seams between commands and the outside world. Tests replace them (console writers,
/// host connector) to run whole commands in-process.
/// </summary>
public sealed record CliServices
{
    public required Func<OutputFormat, bool, IConsoleOutput> CreateOutput { get; init; }

    public required IHostConnector HostConnector { get; init; }

    public required SandboxManager Sandbox { get; init; }

    /// <summary>Where the process's own stdin/stdout/stderr are (for commands that stream, e.g. sandbox ssh).</summary>
    public required Func<Stream> OpenStandardInput { get; init; }

    /// <summary>Whether stdin is a terminal (a person typing) rather than a pipe or a file.</summary>
    public Func<bool> InputIsTerminal { get; init; } = () => false;

    public required Func<Stream> OpenStandardOutput { get; init; }

    public required Func<Stream> OpenStandardError { get; init; }

    /// <summary>The signal that asked this process to stop (SIGINT or SIGTERM), if one did: it decides the exit code.</summary>
    public Func<PosixSignal?> TerminationSignal { get; init; } = () => null;

    /// <summary>The real process's services; SIGINT/SIGTERM cancel <paramref name="interrupt"/>.</summary>
    public static CliServices ForProcess(CancellationTokenSource interrupt) => new()
    {
        CreateOutput = ConsoleOutput.ForProcess,
        HostConnector = new HostConnector(),
        Sandbox = new SandboxManager(),
        OpenStandardInput = () => Console.IsInputRedirected ? Console.OpenStandardInput() : Stream.Null,
        InputIsTerminal = () => !Console.IsInputRedirected,
        OpenStandardOutput = Console.OpenStandardOutput,
        OpenStandardError = Console.OpenStandardError,
        TerminationSignal = TerminationSignals.Watch(interrupt),
    };
}

/// <summary>
/// Turns the first SIGINT or SIGTERM into cancellation of the running command and remembers which
/// it was, for the shell convention (130 vs 143). A second signal terminates at once, as usual.
/// vmetal handles these itself instead of System.CommandLine so the signal is known before the
/// command sees its cancellation.
/// </summary>
internal static class TerminationSignals
{
    private static PosixSignalRegistration[]? s_registrations;
    private static int s_received;

    public static Func<PosixSignal?> Watch(CancellationTokenSource interrupt)
    {
        s_registrations ??=
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, context => Handle(context, interrupt)),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => Handle(context, interrupt)),
        ];
        return () => s_received == 0 ? null : (PosixSignal)s_received;
    }

    private static void Handle(PosixSignalContext context, CancellationTokenSource interrupt)
    {
        if (Interlocked.CompareExchange(ref s_received, (int)context.Signal, 0) != 0)
            return; // the second signal: the default action ends the process
        context.Cancel = true;
        interrupt.Cancel();
    }
}
