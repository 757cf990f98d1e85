using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace VMetal.Hosting;

/// <summary>What an OpenSSH known_hosts file says about a host key.</summary>
public enum HostKeyVerdict
{
    /// <summary>The exact key is recorded for this host.</summary>
    Trusted,

    /// <summary>Nothing is recorded for this host.</summary>
    Unknown,

    /// <summary>The host is recorded, but with other keys: possible interception or a reinstalled host.</summary>
    Changed,

    /// <summary>The key is marked <c>@revoked</c>.</summary>
    Revoked,
}

/// <summary>The result of looking a key up, with where the deciding entry was.</summary>
public sealed record HostKeyCheck(HostKeyVerdict Verdict, string? EntryLocation, IReadOnlyList<string> KnownKeyTypes);

/// <summary>
/// Reads and appends OpenSSH known_hosts files: plain and hashed (<c>|1|salt|hmac</c>) host
/// fields, <c>[host]:port</c> names, wildcards and negations, and <c>@revoked</c> markers.
/// <c>@cert-authority</c> lines are ignored (vmetal does not accept host certificates).
/// </summary>
public sealed class KnownHostsFile
{
    private readonly List<Entry> _entries;

    private KnownHostsFile(string path, List<Entry> entries)
    {
        Path = path;
        _entries = entries;
    }

    public string Path { get; }

