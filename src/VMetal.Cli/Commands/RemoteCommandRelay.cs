using VMetal.Hosting;

namespace VMetal.Cli.Commands;

/// <summary>
/// Runs a command on a host with this process's stdin/stdout/stderr attached, like ssh(1):
/// the exit code is the remote command's.
/// </summary>
internal static class RemoteCommandRelay
{
    public static async Task<int> RunAsync(IHostConnection host, HostCommand command, CliServices services,
        CancellationToken cancellationToken)
    {
        await using var process = await host.StartAsync(command, cancellationToken);
        var stdin = ForwardStdinAsync(services.OpenStandardInput(), process.StandardInput, cancellationToken);
        int exitCode;
        try
        {
            await using (var stdout = services.OpenStandardOutput())
            {
                await process.StandardOutput.CopyToAsync(stdout, cancellationToken);
            }
            exitCode = await process.Completion.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Like ssh(1) on Ctrl+C or a CI runner's kill: the remote command stops with us.
            await process.TerminateAsync();
            throw;
        }
        await using (var stderr = services.OpenStandardError())
        await using (var writer = new StreamWriter(stderr))
        {
            await writer.WriteAsync(process.StandardErrorText);
        }
        // The remote side may finish without reading its input; do not wait for ours to end.
        await Task.WhenAny(stdin, Task.Delay(TimeSpan.FromSeconds(1), cancellationToken));
        var result = new CommandResult(exitCode, string.Empty, process.StandardErrorText);
        if (command.Sudo && SudoPasswordRequiredException.Matches(result))
            throw new SudoPasswordRequiredException(host.Target, command, result);
        return exitCode;
    }

    private static async Task ForwardStdinAsync(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        try
        {
            await source.CopyToAsync(destination, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The remote command exited before reading all of its input.
        }
        finally
        {
            await destination.DisposeAsync();
        }
    }
}
