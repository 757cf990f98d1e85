using System.Text.Json.Serialization;
using VMetal.Hosting;

namespace VMetal.Sandbox;

/// <summary>How a client reaches the sandbox hypervisor (what <c>vmetal sandbox env</c> prints).</summary>
/// <param name="Blackhole">address:port that silently drops connections (for timeout tests).</param>
public sealed record SandboxEnvironment(
    string Host,
    string KeyPath,
    string KnownHostsPath,
    string NetworkNamespace,
    string MountNamespace,
    string LibvirtSocket,
    string SshConfig,
    string Blackhole)
{
    [JsonIgnore]
    public HostTarget Target => HostTarget.Parse(Host);

    [JsonIgnore]
    public HostSettings HostSettings => new(Target) { KeyPath = KeyPath, KnownHostsPath = KnownHostsPath };

    /// <summary>Parses the <c>export NAME=value</c> lines the sandbox script prints.</summary>
    public static SandboxEnvironment Parse(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var line = raw.StartsWith("export ", StringComparison.Ordinal) ? raw[7..] : raw;
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
                values[line[..equals]] = line[(equals + 1)..];
        }
        string Get(string name) => values.TryGetValue(name, out var value)
            ? value
            : throw new FormatException($"sandbox environment lacks {name}");
        return new SandboxEnvironment(Get("VMETAL_HOST"), Get("VMETAL_KEY"), Get("VMETAL_KNOWN_HOSTS"),
            Get("VMETAL_SANDBOX_NETNS"), Get("VMETAL_SANDBOX_MOUNTNS"), Get("VMETAL_SANDBOX_LIBVIRT_SOCKET"),
            Get("VMETAL_SANDBOX_SSH_CONFIG"), values.GetValueOrDefault("VMETAL_SANDBOX_BLACKHOLE", string.Empty));
    }

    /// <summary>The lines for <c>eval "$(vmetal sandbox env)"</c>.</summary>
    public string ToShell() => string.Join('\n',
        $"export VMETAL_HOST={Host}",
        $"export VMETAL_KEY={ShellQuote.Quote(KeyPath)}",
        $"export VMETAL_KNOWN_HOSTS={ShellQuote.Quote(KnownHostsPath)}",
        $"export VMETAL_SANDBOX_NETNS={NetworkNamespace}",
        $"export VMETAL_SANDBOX_MOUNTNS={ShellQuote.Quote(MountNamespace)}",
        $"export VMETAL_SANDBOX_LIBVIRT_SOCKET={ShellQuote.Quote(LibvirtSocket)}",
        $"export VMETAL_SANDBOX_SSH_CONFIG={ShellQuote.Quote(SshConfig)}",
        $"export VMETAL_SANDBOX_BLACKHOLE={Blackhole}") + "\n";
}
