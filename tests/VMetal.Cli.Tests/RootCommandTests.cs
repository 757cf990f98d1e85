using System.Text.Json;
using VMetal.Testing;

namespace VMetal.Cli.Tests;

public sealed class RootCommandTests
{
    [Fact]
    public async Task Help_lists_the_commands_and_global_options()
    {
        var result = await CliRunner.RunAsync("--help");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        foreach (var expected in new[] { "sandbox", "exec", "console", "--host", "--key", "--known-hosts", "--accept-new-host-key", "--workspace", "--output", "--verbose" })
            Assert.Contains(expected, result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_states_each_default_once_in_the_words_the_option_accepts()
    {
        var result = await CliRunner.RunAsync("status", "--help");

        var lines = result.Stdout.Split('\n');
        Assert.Contains("[default: text]", lines.Single(l => l.TrimStart().StartsWith("-o, --output", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.DoesNotContain("[default: Text]", result.Stdout, StringComparison.Ordinal);
        var workspace = lines.Single(l => l.TrimStart().StartsWith("--workspace ", StringComparison.Ordinal));
        Assert.Equal(2, workspace.Split("default:").Length);
        Assert.DoesNotContain("] [", workspace, StringComparison.Ordinal); // one bracket for the environment variable and the default
    }

    [Fact]
    public async Task Version_prints_the_version()
    {
        var result = await CliRunner.RunAsync("--version");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", result.Stdout);
    }

    [Theory]
    [InlineData("--no-such-option")]
    [InlineData("sandbox", "up", "--bogus")]
    [InlineData("no-such-command")]
    [InlineData("--output", "yaml", "sandbox", "env")]
    [InlineData("exec")]
    public async Task Usage_errors_exit_2_with_the_problem_and_a_pointer_to_help(params string[] args)
    {
        var result = await CliRunner.RunAsync(args);

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.StartsWith("error: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--help", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Theory]
    [InlineData("one problem: the unknown word", "frobnicate")]
    [InlineData("an --output value that is not text or json", "status", "-o", "yaml")]
    public async Task A_usage_error_is_reported_once_in_vmetals_words(string because, params string[] args)
    {
        var result = await CliRunner.RunAsync(args);

        var errors = result.Stderr.Split('\n').Where(line => line.StartsWith("error: ", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 1, $"{because}: {result.Stderr}");
        Assert.DoesNotContain("VMetal.", result.Stderr, StringComparison.Ordinal); // no .NET type names
        Assert.Contains(args[^1], errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_usage_error_with_output_json_is_a_json_document_on_stdout()
    {
        var result = await CliRunner.RunAsync("-o", "json", "frobnicate");

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        using var document = JsonDocument.Parse(result.Stdout);
        var error = document.RootElement.GetProperty("error");
        Assert.Equal(ExitCodes.BadInput, error.GetProperty("exitCode").GetInt32());
        Assert.Equal("badInput", error.GetProperty("kind").GetString());
        Assert.Contains("'frobnicate'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Scripts that asked for JSON get JSON for every failure, not an empty stdout.</summary>
    [Theory]
    [InlineData(ExitCodes.BadInput, "badInput", "--host", "root@127.0.0.1:1", "exec", "--key", "/nonexistent/key", "--", "true")]
    [InlineData(ExitCodes.CannotConnect, "connection", "--host", "root@127.0.0.1:1", "--connect-timeout", "2", "exec", "--", "true")]
    [InlineData(ExitCodes.BadInput, "badInput", "--host", "root@127.0.0.1:1", "plan", "--topology-nodes", "nope:1")]
    public async Task A_failing_command_with_output_json_prints_a_failure_document(int exitCode, string kind, params string[] args)
    {
        var result = await CliRunner.RunAsync(["-o", "json", .. args]);

        Assert.True(result.ExitCode == exitCode, result.Stderr);
        using var document = JsonDocument.Parse(result.Stdout);
        var error = document.RootElement.GetProperty("error");
        Assert.Equal(exitCode, error.GetProperty("exitCode").GetInt32());
        Assert.Equal(kind, error.GetProperty("kind").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
    }

    [Theory]
    [InlineData("me@host:99999")]
    [InlineData("@host")]
    public async Task A_malformed_host_is_bad_input(string host)
    {
        var result = await CliRunner.RunAsync("exec", "--host", host, "--", "true");

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("--host", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Mistakes on the command line stop every command before it connects (the host here does not exist).</summary>
    [Theory]
    [InlineData("--workspace 'q;id>/tmp/pwned;x'", "down", "--workspace", "q;id>/tmp/pwned;x")]
    [InlineData("--workspace '../escape'", "status", "--workspace", "../escape")]
    [InlineData("--host is empty", "check", "--host", "")]
    [InlineData("--connect-timeout 3000000: use 1 to 3600 seconds", "check", "--connect-timeout", "3000000")]
    [InlineData("--connect-timeout 0", "check", "--connect-timeout", "0")]
    [InlineData("--stack-user root", "prepare", "--stack-user", "root")]
    [InlineData("leaves no step to run", "prepare", "--only", "packages", "--skip", "packages")]
    [InlineData("--disk-pool 'relative/dir': give an absolute directory path", "check", "--disk-pool", "relative/dir")]
    [InlineData("--pool-name 'bad name/x'", "plan", "--topology-nodes", "compute:1", "--pool-name", "bad name/x")]
    [InlineData("--vnc-password is 9 characters long", "plan", "--topology-nodes", "compute:1", "--vnc-password", "secret123")]
    [InlineData("cannot read SSH key /nonexistent/key", "exec", "--key", "/nonexistent/key", "--", "true")]
    public async Task Bad_global_and_command_options_exit_2_before_connecting(string message, params string[] args)
    {
        var result = await CliRunner.RunAsync(args.Contains("--host") ? args : ["--host", "root@127.0.0.1:1", .. args]);

        Assert.True(result.ExitCode == ExitCodes.BadInput, result.Stderr);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("connecting to", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sandbox_env_as_json_is_machine_readable_on_stdout()
    {
        Assert.SkipUnless(Environment.UserName == "root", "the sandbox script runs as root");

        var result = await CliRunner.RunAsync("sandbox", "env", "--output", "json");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        using var document = JsonDocument.Parse(result.Stdout);
        Assert.Equal("vmadmin@198.18.90.2", document.RootElement.GetProperty("host").GetString());
        Assert.EndsWith("libvirt-sock", document.RootElement.GetProperty("libvirtSocket").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sandbox_env_as_text_can_be_evaluated_by_a_shell()
    {
        Assert.SkipUnless(Environment.UserName == "root", "the sandbox script runs as root");
        var env = await CliRunner.RunAsync("sandbox", "env");

        var shell = await ProcessRunner.RunAsync("/bin/sh", "-c", env.Stdout + "\necho \"$VMETAL_HOST|$VMETAL_SANDBOX_NETNS\"");

        Assert.Equal("vmadmin@198.18.90.2|vmetal-sbx", shell.Stdout.Trim());
    }

    [Theory]
    [InlineData(FailureKind.OperationFailed, 1)]
    [InlineData(FailureKind.BadInput, 2)]
    [InlineData(FailureKind.ChecksFailed, 3)]
    [InlineData(FailureKind.Connection, 4)]
    public void Failure_kinds_map_to_the_documented_exit_codes(FailureKind kind, int exitCode)
    {
        Assert.Equal(exitCode, ExitCodes.For(kind));
    }

    [Fact]
    public void Interruptions_follow_the_shell_convention()
    {
        Assert.Equal(130, ExitCodes.ForTermination(System.Runtime.InteropServices.PosixSignal.SIGINT));
        Assert.Equal(143, ExitCodes.ForTermination(System.Runtime.InteropServices.PosixSignal.SIGTERM));
        Assert.Equal(130, ExitCodes.ForTermination(null)); // cancelled without a signal (tests, hosts)
    }
}
