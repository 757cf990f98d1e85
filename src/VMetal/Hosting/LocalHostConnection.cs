using System.Diagnostics;
using System.Text;

namespace VMetal.Hosting;

/// <summary>Runs commands on this machine with /bin/sh (vmetal's <c>--host local</c>).</summary>
public sealed class LocalHostConnection : IHostConnection
{
    public HostTarget Target => HostTarget.Local;

    public bool IsRoot { get; } = Environment.UserName == "root";

    public async Task<CommandResult> RunAsync(HostCommand command, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (command.Timeout is { } limit)
            timeout.CancelAfter(limit);
        using var process = Start(command);
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await using (var stdin = process.StandardInput.BaseStream)
            {
                if (!command.Stdin.IsEmpty)
                    await stdin.WriteAsync(command.Stdin, timeout.Token);
            }
            await process.WaitForExitAsync(timeout.Token);
            var result = new CommandResult(process.ExitCode, await stdout, await stderr);
            if (command.Sudo && SudoPasswordRequiredException.Matches(result))
                throw new SudoPasswordRequiredException(Target, command, result);
            return result;
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            if (!cancellationToken.IsCancellationRequested && command.Timeout is { } elapsed)
                throw new HostCommandTimeoutException(Target, command, elapsed);
            throw;
        }
    }

    public Task<IHostProcess> StartAsync(HostCommand command, CancellationToken cancellationToken = default) =>
        Task.FromResult<IHostProcess>(new LocalHostProcess(Start(command)));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private Process Start(HostCommand command)
    {
        var startInfo = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (command.Sudo && !IsRoot)
        {
            startInfo.FileName = "sudo";
            foreach (var argument in new[] { "-n", "--", "/bin/sh", "-c", command.Text })
                startInfo.ArgumentList.Add(argument);
        }
        else
        {
            startInfo.FileName = "/bin/sh";
            startInfo.ArgumentList.Add("-c");
            startInfo.ArgumentList.Add(command.Text);
        }
        return Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start /bin/sh for `{command}`");
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private sealed class LocalHostProcess : IHostProcess
    {
        private readonly Process _process;
        private readonly StringBuilder _stderr = new();
        private readonly Task _stderrDrain;

        public LocalHostProcess(Process process)
        {
            _process = process;
            _stderrDrain = DrainStderrAsync();
            Completion = WaitAsync();
        }

        public Stream StandardInput => _process.StandardInput.BaseStream;

        public Stream StandardOutput => _process.StandardOutput.BaseStream;

        public string StandardErrorText
        {
            get
            {
                lock (_stderr)
                    return _stderr.ToString();
            }
        }

        public Task<int> Completion { get; }

        public async ValueTask DisposeAsync()
        {
            Kill(_process);
            try
            {
                await Completion.WaitAsync(TimeSpan.FromSeconds(2));
            }
            catch (Exception)
            {
                // Disposal must not throw.
            }
            _process.Dispose();
        }

        private async Task<int> WaitAsync()
        {
            await _process.WaitForExitAsync();
            await _stderrDrain;
            return _process.ExitCode;
        }

        private async Task DrainStderrAsync()
        {
            var buffer = new char[4096];
            int read;
            while ((read = await _process.StandardError.ReadAsync(buffer)) > 0)
            {
                lock (_stderr)
                {
                    _stderr.Append(buffer, 0, read);
                    if (_stderr.Length > 16384)
                        _stderr.Remove(0, _stderr.Length - 16384);
                }
            }
        }
    }
}
