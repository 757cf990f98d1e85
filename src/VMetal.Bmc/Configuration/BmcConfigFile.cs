using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace VMetal.Bmc.Configuration;

/// <summary>Reads, checks and writes BMC configuration files (one JSON file per workspace).</summary>
public static partial class BmcConfigFile
{
    /// <summary>The conventional directory on a hypervisor.</summary>
    public const string DefaultDirectory = "/etc/vmetal/bmc";

    public static string Serialize(BmcWorkspaceConfig config) => JsonSerializer.Serialize(config, BmcConfigJsonContext.Default.BmcWorkspaceConfig);

    /// <exception cref="BmcConfigException">The text is not JSON of the right shape, or a value is invalid.</exception>
    public static BmcWorkspaceConfig Deserialize(string json, string source)
    {
        BmcWorkspaceConfig? config;
        try
        {
            config = JsonSerializer.Deserialize(json, BmcConfigJsonContext.Default.BmcWorkspaceConfig);
        }
        catch (JsonException error)
        {
            throw new BmcConfigException($"{source}: {error.Message}");
        }

        if (config is null)
        {
            throw new BmcConfigException($"{source}: the file holds no configuration");
        }

        var problems = Check(config).ToList();
        return problems.Count == 0 ? config : throw new BmcConfigException(string.Join(Environment.NewLine, problems.Select(p => $"{source}: {p}")));
    }

    /// <summary>Writes the file atomically with mode 0600 (owner only), since it holds the password.</summary>
    /// <exception cref="BmcConfigException">The configuration is invalid; nothing is written.</exception>
    public static void Write(string path, BmcWorkspaceConfig config)
    {
        var problems = Check(config).ToList();
        if (problems.Count > 0)
        {
            throw new BmcConfigException(string.Join(Environment.NewLine, problems));
        }

        OwnerOnlyFile.Write(path, Encoding.UTF8.GetBytes(Serialize(config)));
    }

    /// <summary>The file name a workspace's configuration goes to in the configuration directory.</summary>
    public static string FileName(string workspace) => $"{workspace}.json";

    /// <summary>
    /// Loads one file, or every <c>*.json</c> file of a directory, and checks them together (names, machines
    /// and IPMI ports must not collide across workspaces).
    /// </summary>
    /// <exception cref="BmcConfigException">Anything is missing, unreadable or invalid; the message lists every problem.</exception>
    public static IReadOnlyList<BmcWorkspaceConfig> Load(string path)
    {
        var workspaces = new List<BmcWorkspaceConfig>();
        foreach (var file in Files(path))
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                throw new BmcConfigException($"{file}: {error.Message}");
            }

