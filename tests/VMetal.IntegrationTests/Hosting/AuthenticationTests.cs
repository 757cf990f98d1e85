using System.Diagnostics;
using VMetal.Hosting;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Hosting;

/// <summary>Key types, passphrases, ssh-agent and failures, against the sandbox's real sshd.</summary>
public sealed class AuthenticationTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task Wrong_key_fails_authentication_with_exit_4()
    {
        var environment = sandbox.Require();
        using var directory = new TempDirectory();
        var stranger = await SandboxKeys.GenerateAsync(directory, "ed25519");

        var error = await Assert.ThrowsAsync<HostConnectionException>(() =>
            new HostConnector().ConnectAsync(environment.HostSettings with { KeyPath = stranger }));
        var cli = await CliRunner.RunAsync("exec", "--host", environment.Host, "--key", stranger,
            "--known-hosts", environment.KnownHostsPath, "--", "true");

        Assert.Equal(ConnectFailure.AuthenticationFailed, error.Failure);
        Assert.Equal(4, cli.ExitCode);
        Assert.Contains("authentication failed", cli.Stderr, StringComparison.Ordinal);
        Assert.Contains(stranger, cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rsa_keys_in_both_formats_and_a_passphrase_protected_ecdsa_key_authenticate()
    {
        var environment = sandbox.Require();
        using var directory = new TempDirectory();
        var keys = new[]
        {
            (Path: await SandboxKeys.GenerateAsync(directory, "rsa"), Passphrase: (string?)null),
            (Path: await SandboxKeys.GenerateAsync(directory, "rsa", format: "PEM"), Passphrase: null),
            (Path: await SandboxKeys.GenerateAsync(directory, "ecdsa", passphrase: "s3cret phrase"), Passphrase: "s3cret phrase"),
        };
        await using var authorized = await AuthorizedKeys.AddAsync(sandbox, keys.Select(k => k.Path + ".pub"));

        foreach (var (path, passphrase) in keys)
        {
            await using var host = await new HostConnector().ConnectAsync(environment.HostSettings with
            {
                KeyPath = path,
                KeyPassphrase = passphrase,
            });
            Assert.Equal(environment.Target.User, (await host.RunAsync(HostCommand.Of("id -un"))).Stdout.Trim());
        }
    }

    [Fact]
    public async Task Encrypted_key_without_passphrase_is_reported_as_such()
    {
        var environment = sandbox.Require();
        using var directory = new TempDirectory();
        var key = await SandboxKeys.GenerateAsync(directory, "ed25519", passphrase: "pw");

        var result = await CliRunner.RunAsync("exec", "--host", environment.Host, "--key", key,
            "--known-hosts", environment.KnownHostsPath, "--", "true");

        Assert.Equal(4, result.ExitCode);
        Assert.Contains("encrypted", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("VMETAL_KEY_PASSPHRASE", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_held_by_ssh_agent_authenticate()
    {
        var environment = sandbox.Require();
        using var directory = new TempDirectory();
        var rsa = await SandboxKeys.GenerateAsync(directory, "rsa");
        await using var authorized = await AuthorizedKeys.AddAsync(sandbox, [rsa + ".pub"]);
        var socket = directory.File("agent.sock");
        var agent = await ProcessRunner.RunAsync("ssh-agent", "-a", socket, "-s");
        var agentPid = int.Parse(agent.EnsureSuccess("ssh-agent").Stdout.Split("SSH_AGENT_PID=")[1].Split(';')[0],
            System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            (await ProcessRunner.RunAsync("ssh-add", [rsa], environment: new Dictionary<string, string?> { ["SSH_AUTH_SOCK"] = socket }))
                .EnsureSuccess("ssh-add");

            await using var host = await SshHostConnection.ConnectAsync(new SshConnectOptions(environment.Target)
            {
                KnownHostsPath = environment.KnownHostsPath,
                AgentSocketPath = socket,
            });

            Assert.True((await host.RunAsync(HostCommand.Of("true"))).Succeeded);
        }
        finally
        {
            Process.GetProcessById(agentPid).Kill();
        }
    }

    [Fact]
    public async Task Sudo_that_wants_a_password_fails_with_a_clear_error()
    {
        var environment = sandbox.Require();
        var user = TestNames.Unique("pw").Replace('-', '_');
        var publicKey = await File.ReadAllTextAsync(environment.KeyPath + ".pub");
        await sandbox.RunAsync(
            $"set -e; useradd --create-home {user}; usermod -p '*' {user}; " +
            $"echo '{user} ALL=(ALL) ALL' > /etc/sudoers.d/{user}; chmod 0440 /etc/sudoers.d/{user}; " +
            $"install -d -m 0700 -o {user} -g {user} /home/{user}/.ssh; " +
            $"install -m 0600 -o {user} -g {user} /dev/stdin /home/{user}/.ssh/authorized_keys", sudo: true, stdin: publicKey);
        try
        {
            var settings = environment.HostSettings with { Target = environment.Target with { User = user } };
            await using (var host = await new HostConnector().ConnectAsync(settings))
            {
                var error = await Assert.ThrowsAsync<SudoPasswordRequiredException>(() => host.RunAsync(HostCommand.AsRoot("true")));
                Assert.Contains("password", error.Message, StringComparison.Ordinal);
                Assert.Contains("NOPASSWD", error.Message, StringComparison.Ordinal);
            }
            var cli = await CliRunner.RunAsync("exec", "--sudo", "--host", $"{user}@{environment.Target.Address}",
                "--key", environment.KeyPath, "--known-hosts", environment.KnownHostsPath, "--", "true");
            Assert.Equal(1, cli.ExitCode);
            Assert.Contains("asks", cli.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            await sandbox.RunAsync($"rm -f /etc/sudoers.d/{user}; pkill -u {user} || true; userdel -r {user}", sudo: true);
        }
    }

    /// <summary>Temporarily authorizes extra public keys for the sandbox's sudoer.</summary>
    private sealed class AuthorizedKeys : IAsyncDisposable
    {
        private readonly SandboxFixture _sandbox;
        private readonly string[] _lines;

        private AuthorizedKeys(SandboxFixture sandbox, string[] lines)
        {
            _sandbox = sandbox;
            _lines = lines;
        }

        public static async Task<AuthorizedKeys> AddAsync(SandboxFixture sandbox, IEnumerable<string> publicKeyFiles)
        {
            var lines = new List<string>();
            foreach (var file in publicKeyFiles)
                lines.Add((await File.ReadAllTextAsync(file)).Trim());
            (await sandbox.RunAsync("cat >> ~/.ssh/authorized_keys", stdin: string.Join('\n', lines) + "\n")).EnsureSuccess(
                HostCommand.Of("append authorized_keys"), sandbox.Require().Target);
            return new AuthorizedKeys(sandbox, lines.ToArray());
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var line in _lines)
                await _sandbox.RunAsync($"grep -vxF {ShellQuote.Quote(line)} ~/.ssh/authorized_keys > ~/.ssh/ak.tmp; mv ~/.ssh/ak.tmp ~/.ssh/authorized_keys");
        }
    }
}
