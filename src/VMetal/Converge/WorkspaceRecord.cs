using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using VMetal.Hosting;

namespace VMetal.Converge;

/// <summary>
/// vmetal's note on the hypervisor of what one workspace owns there. Domains and networks also
/// carry an owner mark in their XML; volumes cannot, so this record is what proves a volume is
/// ours. It is written before objects are created (write-ahead), so an interrupted run never
/// leaves an object vmetal would not recognise as its own.
/// </summary>
public sealed record WorkspaceRecord
{
    public int Version { get; init; } = 1;

    public required string Workspace { get; init; }

    public string Prefix { get; init; } = "";

    public int NetOctet { get; init; }

    public int DataNetOctet { get; init; }

    public string PoolName { get; init; } = "";

    /// <summary>Owned networks and the spec hash each was defined with (for hosts that drop network metadata).</summary>
    public SortedDictionary<string, string> Networks { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Owned volumes (in <see cref="PoolName"/>) and their spec hashes.</summary>
    public SortedDictionary<string, string> Volumes { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Owned domains (their XML carries the authoritative mark; kept here for cleanup and humans).</summary>
    public SortedSet<string> Domains { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Nodes taken out with remove-nodes; `up` leaves them out until restored.</summary>
    public SortedSet<string> RemovedNodes { get; init; } = new(StringComparer.Ordinal);

    public DateTimeOffset UpdatedAt { get; init; }

    public bool OwnsNothing => Networks.Count == 0 && Volumes.Count == 0 && Domains.Count == 0;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private static readonly Regex ValidName = new("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant);

    /// <summary>Workspace names become file names on the host: letters, digits, '.', '_' and '-'.</summary>
    public static bool IsValidWorkspaceName(string name) => ValidName.IsMatch(name);
}

/// <summary>Where workspace records live; a seam so the engine runs against fakes in unit tests.</summary>
public interface IWorkspaceRecordStore
{
    Task<IReadOnlyList<WorkspaceRecord>> LoadAllAsync(CancellationToken cancellationToken);

    Task SaveAsync(WorkspaceRecord record, CancellationToken cancellationToken);

    Task DeleteAsync(string workspace, CancellationToken cancellationToken);
}

/// <summary>Records as root-only JSON files in <c>/var/lib/vmetal/workspaces</c> on the hypervisor.</summary>
public sealed class HostWorkspaceRecordStore(IHostConnection host, string directory = HostWorkspaceRecordStore.DefaultDirectory)
    : IWorkspaceRecordStore
{
    public const string DefaultDirectory = "/var/lib/vmetal/workspaces";
    private const char Separator = '\u001e';

    public async Task<IReadOnlyList<WorkspaceRecord>> LoadAllAsync(CancellationToken cancellationToken)
    {
        // Every record in one round trip.
        var result = await host.RunCheckedAsync(HostCommand.AsRoot(
            $"for f in {ShellQuote.Quote(directory)}/*.json; do [ -e \"$f\" ] || continue; printf '\\036%s\\n' \"$f\"; cat \"$f\"; done"),
            cancellationToken);
        var records = new List<WorkspaceRecord>();
        foreach (var chunk in result.Stdout.Split(Separator, StringSplitOptions.RemoveEmptyEntries))
        {
            var newline = chunk.IndexOf('\n', StringComparison.Ordinal);
            if (newline < 0)
                continue;
            var path = chunk[..newline];
            try
            {
                records.Add(JsonSerializer.Deserialize<WorkspaceRecord>(chunk[(newline + 1)..], WorkspaceRecord.Json)
                            ?? throw new JsonException("empty"));
            }
            catch (JsonException ex)
            {
                throw new VMetalException(FailureKind.OperationFailed,
                    $"workspace record {path} on {host.Target} is unreadable ({ex.Message}); fix or remove it by hand", ex);
            }
        }
        return records;
    }

    public async Task SaveAsync(WorkspaceRecord record, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(record, WorkspaceRecord.Json);
        await host.WriteFileAsync(PathOf(record.Workspace), new MemoryStream(Encoding.UTF8.GetBytes(json)),
            new FileWriteOptions { Sudo = true, Mode = Convert.ToInt32("600", 8) }, cancellationToken);
    }

    public async Task DeleteAsync(string workspace, CancellationToken cancellationToken) =>
        await host.RunCheckedAsync(HostCommand.AsRoot($"rm -f {ShellQuote.Quote(PathOf(workspace))}"), cancellationToken);

    private string PathOf(string workspace) => $"{directory}/{workspace}.json";
}