            workspaces.Add(Deserialize(text, file));
        }

        var problems = CheckTogether(workspaces).ToList();
        return problems.Count == 0 ? workspaces : throw new BmcConfigException(string.Join(Environment.NewLine, problems));
    }

    /// <summary>The configuration files at <paramref name="path"/>: the file itself, or a directory's <c>*.json</c> files (hidden ones skipped).</summary>
    /// <exception cref="BmcConfigException">Nothing exists at the path.</exception>
    public static IReadOnlyList<string> Files(string path)
    {
        if (Directory.Exists(path))
        {
            return [.. Directory.EnumerateFiles(path, "*.json").Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal)];
        }

        return File.Exists(path) ? [path] : throw new BmcConfigException($"{path}: no such file or directory");
    }

    /// <summary>Whether others than the owner may read the file (they should not: it holds a password).</summary>
    public static bool IsReadableByOthers(string file) =>
        !OperatingSystem.IsWindows() && (File.GetUnixFileMode(file) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0;

    private static IEnumerable<string> Check(BmcWorkspaceConfig config)
    {
        if (config.Version != BmcWorkspaceConfig.CurrentVersion)
        {
            yield return $"version: {config.Version} is not supported (expected {BmcWorkspaceConfig.CurrentVersion})";
        }

        if (config.Workspace is null || !WorkspaceName().IsMatch(config.Workspace))
        {
            yield return $"workspace: \"{config.Workspace}\" must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit";
        }

        foreach (var problem in CheckCredentials(config.Credentials))
        {
            yield return problem;
        }

        if (config.Ipmi is not null && !IPAddress.TryParse(config.Ipmi.Address, out _))
        {
            yield return $"ipmi.address: \"{config.Ipmi.Address}\" is not an IP address";
        }

        if (config.Redfish is { } redfish)
        {
            if (!IPAddress.TryParse(redfish.Address, out _))
            {
                yield return $"redfish.address: \"{redfish.Address}\" is not an IP address";
            }

            if (redfish.Port is < 1 or > 65535)
            {
                yield return $"redfish.port: {redfish.Port} is not a port (1-65535)";
            }

            if (redfish.CertificateKeyFile is not null && redfish.CertificateFile is null)
            {
                yield return "redfish.certificateKeyFile: given without certificateFile";
            }
        }

        foreach (var problem in CheckMachines(config))
        {
            yield return problem;
        }
    }

    private static IEnumerable<string> CheckCredentials(BmcCredentials? credentials)
    {
        if (credentials is null)
        {
            yield return "credentials: missing";
            yield break;
        }

        var userLength = Encoding.UTF8.GetByteCount(credentials.Username ?? string.Empty);
        if (userLength is < 1 or > 16 || credentials.Username!.Contains(':', StringComparison.Ordinal) || credentials.Username.Any(char.IsControl))
        {
            yield return "credentials.username: must be 1 to 16 bytes without ':' or control characters";
        }

        // Never echo the password itself.
        if (Encoding.UTF8.GetByteCount(credentials.Password ?? string.Empty) is < 8 or > 20)
        {
            yield return "credentials.password: must be 8 to 20 bytes";
        }
    }

    private static IEnumerable<string> CheckMachines(BmcWorkspaceConfig config)
    {
        foreach (var (machine, index) in (config.Machines ?? []).Select((m, i) => (m, i)))
        {
            if (machine.Uuid == Guid.Empty)
            {
                yield return $"machines[{index}].uuid: missing";
            }

            if (string.IsNullOrWhiteSpace(machine.Name))
            {
                yield return $"machines[{index}].name: missing";
            }

            if (config.Ipmi is not null && machine.IpmiPort is not (>= 1 and <= 65535))
            {
                yield return $"machines[{index}].ipmiPort: {machine.IpmiPort?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "missing"} is not a port (1-65535)";
            }
        }

        foreach (var duplicate in (config.Machines ?? []).GroupBy(m => m.Uuid).Where(g => g.Count() > 1))
        {
            yield return $"machines: uuid {duplicate.Key} appears {duplicate.Count()} times";
        }
    }

    private static IEnumerable<string> CheckTogether(List<BmcWorkspaceConfig> workspaces)
    {
        foreach (var duplicate in workspaces.GroupBy(w => w.Workspace, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            yield return $"workspace \"{duplicate.Key}\" is configured {duplicate.Count()} times";
        }

        foreach (var duplicate in workspaces.SelectMany(w => w.Machines.Select(m => (w.Workspace, m.Uuid))).GroupBy(x => x.Uuid).Where(g => g.Count() > 1))
        {
            yield return $"machine {duplicate.Key} is in more than one workspace: {string.Join(", ", duplicate.Select(x => x.Workspace))}";
        }

        var ipmiEndPoints = workspaces.Where(w => w.Ipmi is not null)
            .SelectMany(w => w.Machines.Select(m => (Key: $"{IPAddress.Parse(w.Ipmi!.Address)}:{m.IpmiPort}", Owner: $"{w.Workspace}/{m.Name}")));
        foreach (var duplicate in ipmiEndPoints.GroupBy(x => x.Key).Where(g => g.Count() > 1))
        {
            yield return $"IPMI endpoint {duplicate.Key} is given to more than one machine: {string.Join(", ", duplicate.Select(x => x.Owner))}";
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex WorkspaceName();
}

/// <summary>A configuration that cannot be used; the message says where and why (never the password).</summary>
public sealed class BmcConfigException(string message) : Exception(message);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = JsonCommentHandling.Skip)]
[JsonSerializable(typeof(BmcWorkspaceConfig))]
internal sealed partial class BmcConfigJsonContext : JsonSerializerContext;
