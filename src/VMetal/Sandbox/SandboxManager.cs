using System.Diagnostics;
using System.Security.Cryptography;

namespace VMetal.Sandbox;

/// <summary>The sandbox's state as <c>status</c> reports it.</summary>
public enum SandboxState
{
    Up = 0,
    Degraded = 1,
    Down = 3,
}

/// <summary>
/// Drives the sandbox hypervisor. The work is done by a bash script shipped inside this
/// assembly (it orchestrates iproute2, nsenter, libvirtd, sshd…); this class extracts it
/// once per version and runs it as root.
/// </summary>
public sealed class SandboxManager
{
    private const string ScriptResource = "VMetal.Sandbox.sandbox.sh";

    /// <summary>Where the sandbox's state lives (keys, host keys, private file tree).</summary>
    public const string StateDirectory = "/var/lib/vmetal/sandbox";

    private const string SshdPidFile = "/run/vmetal-sandbox/sshd.pid";

    /// <summary>Output of the script's <c>env</c> command when nothing is overridden.</summary>
    public static SandboxEnvironment DefaultEnvironment { get; } = new(
        "vmadmin@198.18.90.2",
        $"{StateDirectory}/client/id_ed25519",
        $"{StateDirectory}/client/known_hosts",
        "vmetal-sbx",
        "/run/vmetal-sandbox/mnt",
        $"{StateDirectory}/fs/run-libvirt/libvirt-sock",
        $"{StateDirectory}/client/ssh_config",
        "198.18.90.2:9");

    /// <summary>
    /// A cheap probe (no process started): the sandbox's sshd is alive and the client key exists.
    /// Used to make the sandbox the default host.
    /// </summary>
    public static bool LooksUp()
    {
        try
        {
            if (!File.Exists(DefaultEnvironment.KeyPath) || !File.Exists(SshdPidFile))
                return false;
            var pid = File.ReadAllText(SshdPidFile).Trim();
            return pid.Length > 0 && Directory.Exists($"/proc/{pid}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Runs <c>sandbox.sh VERB ARGS</c>; its log lines go to <paramref name="log"/>.</summary>
    public async Task<(int ExitCode, string Stdout)> RunAsync(string verb, IReadOnlyList<string> arguments,
        Action<string> log, CancellationToken cancellationToken = default)
    {
        var script = ExtractScript();
        var startInfo = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (Environment.UserName == "root")
        {
            startInfo.FileName = "/bin/bash";
        }
        else
        {
            // Network and mount namespaces need root; sudo -n fails clearly instead of prompting.
            startInfo.FileName = "sudo";
            startInfo.ArgumentList.Add("-n");
            startInfo.ArgumentList.Add("--preserve-env=VMETAL_SANDBOX_NO_APT,VMETAL_SANDBOX_KVM");
            startInfo.ArgumentList.Add("/bin/bash");
        }
        startInfo.ArgumentList.Add(script);
        startInfo.ArgumentList.Add(verb);
        foreach (var argument in arguments)
            startInfo.ArgumentList.Add(argument);

        using var process = Process.Start(startInfo) ?? throw new VMetalException(FailureKind.OperationFailed, "could not start bash");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        string? line;
        while ((line = await process.StandardError.ReadLineAsync(cancellationToken)) is not null)
            log(line);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await stdout);
    }

    /// <summary>Writes the embedded script to a content-addressed file (readable by root only).</summary>
    public static string ExtractScript()
    {
        using var resource = typeof(SandboxManager).Assembly.GetManifestResourceStream(ScriptResource)
                             ?? throw new InvalidOperationException($"resource {ScriptResource} is missing from the build");
        using var buffer = new MemoryStream();
        resource.CopyTo(buffer);
        var content = buffer.ToArray();
        var hash = Convert.ToHexStringLower(SHA256.HashData(content))[..16];
        var directory = Path.Combine(Path.GetTempPath(), "vmetal");
        var path = Path.Combine(directory, $"sandbox-{hash}.sh");
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(directory);
            var temporary = path + "." + Environment.ProcessId;
            File.WriteAllBytes(temporary, content);
            File.Move(temporary, path, overwrite: true);
        }
        return path;
    }
}
