using System.Security.Cryptography;
using Renci.SshNet;
using VMetal.Hypervisor;
using VMetal.Testing;

namespace VMetal.Tests.Prepare;

/// <summary>The workspace key pairs: generated in .NET, read by the real OpenSSH tools and SSH.NET.</summary>
public sealed class WorkspaceKeysTests : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Public = Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly TempDirectory _temp = new("vmetal-keys");

    private string Workspace => Path.Combine(_temp.Path, "workspace");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_new_pair_is_an_rsa_3072_pem_key_that_ssh_keygen_and_sshnet_read_with_the_same_public_key()
    {
        var pair = WorkspaceKeys.Ensure(Workspace, WorkspaceKeys.RootKeyName);

        Assert.Equal([$"created {Workspace}", "generated id_rsa (RSA 3072)"], pair.Changes);
        var pem = await File.ReadAllTextAsync(pair.PrivateKeyPath, TestContext.Current.CancellationToken);
        Assert.StartsWith("-----BEGIN RSA PRIVATE KEY-----\n", pem, StringComparison.Ordinal);
        Assert.Equal(Private, File.GetUnixFileMode(pair.PrivateKeyPath));
        Assert.Equal(Public, File.GetUnixFileMode(pair.PublicKeyPath));
        Assert.Equal(Private | UnixFileMode.UserExecute, File.GetUnixFileMode(Workspace));
        Assert.Matches("^ssh-rsa AAAAB3NzaC1yc2E[A-Za-z0-9+/=]+ vmetal-workspace$", pair.PublicKeyLine);

        // OpenSSH derives the public key from our PEM and fingerprints our .pub: both must agree.
        var derived = await ProcessRunner.RunAsync("ssh-keygen", ["-y", "-f", pair.PrivateKeyPath]);
        var fingerprint = await ProcessRunner.RunAsync("ssh-keygen", ["-l", "-f", pair.PublicKeyPath]);
        Assert.Equal(WorkspaceKeys.Blob(pair.PublicKeyLine), WorkspaceKeys.Blob(derived.EnsureSuccess("ssh-keygen -y").Stdout));
        Assert.StartsWith("3072 SHA256:", fingerprint.EnsureSuccess("ssh-keygen -l").Stdout, StringComparison.Ordinal);

        using var sshNetKey = new PrivateKeyFile(pair.PrivateKeyPath);
        Assert.Equal("ssh-rsa", sshNetKey.Key.ToString());
    }

    [Fact]
    public void A_second_ensure_changes_nothing_and_two_names_give_two_keys()
    {
        var root = WorkspaceKeys.Ensure(Workspace, WorkspaceKeys.RootKeyName);
        var undercloud = WorkspaceKeys.Ensure(Workspace, WorkspaceKeys.UndercloudKeyName);

        var again = WorkspaceKeys.Ensure(Workspace, WorkspaceKeys.RootKeyName);

        Assert.Empty(again.Changes);
        Assert.Equal(root.PublicKeyLine, again.PublicKeyLine);
        Assert.NotEqual(WorkspaceKeys.Blob(root.PublicKeyLine), WorkspaceKeys.Blob(undercloud.PublicKeyLine));
    }

    [Fact]
    public void What_an_interruption_or_a_user_leaves_behind_is_repaired()
    {
        var original = WorkspaceKeys.Ensure(Workspace, WorkspaceKeys.RootKeyName);

        File.Delete(original.PublicKeyPath);
        var rewritten = WorkspaceKeys.Ensure(Workspace, WorkspaceKeys.RootKeyName);
        File.SetUnixFileMode(original.PrivateKeyPath, Public);
        File.SetUnixFileMode(Workspace, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var remoded = WorkspaceKeys.Ensure(Workspace, WorkspaceKeys.RootKeyName);
        File.Delete(original.PrivateKeyPath);
        var regenerated = WorkspaceKeys.Ensure(Workspace, WorkspaceKeys.RootKeyName);

        Assert.Equal(["rewrote id_rsa.pub from id_rsa"], rewritten.Changes);
        Assert.Equal(original.PublicKeyLine, rewritten.PublicKeyLine);
        Assert.Equal(["chmod 700 workspace", "chmod 600 id_rsa"], remoded.Changes);
        Assert.Equal(Private, File.GetUnixFileMode(original.PrivateKeyPath));
        // A public key whose private half is gone is useless: a new pair replaces it.
        Assert.Equal(["generated id_rsa (RSA 3072)"], regenerated.Changes);
        Assert.NotEqual(WorkspaceKeys.Blob(original.PublicKeyLine), WorkspaceKeys.Blob(regenerated.PublicKeyLine));
        Assert.Empty(Directory.GetFiles(Workspace, "*.tmp"));
    }

    [Fact]
    public async Task A_key_vmetal_did_not_write_is_kept_with_its_public_half()
    {
        Directory.CreateDirectory(Workspace);
        var key = Path.Combine(Workspace, WorkspaceKeys.UndercloudKeyName);
        (await ProcessRunner.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "operator", "-f", key])).EnsureSuccess("ssh-keygen");
        var publicLine = (await File.ReadAllTextAsync(key + ".pub", TestContext.Current.CancellationToken)).Trim();

        var pair = WorkspaceKeys.Ensure(Workspace, WorkspaceKeys.UndercloudKeyName);
        File.Delete(key + ".pub");

        Assert.Equal(publicLine, pair.PublicKeyLine);
        var error = Assert.Throws<VMetalException>(() => WorkspaceKeys.Ensure(Workspace, WorkspaceKeys.UndercloudKeyName));
        Assert.Contains("not an RSA PEM key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_public_key_encodes_a_modulus_with_its_top_bit_set_as_a_positive_mpint()
    {
        using var rsa = RSA.Create(WorkspaceKeys.KeySizeBits);
        var blob = Convert.FromBase64String(WorkspaceKeys.Blob(WorkspaceKeys.OpenSshPublicKey(rsa, "c"))!);

        // string "ssh-rsa" (4+7), mpint e (4+3 for 65537), mpint n: 3072 bits with the top bit set → 385 bytes.
        Assert.Equal(11 + 7 + 4 + 385, blob.Length);
        Assert.Equal(0, blob[11 + 7 + 4]);
        Assert.Equal([0, 0, 1, 0x81], blob[(11 + 7)..(11 + 7 + 4)]);
    }
}
