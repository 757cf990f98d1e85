using System.Diagnostics;
using System.Text;

namespace VMetal.Testing.Bmc;

/// <summary>
/// A running <c>ipmitool … sol activate</c> driven through pipes, as Ironic's <c>ipmitool-socat</c> console drives it:
/// what the BMC sends arrives on its standard output, what is written to its standard input is typed into the machine,
/// and <c>~.</c> at the start of a line leaves it (ipmitool then deactivates the payload).
/// </summary>
public sealed class IpmitoolSol : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _errors = new();
    private readonly Task _readers;

    private IpmitoolSol(Process process)
    {
        _process = process;
        _readers = Task.WhenAll(CopyAsync(process.StandardOutput.BaseStream, _output), CopyAsync(process.StandardError.BaseStream, _errors));
    }

    /// <summary>Everything ipmitool printed so far (its banner and the machine's output).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="fileName"/> (ipmitool, or a wrapper such as <c>ip netns exec</c>) with its arguments.</summary>
    public static IpmitoolSol Start(string fileName, IEnumerable<string> arguments)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        return new IpmitoolSol(Process.Start(startInfo) ?? throw new InvalidOperationException($"{fileName} did not start"));
    }

    /// <summary>Waits until the output or the error output contains <paramref name="text"/>; fails with everything printed so far.</summary>
    public async Task<string> WaitForAsync(string text, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal) && !Errors.Contains(text, StringComparison.Ordinal))
        {
            // A process that exited has printed everything: one more look after its readers finished.
            if (deadline.Elapsed > timeout || (_process.HasExited && _readers.IsCompleted))
            {
                throw new TimeoutException($"\"{text}\" did not arrive within {timeout.TotalSeconds:0} s (exited: {_process.HasExited}). Output: {Output} Errors: {Errors}");
            }

            await Task.Delay(50);
        }

        return Output;
    }

    public async Task TypeAsync(string text)
    {
        await _process.StandardInput.WriteAsync(text);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Types the escape <c>~.</c> after a carriage return and returns ipmitool's exit code.</summary>
    public async Task<int> QuitAsync(TimeSpan timeout)
    {
        await TypeAsync("\r~.");
        using var wait = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(wait.Token);
        await _readers;
        return _process.ExitCode;
    }

    /// <summary>Kills this ipmitool (only it) if it still runs.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static async Task CopyAsync(Stream from, StringBuilder to)
    {
        var buffer = new byte[4096];
        int read;
        while ((read = await from.ReadAsync(buffer)) > 0)
        {
            lock (to)
            {
                to.Append(Encoding.Latin1.GetString(buffer, 0, read));
            }
        }
    }
}
