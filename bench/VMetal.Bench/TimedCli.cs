using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using VMetal.Cli;
using VMetal.Cli.Output;
using VMetal.Hosting;
using VMetal.Sandbox;

namespace VMetal.Bench;

/// <summary>A console line and when it was completed, from the start of the command.</summary>
internal sealed record TimedLine(TimeSpan At, string Text);

/// <summary>
/// One vmetal command: exit code, wall-clock and CPU time, every console line time-stamped, and
/// when the SSH connection was opened (known only in-process, where the connector can be wrapped).
/// CPU time (user + system) does not grow with the machine's load the way wall-clock time does.
/// </summary>
internal sealed record CliRun(string[] Args, int ExitCode, TimeSpan Elapsed, TimeSpan CpuTime, IReadOnlyList<TimedLine> Lines,
    TimeSpan? ConnectStart, TimeSpan? ConnectEnd)
{
    public string Output => string.Join('\n', Lines.Select(line => line.Text));

    public CliRun EnsureSuccess() => ExitCode == 0
        ? this
        : throw new InvalidOperationException($"vmetal {string.Join(' ', Args)} exited {ExitCode}:\n{Output}");
}

/// <summary>Runs vmetal the two ways a user's command can be timed.</summary>
internal static class TimedCli
{
    /// <summary>
    /// The real command tree in this process (same parser, commands, engine and SSH code as the
    /// binary; .NET start-up and JIT excluded once warm).
    /// </summary>
    public static async Task<CliRun> RunInProcessAsync(string[] args, CancellationToken cancellationToken)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var lines = new LineLog(clock);
        var stdout = new LineWriter(lines);
        var stderr = new LineWriter(lines);
        var connector = new TimingConnector(new HostConnector(), clock);
        var services = new CliServices
        {
            CreateOutput = (format, verbose) => new ConsoleOutput(format, verbose, stdout, stderr, interactive: false),
            HostConnector = connector,
            Sandbox = new SandboxManager(),
            OpenStandardInput = () => Stream.Null,
            OpenStandardOutput = () => Stream.Null,
            OpenStandardError = () => Stream.Null,
        };
        var exitCode = await VMetalCli.RunAsync(args, services, stdout, stderr, cancellationToken);
        var elapsed = clock.Elapsed;
        stdout.Flush();
        stderr.Flush();
        // The whole benchmark process: its idle control connection adds next to nothing.
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        return new CliRun(args, exitCode, elapsed, cpu, lines.Snapshot(), connector.Started, connector.Connected);
    }

    /// <summary>The vmetal built next to this benchmark.</summary>
    public static string DefaultBinary => Path.Combine(AppContext.BaseDirectory, "vmetal");

    /// <summary>A vmetal binary as a new process: what a user's shell runs.</summary>
    public static async Task<CliRun> RunProcessAsync(string binary, string[] args, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in args)
            startInfo.ArgumentList.Add(argument);
        // Not a terminal: plain lines, no spinner.
        startInfo.Environment["CI"] = "true";
        var cpu = ChildrenCpuTime();
        var clock = Stopwatch.StartNew();
        var lines = new LineLog(clock);
        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => lines.Add(e.Data);
        process.ErrorDataReceived += (_, e) => lines.Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var elapsed = clock.Elapsed;
        // Reaped children's CPU time: the only child that ended meanwhile is this vmetal.
        return new CliRun(args, process.ExitCode, elapsed, ChildrenCpuTime() - cpu, lines.Snapshot(), null, null);
    }

    private static TimeSpan ChildrenCpuTime()
    {
        const int children = -1;
        if (getrusage(children, out var usage) != 0)
            throw new InvalidOperationException($"getrusage failed: errno {Marshal.GetLastPInvokeError()}");
        return usage.UserTime.ToTimeSpan() + usage.SystemTime.ToTimeSpan();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, out ResourceUsage usage);

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct TimeValue
    {
        private readonly long _seconds;
        private readonly long _microseconds;

        public TimeSpan ToTimeSpan() => TimeSpan.FromSeconds(_seconds) + TimeSpan.FromMicroseconds(_microseconds);
    }

    /// <summary>Linux x86-64/arm64 <c>struct rusage</c>: two timevals, then 14 longs this code does not read.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 144)]
    private readonly struct ResourceUsage
    {
        public readonly TimeValue UserTime;
        public readonly TimeValue SystemTime;
    }

    /// <summary>Lines in the order they were completed, with their time.</summary>
    private sealed class LineLog(Stopwatch clock)
    {
        private readonly List<TimedLine> _lines = [];

        public void Add(string? text)
        {
            if (text is null)
                return;
            lock (_lines)
                _lines.Add(new TimedLine(clock.Elapsed, text.TrimEnd('\r')));
        }

        public IReadOnlyList<TimedLine> Snapshot()
        {
            lock (_lines)
                return [.. _lines];
        }
    }

    /// <summary>A console writer that hands each completed line to the log.</summary>
    private sealed class LineWriter(LineLog log) : TextWriter
    {
        private readonly StringBuilder _pending = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_pending)
            {
                if (value == '\n')
                {
                    log.Add(_pending.ToString());
                    _pending.Clear();
                }
                else
                {
                    _pending.Append(value);
                }
            }
        }

        public override void Write(string? value)
        {
            foreach (var character in value ?? "")
                Write(character);
        }

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        public override void Flush()
        {
            lock (_pending)
            {
                if (_pending.Length > 0)
                    log.Add(_pending.ToString());
                _pending.Clear();
            }
        }
    }

    /// <summary>Notes when the command starts and finishes opening its SSH connection.</summary>
    private sealed class TimingConnector(IHostConnector inner, Stopwatch clock) : IHostConnector
    {
        public TimeSpan? Started { get; private set; }

        public TimeSpan? Connected { get; private set; }

        public async Task<IHostConnection> ConnectAsync(HostSettings settings, CancellationToken cancellationToken = default)
        {
            Started = clock.Elapsed;
            var connection = await inner.ConnectAsync(settings, cancellationToken);
            Connected = clock.Elapsed;
            return connection;
        }
    }
}
