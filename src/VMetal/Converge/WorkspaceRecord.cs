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

    /// <summary>
    /// The lab's nodes in the order they joined it (removed ones keep their place): the outputs list nodes in this order, so
    /// a node type added later, or a count raised, appends instead of reordering. Empty in records of older versions.
    /// </summary>
    public IReadOnlyList<string> NodeOrder { get; init; } = [];

    /// <summary>Items in <see cref="NodeOrder"/>; those it does not name (older records) last, in the order given.</summary>
    public IReadOnlyList<T> InLabOrder<T>(IEnumerable<T> items, Func<T, string> nodeName)
    {
        var position = NodeOrder.Select((name, index) => (name, index)).ToDictionary(p => p.name, p => p.index, StringComparer.Ordinal);
        return [.. items.OrderBy(item => position.GetValueOrDefault(nodeName(item), int.MaxValue))];
    }

    public DateTimeOffset UpdatedAt { get; init; }

    public bool OwnsNothing => Networks.Count == 0 && Volumes.Count == 0 && Domains.Count == 0;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private static readonly Regex ValidName = new("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant);

    /// <summary>Workspace names become file names on the host: letters, digits, '.', '_' and '-'.</summary>
    public static bool IsValidWorkspaceName(string name) => ValidName.IsMatch(name);

    /// <exception cref="VMetalException">BadInput: the name could escape its directory or a shell.</exception>
    public static void RequireValidName(string workspace)
    {
        if (!IsValidWorkspaceName(workspace))
            throw new VMetalException(FailureKind.BadInput,
                $"workspace name '{workspace}' is not valid: use letters, digits, '.', '_' and '-' (at most 64)");
    }
}

/// <summary>A record file on the host that does not parse (edited by hand, a disk that filled up, a newer vmetal).</summary>
public sealed record UnreadableWorkspaceRecord(string Workspace, string Path, string Reason);

/// <summary>Every workspace record on a host; one unreadable record must not stop work on the others.</summary>
public sealed record WorkspaceRecordSet(IReadOnlyList<WorkspaceRecord> Records, IReadOnlyList<UnreadableWorkspaceRecord> Unreadable)
{
    public static readonly WorkspaceRecordSet Empty = new([], []);

    /// <summary>
    /// The workspace's own record (null when it has none). Its own record is what proves which
    /// volumes are its own, so an unreadable one stops the run instead of being guessed around.
    /// </summary>
    public WorkspaceRecord? Mine(string workspace, string host)
    {
        if (Unreadable.FirstOrDefault(u => u.Workspace == workspace) is { } bad)
            throw Unusable(bad, host);
        return Records.FirstOrDefault(r => r.Workspace == workspace);
    }

    /// <summary>Why a run that needs this workspace's own record cannot go on.</summary>
    public static VMetalException Unusable(UnreadableWorkspaceRecord bad, string host) => new(FailureKind.OperationFailed,
        $"the record of workspace '{bad.Workspace}' ({bad.Path} on {host}) is unreadable ({bad.Reason}); it is what proves which "
        + "disks are this workspace's. Fix the file, or run `vmetal down` (it removes the domains and networks marked as this "
        + "workspace's and sets the record aside; disks it cannot prove are left in the pool)");

    /// <summary>One warning per unreadable record of another workspace.</summary>
    public IEnumerable<string> WarningsForOthers(string workspace) => Unreadable.Where(u => u.Workspace != workspace)
        .Select(u => $"workspace record {u.Path} is unreadable ({u.Reason}); workspace '{u.Workspace}' is ignored by this run");
}

/// <summary>Where workspace records live; a seam so the engine runs against fakes in unit tests.</summary>
public interface IWorkspaceRecordStore
{
    Task<WorkspaceRecordSet> LoadAllAsync(CancellationToken cancellationToken);

    /// <summary>Renames an unreadable record out of the way (kept for a human to look at), so later runs start clean.</summary>
    Task SetAsideAsync(UnreadableWorkspaceRecord record, CancellationToken cancellationToken);

    Task SaveAsync(WorkspaceRecord record, CancellationToken cancellationToken);

    Task DeleteAsync(string workspace, CancellationToken cancellationToken);
}

/// <summary>Records as root-only JSON files in <c>/var/lib/vmetal/workspaces</c> on the hypervisor.</summary>
public sealed class HostWorkspaceRecordStore(IHostConnection host, string directory = HostWorkspaceRecordStore.DefaultDirectory)
    : IWorkspaceRecordStore
{
    public const string DefaultDirectory = "/var/lib/vmetal/workspaces";
    private const char Separator = '\u001e';

    public async Task<WorkspaceRecordSet> LoadAllAsync(CancellationToken cancellationToken)
    {
        // Every record in one round trip.
        var result = await host.RunCheckedAsync(HostCommand.AsRoot(
            $"for f in {ShellQuote.Quote(directory)}/*.json; do [ -e \"$f\" ] || continue; printf '\\036%s\\n' \"$f\"; cat \"$f\"; done"),
            cancellationToken);
        var records = new List<WorkspaceRecord>();
        var unreadable = new List<UnreadableWorkspaceRecord>();
        foreach (var chunk in result.Stdout.Split(Separator, StringSplitOptions.RemoveEmptyEntries))
        {
            var newline = chunk.IndexOf('\n', StringComparison.Ordinal);
            if (newline < 0)
                continue;
            var path = chunk[..newline];
            var workspace = System.IO.Path.GetFileNameWithoutExtension(path);
            try
            {
                var record = JsonSerializer.Deserialize<WorkspaceRecord>(chunk[(newline + 1)..], WorkspaceRecord.Json)
                             ?? throw new JsonException("the file holds null");
                if (record.Workspace != workspace)
                    throw new JsonException($"it names workspace '{record.Workspace}'");
                records.Add(record);
            }
            catch (JsonException ex)
            {
                unreadable.Add(new UnreadableWorkspaceRecord(workspace, path, FirstLine(ex.Message)));
            }
        }
        return new WorkspaceRecordSet(records, unreadable);
    }

    public async Task SetAsideAsync(UnreadableWorkspaceRecord record, CancellationToken cancellationToken)
    {
        var aside = $"{record.Path}.unreadable-{DateTimeOffset.UtcNow:yyyyMMddTHHmmssZ}";
        await host.RunCheckedAsync(HostCommand.AsRoot($"mv -f {ShellQuote.Quote(record.Path)} {ShellQuote.Quote(aside)}"), cancellationToken);
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

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
