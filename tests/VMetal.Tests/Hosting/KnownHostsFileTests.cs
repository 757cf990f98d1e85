using System.Security.Cryptography;
using System.Text;
using VMetal.Hosting;
using VMetal.Testing;

namespace VMetal.Tests.Hosting;

public sealed class KnownHostsFileTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly byte[] _ed25519 = KeyBlob("ssh-ed25519", 32);
    private readonly byte[] _otherEd25519 = KeyBlob("ssh-ed25519", 32);
    private readonly byte[] _rsa = KeyBlob("ssh-rsa", 259);

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Missing_file_knows_nothing()
    {
        var file = KnownHostsFile.Load(_directory.File("absent"));

        Assert.Equal(HostKeyVerdict.Unknown, file.Check("hv", _ed25519).Verdict);
    }

    [Fact]
    public void Exact_key_is_trusted_and_its_line_is_named()
    {
        var file = Write($"# comment\n\nother {Line("ssh-ed25519", _otherEd25519)}\nhv,10.0.0.1 {Line("ssh-ed25519", _ed25519)}\n");

        var check = file.Check("10.0.0.1", _ed25519);

        Assert.Equal(HostKeyVerdict.Trusted, check.Verdict);
        Assert.EndsWith(":4", check.EntryLocation, StringComparison.Ordinal);
    }

    [Fact]
    public void Different_key_of_the_same_type_is_a_change()
    {
        var file = Write($"hv {Line("ssh-ed25519", _otherEd25519)}\n");

        Assert.Equal(HostKeyVerdict.Changed, file.Check("hv", _ed25519).Verdict);
    }

    [Fact]
    public void Key_of_a_type_not_yet_recorded_for_a_known_host_is_not_trusted()
    {
        var file = Write($"hv {Line("ssh-rsa", _rsa)}\n");

        var check = file.Check("hv", _ed25519);

        Assert.Equal(HostKeyVerdict.Changed, check.Verdict);
        Assert.Equal(["ssh-rsa"], check.KnownKeyTypes);
    }

    [Fact]
    public void Non_default_ports_use_the_bracketed_form()
    {
        var file = Write($"[hv]:2222 {Line("ssh-ed25519", _ed25519)}\n");

        Assert.Equal(HostKeyVerdict.Trusted, file.Check("[hv]:2222", _ed25519).Verdict);
        Assert.Equal(HostKeyVerdict.Unknown, file.Check("hv", _ed25519).Verdict);
    }

    [Fact]
    public void Hashed_entries_match_their_host_only()
    {
        var salt = RandomNumberGenerator.GetBytes(20);
        var hash = HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes("[hv.example]:2200"));
        var file = Write($"|1|{Convert.ToBase64String(salt)}|{Convert.ToBase64String(hash)} {Line("ssh-ed25519", _ed25519)}\n");

        Assert.Equal(HostKeyVerdict.Trusted, file.Check("[hv.example]:2200", _ed25519).Verdict);
        Assert.Equal(HostKeyVerdict.Unknown, file.Check("hv.example", _ed25519).Verdict);
    }

    [Fact]
    public void Wildcards_and_negations_follow_openssh()
    {
        var file = Write($"*.lab.example,!bad.lab.example {Line("ssh-ed25519", _ed25519)}\n");

        Assert.Equal(HostKeyVerdict.Trusted, file.Check("hv1.lab.example", _ed25519).Verdict);
        Assert.Equal(HostKeyVerdict.Unknown, file.Check("bad.lab.example", _ed25519).Verdict);
        Assert.Equal(HostKeyVerdict.Unknown, file.Check("lab.example", _ed25519).Verdict);
    }

    [Fact]
    public void Revoked_key_is_refused_even_if_also_listed()
    {
        var file = Write($"hv {Line("ssh-ed25519", _ed25519)}\n@revoked * {Line("ssh-ed25519", _ed25519)}\n");

        Assert.Equal(HostKeyVerdict.Revoked, file.Check("hv", _ed25519).Verdict);
    }

    [Fact]
    public void Cert_authority_lines_never_grant_trust_and_junk_lines_are_skipped()
    {
        var file = Write($"@cert-authority * {Line("ssh-ed25519", _ed25519)}\nhv ssh-ed25519 not-base64!\nhv\n");

        Assert.Equal(HostKeyVerdict.Unknown, file.Check("hv", _ed25519).Verdict);
    }

    [Fact]
    public void Append_creates_the_file_private_and_keeps_existing_lines()
    {
        var path = _directory.File("sub/known_hosts");
        var file = KnownHostsFile.Load(path);

        file.Append("[hv]:2222", _ed25519);
        file.Append("other", _rsa);

        var lines = File.ReadAllLines(path);
        Assert.Equal([$"[hv]:2222 {Line("ssh-ed25519", _ed25519)}", $"other {Line("ssh-rsa", _rsa)}"], lines);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(HostKeyVerdict.Trusted, KnownHostsFile.Load(path).Check("[hv]:2222", _ed25519).Verdict);
    }

    [Fact]
    public async Task Fingerprint_matches_ssh_keygen()
    {
        var key = _directory.File("k");
        (await ProcessRunner.RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)).EnsureSuccess("ssh-keygen");
        var blob = Convert.FromBase64String((await File.ReadAllTextAsync(key + ".pub")).Split(' ')[1]);

        var expected = (await ProcessRunner.RunAsync("ssh-keygen", "-lf", key + ".pub")).Stdout.Split(' ')[1];

        Assert.Equal(expected, KnownHostsFile.Fingerprint(blob));
        Assert.Equal("ssh-ed25519", KnownHostsFile.KeyTypeOf(blob));
    }

    private KnownHostsFile Write(string content)
    {
        var path = _directory.File("known_hosts");
        File.WriteAllText(path, content);
        return KnownHostsFile.Load(path);
    }

    private static string Line(string type, byte[] blob) => $"{type} {Convert.ToBase64String(blob)}";

    private static byte[] KeyBlob(string type, int keyLength)
    {
        var name = Encoding.ASCII.GetBytes(type);
        var blob = new byte[4 + name.Length + 4 + keyLength];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(blob, name.Length);
        name.CopyTo(blob, 4);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(blob.AsSpan(4 + name.Length), keyLength);
        RandomNumberGenerator.Fill(blob.AsSpan(8 + name.Length));
        return blob;
    }
}
