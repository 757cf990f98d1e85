using VMetal.Testing;

namespace VMetal.IntegrationTests.Sandbox;

public sealed class SandboxCommandTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task Up_when_already_up_prints_only_shell_assignments_on_stdout()
    {
        sandbox.Require();

        var result = await CliRunner.RunAsync("sandbox", "up");
        var shell = await ProcessRunner.RunAsync("/bin/sh", "-ec", result.Stdout + "\necho \"$VMETAL_HOST $VMETAL_SANDBOX_LIBVIRT_SOCKET\"");

        Assert.Equal(0, result.ExitCode);
        Assert.All(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.StartsWith("export VMETAL_", line, StringComparison.Ordinal));
        Assert.Contains("sandbox is up", result.Stderr, StringComparison.Ordinal);
        Assert.Equal($"{sandbox.Require().Host} {sandbox.Require().LibvirtSocket}", shell.Stdout.Trim());
    }

    [Fact]
    public async Task Status_reports_up_with_exit_0_and_json_state()
    {
        sandbox.Require();

        var text = await CliRunner.RunAsync("sandbox", "status");
        var json = await CliRunner.RunAsync("sandbox", "status", "-o", "json");

        Assert.Equal(0, text.ExitCode);
        Assert.Contains("libvirtd  : running", text.Stdout, StringComparison.Ordinal);
        using var document = System.Text.Json.JsonDocument.Parse(json.Stdout);
        var root = document.RootElement;
        Assert.Equal("up", root.GetProperty("state").GetString());
        Assert.True(root.GetProperty("networkNamespace").GetProperty("present").GetBoolean());
        Assert.Equal(sandbox.Require().NetworkNamespace, root.GetProperty("networkNamespace").GetProperty("name").GetString());
        Assert.Equal(sandbox.Require().MountNamespace, root.GetProperty("mountNamespace").GetProperty("path").GetString());
        Assert.True(root.GetProperty("ssh").GetProperty("ok").GetBoolean());
        // Each daemon's pid is a live process, the one its pid file names.
        foreach (var name in new[] { "virtlogd", "libvirtd", "polkitd", "sshd" })
        {
            var daemon = root.GetProperty("daemons").GetProperty(name);
            Assert.True(daemon.GetProperty("running").GetBoolean(), name);
            var pid = daemon.GetProperty("pid").GetInt32();
            Assert.True(Directory.Exists($"/proc/{pid}"), $"{name}: pid {pid} is not running");
            Assert.Equal(pid.ToString(System.Globalization.CultureInfo.InvariantCulture),
                File.ReadAllText(daemon.GetProperty("pidFile").GetString()!).Trim());
        }
    }

    [Fact]
    public async Task Ssh_without_a_command_runs_the_shell_on_stdin()
    {
        sandbox.Require();

        var result = await CliRunner.RunAsync(["sandbox", "ssh"], stdin: "whoami\nhostname -I\nexit 7\n");

        Assert.True(result.ExitCode == 7, result.Output);
        Assert.Contains("vmadmin", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("198.18.90.2", result.Stdout, StringComparison.Ordinal);
    }
}
