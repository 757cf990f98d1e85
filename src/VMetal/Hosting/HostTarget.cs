using System.Globalization;

namespace VMetal.Hosting;

/// <summary>
/// Where vmetal runs its commands: <c>user@address[:port]</c> over SSH, or this machine.
/// </summary>
public sealed record HostTarget(string User, string Address, int Port)
{
    public const int DefaultSshPort = 22;

    /// <summary>The word that selects this machine instead of an SSH host.</summary>
    public const string LocalKeyword = "local";

    public static HostTarget Local { get; } = new(Environment.UserName, LocalKeyword, 0);

    public bool IsLocal => ReferenceEquals(this, Local) || Address == LocalKeyword;

    /// <summary>
    /// Parses <c>local</c>, <c>address</c>, <c>user@address</c>, <c>user@address:port</c> and
    /// <c>user@[ipv6]:port</c>. A missing user defaults to <paramref name="defaultUser"/>.
    /// </summary>
    public static HostTarget Parse(string text, string defaultUser = "root")
    {
        ArgumentNullException.ThrowIfNull(text);
        var value = text.Trim();
        if (value.Length == 0)
            throw new FormatException("host is empty; expected user@address[:port] or 'local'");
        if (value == LocalKeyword)
            return Local;

        var user = defaultUser;
        var at = value.LastIndexOf('@');
        if (at >= 0)
        {
            user = value[..at];
            value = value[(at + 1)..];
            if (user.Length == 0)
                throw new FormatException($"host '{text}' has an empty user before '@'");
        }

        var port = DefaultSshPort;
        string address;
        if (value.StartsWith('['))
        {
            var close = value.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
                throw new FormatException($"host '{text}': '[' without ']'");
            address = value[1..close];
            var rest = value[(close + 1)..];
            if (rest.Length > 0)
            {
                if (!rest.StartsWith(':'))
                    throw new FormatException($"host '{text}': expected ':port' after ']'");
                port = ParsePort(rest[1..], text);
            }
        }
        else
        {
            var colon = value.IndexOf(':', StringComparison.Ordinal);
            // More than one colon without brackets is a bare IPv6 address.
            if (colon >= 0 && value.IndexOf(':', colon + 1) < 0)
            {
                address = value[..colon];
                port = ParsePort(value[(colon + 1)..], text);
            }
            else
            {
                address = value;
            }
        }

        if (address.Length == 0)
            throw new FormatException($"host '{text}' has no address");
        if (address.Any(c => char.IsWhiteSpace(c) || c == '/'))
            throw new FormatException($"host '{text}': '{address}' is not a host name or address");
        return new HostTarget(user, address, port);
    }

    private static int ParsePort(string text, string original)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new FormatException($"host '{original}': '{text}' is not a port (1-65535)");
        return port;
    }

    /// <summary>The name under which OpenSSH records this host in known_hosts.</summary>
    public string KnownHostsName => Port == DefaultSshPort ? Address : $"[{Address}]:{Port}";

    public override string ToString()
    {
        if (IsLocal)
            return LocalKeyword;
        var address = Address.Contains(':', StringComparison.Ordinal) ? $"[{Address}]" : Address;
        return Port == DefaultSshPort ? $"{User}@{address}" : $"{User}@{address}:{Port}";
    }
}
