using VMetal.Testing;

namespace VMetal.IntegrationTests.Hosting;

/// <summary>Facts about the sandbox's sshd host keys, read with the real ssh-keygen.</summary>
internal static class SandboxKeys
{
    private const string HostKeyDirectory = "/var/lib/vmetal/sandbox/sshd";

    public static async Task<IReadOnlyList<string>> HostKeyFingerprintsAsync()
    {
        var fingerprints = new List<string>();
        foreach (var type in new[] { "ed25519", "ecdsa", "rsa" })
        {
            var result = await ProcessRunner.RunAsync("ssh-keygen", "-lf", $"{HostKeyDirectory}/ssh_host_{type}_key.pub");
            fingerprints.Add(result.EnsureSuccess("ssh-keygen -lf").Stdout.Split(' ')[1]);
        }
        return fingerprints;
    }

    /// <summary>Generates a key pair with the real ssh-keygen; returns the private key path.</summary>
    public static async Task<string> GenerateAsync(TempDirectory directory, string type, string passphrase = "", string format = "")
    {
        var path = directory.File($"id_{type}_{Guid.NewGuid():N}");
        var arguments = new List<string> { "-q", "-t", type, "-N", passphrase, "-C", "vmetal-test", "-f", path };
        if (type == "rsa")
            arguments.AddRange(["-b", "3072"]);
        if (format.Length > 0)
            arguments.AddRange(["-m", format]);
        (await ProcessRunner.RunAsync("ssh-keygen", arguments)).EnsureSuccess("ssh-keygen");
        return path;
    }
}
