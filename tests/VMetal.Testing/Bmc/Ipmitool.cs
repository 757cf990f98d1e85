using System.Net;

namespace VMetal.Testing.Bmc;

/// <summary>The real <c>ipmitool</c> over IPMI 2.0 ("lanplus"), as Ironic runs it.</summary>
public sealed record Ipmitool(IPEndPoint Bmc, string UserName, string Password, int? CipherSuite = null)
{
    public static bool IsInstalled => File.Exists("/usr/bin/ipmitool");

    /// <summary>Runs one ipmitool command such as <c>"power status"</c> (split at spaces); a 2 s timeout with 2 retries keeps failures quick.</summary>
    public Task<ToolResult> RunAsync(string command)
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
        return ExternalTool.RunAsync("/usr/bin/ipmitool", arguments);
    }
}
