using System.Text;
using VMetal.Hosting;

namespace VMetal.Converge;

/// <summary>Another vmetal run holds the hypervisor's lock and --no-wait was given.</summary>
public sealed class HostLockBusyException(string message) : VMetalException(FailureKind.OperationFailed, message);

/// <summary>
/// One vmetal run per hypervisor at a time: an flock(1) held by a command on the host for as
/// long as the run lasts. If vmetal dies, its SSH channel closes, the command gets end-of-file
/// and the lock is released by the kernel; nothing stale is left behind.
/// </summary>
public sealed class HostLock : IAsyncDisposable
{
    public const string LockFile = "/var/lib/vmetal/lock";
    private const string Acquired = "vmetal-lock-acquired";

    private readonly IHostProcess _holder;

    private HostLock(IHostProcess holder) => _holder = holder;

    /// <param name="wait">Wait for another run to finish (otherwise fail at once).</param>
    /// <param name="onWaiting">Called once if the lock is taken, with who holds it.</param>
    public static async Task<HostLock> AcquireAsync(IHostConnection host, string owner, bool wait, Action<string>? onWaiting,
        CancellationToken cancellationToken)
    {
        var info = LockFile + ".owner";
        // flock is not fair: a run that releases the lock and asks again at once can win over
        // one that has waited for minutes. So everyone first queues on a second lock, held only
        // while waiting for the main one: whoever waits longest is served next.
        // Exit 75 means "busy" without waiting. The holder then waits on stdin: when our channel
        // closes, cat ends and the kernel releases the lock.
        var script =
            $"mkdir -p /var/lib/vmetal; exec 8>{LockFile}.queue 9>{LockFile}; " +
            $"if ! flock -n 8 || ! flock -n 9; then echo \"busy $(cat {info} 2>/dev/null)\"; " +
            (wait ? "flock 8; flock 9; " : "exit 75; ") + "fi; flock -u 8; exec 8>&-; " +
            $"printf '%s\\n' {ShellQuote.Quote(owner)} > {info}; echo {Acquired}; cat >/dev/null";
        var holder = await host.StartAsync(HostCommand.AsRoot(script), cancellationToken);
        try
        {
            using var reader = new StreamReader(holder.StandardOutput, Encoding.UTF8, leaveOpen: true);
            while (true)
            {
                var line = await reader.ReadLineAsync(cancellationToken);
                if (line is null)
                {
                    var exitCode = await holder.Completion.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
                    if (exitCode == 75)
                        throw new HostLockBusyException($"another vmetal run holds {host.Target}'s lock; retry later or drop --no-wait to wait for it");
                    throw new VMetalException(FailureKind.OperationFailed,
                        $"cannot take vmetal's lock on {host.Target} (exit {exitCode}): {holder.StandardErrorText.Trim()}");
                }
                if (line == Acquired)
                    return new HostLock(holder);
                if (line.StartsWith("busy", StringComparison.Ordinal))
                    onWaiting?.Invoke(line.Length > 5 ? $"held by {line[5..]}" : "held by another run");
            }
        }
        catch
        {
            await holder.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _holder.StandardInput.DisposeAsync();
        await _holder.DisposeAsync();
    }
}
