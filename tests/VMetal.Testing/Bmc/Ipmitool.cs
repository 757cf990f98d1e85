using System.Net;

namespace VMetal.Testing.Bmc;

/// <summary>The real <c>ipmitool</c> over IPMI 2.0 ("lanplus"), as Ironic runs it.</summary>
public sealed record Ipmitool(IPEndPoint Bmc, string UserName, string Password, int? CipherSuite = null)
{
    public static bool IsInstalled => File.Exists("/usr/bin/ipmitool");

    /// <summary>Asserts that a command succeeded and printed <paramref name="expected"/> (ipmitool's own wording).</summary>
    public static void AssertSays(ProcessResult result, string expected) =>
        Xunit.Assert.True(result.ExitCode == 0 && result.Stdout.Contains(expected, StringComparison.Ordinal), $"expected \"{expected}\" from {result}");

    /// <summary>Runs one ipmitool command such as <c>"power status"</c> (split at spaces); a 2 s timeout with 2 retries keeps failures quick.</summary>
    public Task<ProcessResult> RunAsync(string command) =>
        ProcessRunner.RunAsync("/usr/bin/ipmitool", Arguments(command), timeout: TimeSpan.FromSeconds(60));

    /// <summary>
    /// Starts <c>sol activate</c> (the session stays open until <see cref="IpmitoolSol.QuitAsync"/>). Unbuffered: into a pipe,
    /// ipmitool's banner would otherwise wait in its stdio buffer for the first console output.
    /// </summary>
    public IpmitoolSol StartSol() => IpmitoolSol.Start("stdbuf", ["-o0", "/usr/bin/ipmitool", .. Arguments("sol activate")]);

    /// <summary>The command line for <paramref name="command"/>: lanplus, this BMC and user, 2 s timeout, 2 retries.</summary>
    public List<string> Arguments(string command)
    {
        List<string> arguments =
        [
            "-I", "lanplus", "-H", Bmc.Address.ToString(), "-p", Bmc.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-U", UserName, "-P", Password, "-N", "2", "-R", "2",
        ];
        if (CipherSuite is { } suite)
        {
            arguments.AddRange(["-C", suite.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        arguments.AddRange(command.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return arguments;
    }
}
