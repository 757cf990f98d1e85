using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace VMetal.Hypervisor;

/// <summary>
/// The workspace's SSH key pairs, made on the operator's machine without ssh-keygen: RSA 3072,
/// the private key as PKCS#1 PEM ("BEGIN RSA PRIVATE KEY", which OpenSSH and SSH.NET both read)
/// and the public key as an OpenSSH <c>ssh-rsa AAAA… comment</c> line. <c>id_rsa</c> opens the
/// hypervisor as root; <c>id_rsa_undercloud</c> is the undercloud's key for the stack user
/// (infrared's names).
/// </summary>
public static class WorkspaceKeys
{
    public const string RootKeyName = "id_rsa";

    public const string UndercloudKeyName = "id_rsa_undercloud";

    public const int KeySizeBits = 3072;

    private const UnixFileMode PrivateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PublicMode = PrivateMode | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode DirectoryMode = PrivateMode | UnixFileMode.UserExecute;

    /// <summary>A key pair in the workspace and what <see cref="Ensure"/> had to do for it.</summary>
    public sealed record KeyPair(string PrivateKeyPath, string PublicKeyPath, string PublicKeyLine, IReadOnlyList<string> Changes);

    /// <summary>
    /// Makes sure <c>DIR/NAME</c> and <c>DIR/NAME.pub</c> exist, match and have modes 0600/0644 in a
    /// 0700 directory. An existing pair is kept; a lone public key (its private key lost) is replaced.
    /// </summary>
    public static KeyPair Ensure(string directory, string name)
    {
        var changes = new List<string>();
        EnsureDirectory(directory, changes);
        var privatePath = Path.Combine(directory, name);
        var publicPath = privatePath + ".pub";
        var comment = $"vmetal-{Path.GetFileName(Path.TrimEndingDirectorySeparator(directory))}";

        string publicLine;
        if (File.Exists(privatePath))
        {
            using var rsa = TryImport(File.ReadAllText(privatePath));
            if (rsa is null)
            {
                // Not a key vmetal wrote (e.g. OpenSSH format); its .pub is all vmetal needs.
                if (!File.Exists(publicPath))
                    throw new VMetalException(FailureKind.BadInput,
                        $"{privatePath} is not an RSA PEM key and {publicPath} is missing: restore the .pub file, or remove the key to let vmetal generate a new pair");
                publicLine = File.ReadAllText(publicPath).Trim();
            }
            else
            {
                publicLine = OpenSshPublicKey(rsa, comment);
                if (!File.Exists(publicPath) || Blob(File.ReadAllText(publicPath)) != Blob(publicLine))
                {
                    WriteAtomically(publicPath, publicLine + "\n", PublicMode);
                    changes.Add($"rewrote {Path.GetFileName(publicPath)} from {name}");
                }
                else
                {
                    publicLine = File.ReadAllText(publicPath).Trim();
                }
            }
        }
        else
        {
            using var rsa = RSA.Create(KeySizeBits);
            publicLine = OpenSshPublicKey(rsa, comment);
            // Private key first: a run interrupted before the .pub is written repairs it next time.
            WriteAtomically(privatePath, rsa.ExportRSAPrivateKeyPem() + "\n", PrivateMode);
            WriteAtomically(publicPath, publicLine + "\n", PublicMode);
            changes.Add($"generated {name} (RSA {KeySizeBits})");
        }
        EnsureMode(privatePath, PrivateMode, changes);
        EnsureMode(publicPath, PublicMode, changes);
        return new KeyPair(privatePath, publicPath, publicLine, changes);
    }

    /// <summary>The OpenSSH public key line: "ssh-rsa" + base64(string type, mpint e, mpint n) + comment.</summary>
    public static string OpenSshPublicKey(RSA rsa, string comment)
    {
        var parameters = rsa.ExportParameters(includePrivateParameters: false);
        using var blob = new MemoryStream();
        WriteString(blob, Encoding.ASCII.GetBytes("ssh-rsa"));
        WriteString(blob, Mpint(parameters.Exponent!));
        WriteString(blob, Mpint(parameters.Modulus!));
        return $"ssh-rsa {Convert.ToBase64String(blob.ToArray())} {comment}".TrimEnd();
    }

    /// <summary>The base64 key blob of an OpenSSH public key line (the field after the key type), or null.</summary>
    public static string? Blob(string publicKeyLine)
    {
        var fields = publicKeyLine.Trim().Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var typeIndex = Array.FindIndex(fields, field => field.StartsWith("ssh-", StringComparison.Ordinal) || field.StartsWith("ecdsa-", StringComparison.Ordinal));
        return typeIndex >= 0 && typeIndex + 1 < fields.Length ? fields[typeIndex + 1] : null;
    }

    private static RSA? TryImport(string pem)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            return rsa;
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            return null;
        }
    }

    /// <summary>SSH mpint: big-endian two's complement, so a set top bit needs a leading zero byte.</summary>
    private static byte[] Mpint(byte[] unsignedBigEndian)
    {
        var start = 0;
        while (start < unsignedBigEndian.Length - 1 && unsignedBigEndian[start] == 0)
            start++;
        var trimmed = unsignedBigEndian[start..];
        return (trimmed[0] & 0x80) != 0 ? [0, .. trimmed] : trimmed;
    }

    private static void WriteString(Stream stream, byte[] value)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)value.Length);
        stream.Write(length);
        stream.Write(value);
    }

    private static void EnsureDirectory(string directory, List<string> changes)
    {
        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
                Directory.CreateDirectory(directory);
            else
                Directory.CreateDirectory(directory, DirectoryMode);
            changes.Add($"created {directory}");
            return;
        }
        EnsureMode(directory, DirectoryMode, changes);
    }

    private static void EnsureMode(string path, UnixFileMode mode, List<string> changes)
    {
        if (OperatingSystem.IsWindows() || File.GetUnixFileMode(path) == mode)
            return;
        File.SetUnixFileMode(path, mode);
        changes.Add($"chmod {Convert.ToString((int)mode, 8)} {Path.GetFileName(path)}");
    }

    /// <summary>Writes a temporary file created with its final mode, then renames it over the target.</summary>
    private static void WriteAtomically(string path, string content, UnixFileMode mode)
    {
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = mode;
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
            writer.Write(content);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temporary, mode);
        File.Move(temporary, path, overwrite: true);
    }
}
