using System.Text;
using VMetal.Cli;
using VMetal.Cli.Output;
using VMetal.Hosting;
using VMetal.Sandbox;

namespace VMetal.Testing;

/// <summary>What one in-process run of the vmetal CLI produced.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string Output => Stdout + Stderr;
}

/// <summary>
/// Runs the real vmetal command tree in-process (same parser, commands and exit codes as
/// the binary) with captured console streams.
/// </summary>
public static class CliRunner
{
    public static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(10);

    public static async Task<CliResult> RunAsync(params string[] args) => await RunAsync(args, stdin: null);

    public static async Task<CliResult> RunAsync(string[] args, string? stdin, IHostConnector? connector = null,
        CancellationToken cancellationToken = default)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var rawStdout = new MemoryStream();
        var rawStderr = new MemoryStream();
        var services = new CliServices
        {
            CreateOutput = (format, verbose) => new ConsoleOutput(format, verbose, stdout, stderr, interactive: false),
            HostConnector = connector ?? new HostConnector(),
            Sandbox = new SandboxManager(),
            OpenStandardInput = () => stdin is null ? Stream.Null : new MemoryStream(Encoding.UTF8.GetBytes(stdin)),
            OpenStandardOutput = () => new NonClosingStream(rawStdout),
            OpenStandardError = () => new NonClosingStream(rawStderr),
        };
        // A run that hangs fails its test after this long instead of stalling the whole test run.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(RunLimit);
        var exitCode = await VMetalCli.RunAsync(args, services, stdout, stderr, limit.Token);
        if (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            stderr.WriteLine($"[CliRunner] vmetal {string.Join(' ', args)} was cancelled after {RunLimit.TotalMinutes:0} min");
        return new CliResult(exitCode,
            stdout + Encoding.UTF8.GetString(rawStdout.ToArray()),
            stderr + Encoding.UTF8.GetString(rawStderr.ToArray()));
    }

    /// <summary>Commands dispose the streams they open; the captured buffer must survive.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            lock (inner)
                inner.Write(buffer, offset, count);
        }
    }
}
