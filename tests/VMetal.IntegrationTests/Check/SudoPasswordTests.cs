using VMetal.Hosting;
using VMetal.Testing;
using static VMetal.IntegrationTests.Prepare.HypervisorCli;

namespace VMetal.IntegrationTests.Check;

/// <summary>A login whose sudo wants a password: check says so, prepare stops before changing anything.</summary>
public sealed class SudoPasswordTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task Sudo_that_wants_a_password_fails_check_with_exit_3_and_prepare_changes_nothing()
    {
        var environment = sandbox.Require();
        var user = TestNames.Unique("pw").Replace('-', '_');
        var publicKey = await File.ReadAllTextAsync(environment.KeyPath + ".pub", TestContext.Current.CancellationToken);
        (await sandbox.RunAsync(
            $"set -e; useradd --create-home {user}; usermod -p '*' {user}; " +
            $"echo '{user} ALL=(ALL) ALL' > /etc/sudoers.d/{user}; chmod 0440 /etc/sudoers.d/{user}; " +
            $"install -d -m 0700 -o {user} -g {user} /home/{user}/.ssh; " +
            $"install -m 0600 -o {user} -g {user} /dev/stdin /home/{user}/.ssh/authorized_keys", sudo: true, stdin: publicKey))
            .EnsureSuccess(HostCommand.Of("create a user with password sudo"), environment.Target);
        using var workspace = new TempDirectory("vmetal-sudo");
        var workspaceDirectory = Path.Combine(workspace.Path, "ws");
        try
        {
            string[] asUser = ["--host", $"{user}@{environment.Target.Address}", "--key", environment.KeyPath, "--known-hosts", environment.KnownHostsPath];

            var (check, checkResult) = await RunJsonAsync(["check", .. asUser]);
            var (prepare, prepareResult) = await RunJsonAsync(["prepare", "--workspace-dir", workspaceDirectory, .. asUser]);

            Assert.Equal(3, check.ExitCode);
            Assert.Equal("fail", checkResult.Checks["sudo"].Status);
            Assert.Contains($"sudo asks {user} for a password", checkResult.Checks["sudo"].Found, StringComparison.Ordinal);
            Assert.Equal(3, prepare.ExitCode);
            Assert.Contains("prepare stopped before changing anything: sudo:", prepare.Stderr, StringComparison.Ordinal);
            Assert.Empty(prepareResult.Steps);
            Assert.False(Directory.Exists(workspaceDirectory));
        }
        finally
        {
            await sandbox.RunAsync($"rm -f /etc/sudoers.d/{user}; pkill -u {user} || true; userdel -r {user}", sudo: true);
        }
    }
}
