using VMetal.Hosting;

namespace VMetal.Hypervisor;

/// <summary>Builds command lines that run a whole POSIX sh script with positional arguments.</summary>
internal static class ShellScript
{
    /// <summary>A lock file serialising prepare's read-modify-write edits between concurrent runs.</summary>
    public const string LockFile = "/run/lock/vmetal-prepare.lock";

    /// <summary><c>sh -c 'SCRIPT' vmetal ARG…</c>: arguments arrive as $1…, never re-parsed by a shell.</summary>
    public static string Inline(string script, IEnumerable<string> arguments) =>
        $"sh -c {ShellQuote.Quote(script)} vmetal {ShellQuote.Join(arguments)}".TrimEnd();

    /// <summary>
    /// A root command running the script under <see cref="LockFile"/> (flock(1), where the host has
    /// it), so two prepare runs cannot interleave edits of the same file or libvirt object.
    /// </summary>
    public static HostCommand LockedAsRoot(string script, params string[] arguments)
    {
        var inner = Inline(script, arguments);
        var text = "if command -v flock >/dev/null 2>&1; then mkdir -p /run/lock; " +
                   $"exec flock -w 300 {LockFile} {inner}; else exec {inner}; fi";
        return HostCommand.AsRoot(text) with { Timeout = TimeSpan.FromMinutes(6) };
    }
}
