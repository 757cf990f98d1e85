using System.Globalization;
using System.Text.RegularExpressions;

namespace VMetal.Sandbox;

/// <summary>A namespace of the sandbox: whether it exists, and where its handle is.</summary>
public sealed record SandboxNamespace(bool Present, string? Name, string? Path);

/// <summary>A daemon of the sandbox: whether it runs (alive, in the sandbox's network namespace), its pid, its pid file.</summary>
public sealed record SandboxDaemon(bool Running, int? Pid, string? PidFile);

/// <summary>Whether the sandbox's sshd lets the client in, and as whom.</summary>
public sealed record SandboxSsh(bool Ok, string? Target);

/// <summary>
/// What <c>vmetal sandbox status</c> reports, component by component, parsed from the lines the sandbox script prints
/// (<c>name : state (details; path)</c>). <see cref="Ssh"/>, <see cref="Domains"/> and <see cref="Networks"/> are null
/// when the script did not get that far (a daemon down, or ssh failing).
/// </summary>
public sealed partial record SandboxStatus(
    SandboxState State,
    SandboxNamespace NetworkNamespace,
    SandboxNamespace MountNamespace,
    IReadOnlyDictionary<string, SandboxDaemon> Daemons,
    SandboxSsh? Ssh,
    int? Domains,
    int? Networks)
{
    /// <summary>"state (details)" → state and the details inside the trailing parentheses.</summary>
    [GeneratedRegex(@"^(?<state>.*?)\s*(\((?<details>[^()]*)\))?$", RegexOptions.CultureInvariant)]
    private static partial Regex StateAndDetails();

    public static SandboxStatus Parse(SandboxState state, string text)
    {
        var networkNamespace = new SandboxNamespace(false, null, null);
        var mountNamespace = new SandboxNamespace(false, null, null);
        var daemons = new SortedDictionary<string, SandboxDaemon>(StringComparer.Ordinal);
        SandboxSsh? ssh = null;
        int? domains = null, networks = null;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
                continue;
            var key = line[..colon].Trim();
            var match = StateAndDetails().Match(line[(colon + 1)..].Trim());
            var value = match.Groups["state"].Value;
            var details = match.Groups["details"].Success ? match.Groups["details"].Value : null;
            switch (key)
            {
                case "netns":
                    networkNamespace = value == "absent"
                        ? new SandboxNamespace(false, details is null ? null : System.IO.Path.GetFileName(details), details)
                        : new SandboxNamespace(true, value, details);
                    break;
                case "mount ns":
                    // Older scripts print the path itself for a present namespace.
                    mountNamespace = new SandboxNamespace(value != "absent", null, details ?? (value is "absent" or "present" ? null : value));
                    break;
                case "ssh":
                    ssh = new SandboxSsh(value == "ok", details);
                    break;
                case "domains":
                    domains = Count(value);
                    break;
                case "networks":
                    networks = Count(value);
                    break;
                default:
                    daemons[key] = Daemon(value, details);
                    break;
            }
        }
        return new SandboxStatus(state, networkNamespace, mountNamespace, daemons, ssh, domains, networks);
    }

    /// <summary>"running" with "pid N; /path/name.pid", or "not running" with the pid file.</summary>
    private static SandboxDaemon Daemon(string value, string? details)
    {
        var parts = (details ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var pid = parts.Where(p => p.StartsWith("pid ", StringComparison.Ordinal)).Select(p => Count(p[4..])).FirstOrDefault();
        var pidFile = parts.FirstOrDefault(p => p.StartsWith('/'));
        return new SandboxDaemon(value == "running", pid, pidFile);
    }

    private static int? Count(string text) => int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : null;
}
