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

    public required Func<Stream> OpenStandardOutput { get; init; }

    public required Func<Stream> OpenStandardError { get; init; }

    public static CliServices ForProcess() => new()
    {
        CreateOutput = ConsoleOutput.ForProcess,
        HostConnector = new HostConnector(),
        Sandbox = new SandboxManager(),
        OpenStandardInput = () => Console.IsInputRedirected ? Console.OpenStandardInput() : Stream.Null,
        OpenStandardOutput = Console.OpenStandardOutput,
        OpenStandardError = Console.OpenStandardError,
    };
}
