using System.Diagnostics;

namespace VMetal.Testing.Bmc;

/// <summary>What a finished external client printed and returned.</summary>
public sealed record ToolResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Output}\nstderr: {Error}";
}

/// <summary>Runs a real client program (ipmitool, python3) to completion, with an optional stdin text.</summary>
public static class ExternalTool
{
    /// <param name="unsetEnvironment">Variables the child must not inherit.</param>
    public static async Task<ToolResult> RunAsync(string program, IEnumerable<string> arguments, string? standardInput = null,
        TimeSpan? timeout = null, IEnumerable<string>? unsetEnvironment = null, CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in unsetEnvironment ?? [])
        {
            start.Environment.Remove(name);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout ?? TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(limit.Token);
        var error = process.StandardError.ReadToEndAsync(limit.Token);
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput.AsMemory(), limit.Token);
        }

        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish in time");
        }

        return new ToolResult(process.ExitCode, (await output).Trim(), (await error).Trim());
    }
}
