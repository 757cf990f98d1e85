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

    /// <summary>A client killed mid-transfer looks to the remote side like input that ended early: the old file must stay.</summary>
    [Fact]
    public async Task Input_that_ends_before_its_announced_length_leaves_the_old_file_in_place()
    {
        using var directory = new TempDirectory();
        var path = directory.File("record.json");
        await File.WriteAllTextAsync(path, "{\"old\":true}", TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<HostCommandException>(() =>
            _host.WriteFileAsync(path, new EndsEarlyStream(announced: 1000, delivered: 10)));

        Assert.Contains("input ended early", error.Message, StringComparison.Ordinal);
        Assert.Equal("{\"old\":true}", await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        Assert.Single(Directory.GetFiles(directory.Path));
    }

    /// <summary>Says it holds <c>announced</c> bytes but ends after <c>delivered</c>, as a dying client's transfer does.</summary>
    private sealed class EndsEarlyStream(long announced, int delivered) : Stream
    {
        private int _sent;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => announced;
        public override long Position { get => _sent; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var chunk = Math.Min(count, delivered - _sent);
            Array.Fill(buffer, (byte)'x', offset, chunk);
            _sent += chunk;
            return chunk;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
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
