using System.Security.Cryptography;
using VMetal.Hosting;
using VMetal.Testing;

namespace VMetal.Tests.Hosting;

/// <summary>The local host runs real /bin/sh processes; file helpers work on it like on SSH hosts.</summary>
public sealed class LocalHostConnectionTests
{
    private readonly LocalHostConnection _host = new();

    [Fact]
    public async Task Runs_a_command_with_stdin_and_reports_output_and_exit_code()
    {
        var result = await _host.RunAsync(HostCommand.Of("tr a-z A-Z; echo oops >&2; exit 5").WithStdin("hello"));

        Assert.Equal(new CommandResult(5, "HELLO", "oops\n"), result);
        Assert.False(result.Succeeded);
        Assert.Throws<HostCommandException>(() => result.EnsureSuccess(HostCommand.Of("x"), _host.Target));
    }

    [Fact]
    public async Task Timeout_kills_the_command()
    {
        var error = await Assert.ThrowsAsync<HostCommandTimeoutException>(() =>
            _host.RunAsync(new HostCommand("sleep 30") { Timeout = TimeSpan.FromMilliseconds(300) }));

        Assert.Contains("sleep 30", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sudo_as_root_runs_directly()
    {
        Assert.SkipUnless(_host.IsRoot, "needs root");

        var result = await _host.RunAsync(HostCommand.AsRoot("id -u"));

        Assert.Equal("0", result.Stdout.Trim());
    }

    [Fact]
    public async Task Files_round_trip_with_mode_through_the_command_channel()
    {
        using var directory = new TempDirectory();
        var path = directory.File("nested/dir/file.bin");
        var content = RandomNumberGenerator.GetBytes(300_000);

        await _host.WriteFileAsync(path, new MemoryStream(content), new FileWriteOptions { Mode = Convert.ToInt32("600", 8) });

        Assert.Equal(content, await File.ReadAllBytesAsync(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(content, await _host.ReadFileAsync(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public async Task Reading_a_missing_file_fails_with_the_command_error()
    {
        var error = await Assert.ThrowsAsync<HostCommandException>(() => _host.ReadFileAsync("/nonexistent/vmetal"));

        Assert.Contains("No such file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sudo_password_prompt_is_recognised()
    {
        var result = new CommandResult(1, string.Empty, "sudo: a password is required\n");

        Assert.True(SudoPasswordRequiredException.Matches(result));
        Assert.False(SudoPasswordRequiredException.Matches(result with { ExitCode = 0 }));
        Assert.False(SudoPasswordRequiredException.Matches(new CommandResult(1, string.Empty, "permission denied")));
        await Task.CompletedTask;
    }
}
