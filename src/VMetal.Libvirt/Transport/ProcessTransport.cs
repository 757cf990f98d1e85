using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace VMetal.Libvirt;

/// <summary>
/// Starts a local command and speaks the protocol over its stdin/stdout, e.g.
/// <c>virt-ssh-helper qemu:///system</c>, <c>socat STDIO UNIX-CONNECT:/run/libvirt/libvirt-sock</c>
/// or <c>ssh host virt-ssh-helper qemu:///system</c>. When the command ends, the connection
/// error carries its exit code and the end of its stderr.
/// </summary>
public sealed class ProcessTransport(string fileName, params IReadOnlyList<string> arguments) : ILibvirtTransport
{
    public string FileName { get; } = fileName;

    public IReadOnlyList<string> Arguments { get; } = arguments;

    public ValueTask<Stream> OpenAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var startInfo = new ProcessStartInfo(FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in Arguments)
            startInfo.ArgumentList.Add(argument);
        var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception exception)
        {
            process.Dispose();
            throw new LibvirtConnectionException($"Cannot start the libvirt helper '{FileName}': {exception.Message}", exception);
        }
        return ValueTask.FromResult<Stream>(new ProcessStream(process, FileName));
    }

    public override string ToString() => string.Join(' ', [FileName, .. Arguments]);

    /// <summary>stdout + stdin of the helper; a dead helper's exit code and stderr become the read error.</summary>
    private sealed class ProcessStream : DuplexStream
    {
        private const int StderrKept = 4096;
        private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(2);

        private readonly Process _process;
        private readonly string _name;
        private readonly StringBuilder _stderr = new();
        private readonly Task _stderrPump;

        public ProcessStream(Process process, string name)
            : base(process.StandardOutput.BaseStream, process.StandardInput.BaseStream)
        {
            _process = process;
            _name = name;
            _stderrPump = PumpStderrAsync();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            if (read == 0 && buffer.Length > 0)
                throw await HelperEndedAsync(null);
            return read;
        }

        // A helper that dies at once may break the pipe of our first write before its end of
        // output is read: that error must explain the death just as well.
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                await base.WriteAsync(buffer, cancellationToken);
            }
            catch (IOException exception)
            {
                throw await HelperEndedAsync(exception);
            }
        }

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            try
            {
                await base.FlushAsync(cancellationToken);
            }
            catch (IOException exception)
            {
                throw await HelperEndedAsync(exception);
            }
        }

        private async Task<IOException> HelperEndedAsync(IOException? cause)
        {
            using var wait = new CancellationTokenSource(ExitWait);
            try
            {
                await _process.WaitForExitAsync(wait.Token);
                await _stderrPump.WaitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                return new IOException($"The libvirt helper '{_name}' stopped talking ({cause?.Message ?? "end of output"}). stderr: {Stderr()}", cause);
            }
            return new IOException($"The libvirt helper '{_name}' exited with code {_process.ExitCode}. stderr: {Stderr()}", cause);
        }

        private string Stderr()
        {
            lock (_stderr)
                return _stderr.Length == 0 ? "(empty)" : _stderr.ToString().Trim();
        }

        private async Task PumpStderrAsync()
        {
            var buffer = new char[1024];
            int read;
            while ((read = await _process.StandardError.ReadAsync(buffer)) > 0)
            {
                lock (_stderr)
                {
                    _stderr.Append(buffer, 0, read);
                    if (_stderr.Length > StderrKept)
                        _stderr.Remove(0, _stderr.Length - StderrKept);
                }
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                try
                {
                    base.Dispose(disposing); // closes stdin: the helper sees EOF and exits
                }
                catch (IOException)
                {
                    // A helper that died already has a broken stdin pipe.
                }
                if (!_process.WaitForExit(ExitWait))
                    _process.Kill(entireProcessTree: true);
                _process.Dispose();
            }
        }
    }
}