    /// <summary>The default OpenSSH location, <c>~/.ssh/known_hosts</c>.</summary>
    public static string DefaultPath =>
        System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "known_hosts");

    /// <summary>Loads the file; a missing file is an empty one.</summary>
    /// <exception cref="VMetalException">BadInput: the path is a directory or cannot be read.</exception>
    public static KnownHostsFile Load(string path)
    {
        if (Directory.Exists(path))
            throw new VMetalException(FailureKind.BadInput, $"known_hosts {path} is a directory, not a file");
        var entries = new List<Entry>();
        if (File.Exists(path))
        {
            var lineNumber = 0;
            try
            {
                foreach (var line in File.ReadLines(path))
                {
                    lineNumber++;
                    if (Entry.TryParse(line, lineNumber) is { } entry)
                        entries.Add(entry);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new VMetalException(FailureKind.BadInput, $"cannot read known_hosts {path}: {ex.Message}", ex);
            }
        }
        return new KnownHostsFile(path, entries);
    }

    /// <summary>Decides whether <paramref name="keyBlob"/> (SSH wire format) may be trusted for the host.</summary>
    public HostKeyCheck Check(string knownHostsName, byte[] keyBlob)
    {
        var keyType = KeyTypeOf(keyBlob);
        var matching = _entries.Where(e => e.Marker != Marker.CertAuthority && e.MatchesHost(knownHostsName)).ToList();
        var knownTypes = matching.Where(e => e.Marker == Marker.None).Select(e => e.KeyType).Distinct(StringComparer.Ordinal).ToList();

        if (matching.FirstOrDefault(e => e.Marker == Marker.Revoked && e.KeyBlob.AsSpan().SequenceEqual(keyBlob)) is { } revoked)
            return new HostKeyCheck(HostKeyVerdict.Revoked, Location(revoked), knownTypes);
        if (matching.FirstOrDefault(e => e.Marker == Marker.None && e.KeyBlob.AsSpan().SequenceEqual(keyBlob)) is { } trusted)
            return new HostKeyCheck(HostKeyVerdict.Trusted, Location(trusted), knownTypes);
        if (matching.FirstOrDefault(e => e.Marker == Marker.None && e.KeyType == keyType) is { } differing)
            return new HostKeyCheck(HostKeyVerdict.Changed, Location(differing), knownTypes);
        // Recorded with keys of other types only: like OpenSSH, never trust the new type blindly.
        if (matching.FirstOrDefault(e => e.Marker == Marker.None) is { } otherType)
            return new HostKeyCheck(HostKeyVerdict.Changed, Location(otherType), knownTypes);
        return new HostKeyCheck(HostKeyVerdict.Unknown, null, knownTypes);
    }

    /// <summary>Key types recorded for the host, so the client can ask the server for one of them first.</summary>
    public IReadOnlyList<string> KnownKeyTypes(string knownHostsName) =>
        _entries.Where(e => e.Marker == Marker.None && e.MatchesHost(knownHostsName))
            .Select(e => e.KeyType).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Appends a plain entry for a newly accepted host (creating ~/.ssh 0700 and the file 0600).</summary>
    public void Append(string knownHostsName, byte[] keyBlob)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
                Directory.CreateDirectory(directory);
            else
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var line = $"{knownHostsName} {KeyTypeOf(keyBlob)} {Convert.ToBase64String(keyBlob)}";
        var needsNewline = File.Exists(Path) && new FileInfo(Path).Length > 0 && !EndsWithNewline(Path);
        File.AppendAllText(Path, (needsNewline ? "\n" : string.Empty) + line + "\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _entries.Add(Entry.TryParse(line, _entries.Count + 1)!);
    }

    /// <summary><c>SHA256:…</c> as printed by <c>ssh-keygen -l</c>.</summary>
    public static string Fingerprint(byte[] keyBlob) =>
        "SHA256:" + Convert.ToBase64String(SHA256.HashData(keyBlob)).TrimEnd('=');

    /// <summary>The key type named inside an SSH public key blob (e.g. <c>ssh-ed25519</c>).</summary>
    public static string KeyTypeOf(byte[] keyBlob)
    {
        if (keyBlob.Length < 4)
            return "unknown";
        var length = BinaryPrimitives.ReadInt32BigEndian(keyBlob);
        return length > 0 && length <= keyBlob.Length - 4 ? Encoding.ASCII.GetString(keyBlob, 4, length) : "unknown";
    }

    private string Location(Entry entry) => $"{Path}:{entry.Line}";

    private static bool EndsWithNewline(string path)
    {
        using var stream = File.OpenRead(path);
        stream.Seek(-1, SeekOrigin.End);
        return stream.ReadByte() == '\n';
    }

    private enum Marker
    {
        None,
        Revoked,
        CertAuthority,
    }

    private sealed record Entry(int Line, Marker Marker, string HostField, string KeyType, byte[] KeyBlob)
    {
        public static Entry? TryParse(string line, int lineNumber)
        {
            var text = line.Trim();
            if (text.Length == 0 || text[0] == '#')
                return null;
            var fields = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var marker = Marker.None;
            var index = 0;
            if (fields[0].StartsWith('@'))
            {
                marker = fields[0] switch
                {
                    "@revoked" => Marker.Revoked,
                    "@cert-authority" => Marker.CertAuthority,
                    _ => Marker.CertAuthority, // unknown markers: never used for trust
                };
                index = 1;
            }
            if (fields.Length < index + 3)
                return null;
            byte[] blob;
            try
            {
                blob = Convert.FromBase64String(fields[index + 2]);
            }
            catch (FormatException)
            {
                return null;
            }
            return new Entry(lineNumber, marker, fields[index], fields[index + 1], blob);
        }

        public bool MatchesHost(string name)
        {
            if (HostField.StartsWith("|1|", StringComparison.Ordinal))
                return MatchesHashed(name);
            var matched = false;
            foreach (var pattern in HostField.Split(','))
            {
                var negated = pattern.StartsWith('!');
                var glob = negated ? pattern[1..] : pattern;
                if (!Glob(glob, name))
                    continue;
                if (negated)
                    return false;
                matched = true;
            }
            return matched;
        }

        private bool MatchesHashed(string name)
        {
            var parts = HostField.Split('|');
            if (parts.Length != 4)
                return false;
            try
            {
                var salt = Convert.FromBase64String(parts[2]);
                var expected = Convert.FromBase64String(parts[3]);
                var actual = HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(name));
                return CryptographicOperations.FixedTimeEquals(actual, expected);
            }
            catch (FormatException)
            {
                return false;
            }
        }

        private static bool Glob(string pattern, string text)
        {
            int p = 0, t = 0, star = -1, mark = 0;
            while (t < text.Length)
            {
                if (p < pattern.Length && (pattern[p] == '?' || char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(text[t])))
                {
                    p++;
                    t++;
                }
                else if (p < pattern.Length && pattern[p] == '*')
                {
                    star = p++;
                    mark = t;
                }
                else if (star >= 0)
                {
                    p = star + 1;
                    t = ++mark;
                }
                else
                {
                    return false;
                }
            }
            while (p < pattern.Length && pattern[p] == '*')
                p++;
            return p == pattern.Length;
        }
    }
}
