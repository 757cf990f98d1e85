using System.Collections.Concurrent;
using VMetal.Topology;

namespace VMetal.Converge;

/// <summary>One applied change, reported while the plan runs.</summary>
public sealed record AppliedChange(PlannedChange Change, TimeSpan Elapsed, Exception? Error);

/// <summary>Some changes failed; the others were applied and recorded, and the next run completes the rest.</summary>
public sealed class ApplyFailedException(IReadOnlyList<AppliedChange> failures)
    : VMetalException(FailureKind.OperationFailed,
        $"{failures.Count} change(s) failed: " + string.Join("; ", failures.Select(f => $"{f.Change.Kind} {f.Change.Name}: {f.Error!.Message}")) +
        ". Re-run to converge the rest.")
{
    public IReadOnlyList<AppliedChange> Failures { get; } = failures;
}

/// <summary>
/// Applies a <see cref="Plan"/> in dependency order: removals of domains before the disks and
/// networks they use; networks and disks before the domains that need them; starts last.
/// Independent changes of one phase run concurrently (bounded). The workspace record is written
/// before anything is created (so an interrupted run leaves nothing unowned) and after the run.
/// </summary>
public sealed class PlanExecutor(IHypervisor hypervisor, IWorkspaceRecordStore records, int maxParallel = 8)
{
    public async Task<WorkspaceRecord> ApplyAsync(Plan plan, WorkspaceRecord record, string poolName,
        Action<AppliedChange>? progress = null, CancellationToken cancellationToken = default)
    {
        var ledger = new Ledger(record);
        var failures = new ConcurrentBag<AppliedChange>();
        var pool = poolName;

        // Write-ahead: everything we may create is owned before it exists.
        ledger.Claim(plan);
        await records.SaveAsync(ledger.Snapshot(), cancellationToken);

        async Task Phase(IEnumerable<PlannedChange> changes, Func<PlannedChange, Task> apply)
        {
            var list = changes.ToList();
            await Parallel.ForEachAsync(list, new ParallelOptions { MaxDegreeOfParallelism = maxParallel, CancellationToken = cancellationToken },
                async (change, _) =>
                {
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    try
                    {
                        await apply(change);
                        progress?.Invoke(new AppliedChange(change, clock.Elapsed, null));
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        var failure = new AppliedChange(change, clock.Elapsed, ex);
                        failures.Add(failure);
                        progress?.Invoke(failure);
                    }
                });
        }

        IEnumerable<PlannedChange> Select(ResourceKind kind, params ChangeAction[] actions) => plan.Of(kind, actions);

        IEnumerable<(PlannedChange Change, DomainWork Work)> DomainWorkItems() =>
            plan.Changes.Where(change => change.Subject is DomainWork).Select(change => (change, (DomainWork)change.Subject!));

        try
        {
            await Phase(Select(ResourceKind.Pool, ChangeAction.Create, ChangeAction.Update), async change =>
            {
                if (change.Action == ChangeAction.Create)
                    pool = await hypervisor.CreatePoolAsync((string)change.Subject!, cancellationToken);
                else
                    await hypervisor.StartPoolAsync(change.Name, cancellationToken);
            });
            Stop();

            // Domains go first, so nothing uses the disks and networks removed after them.
            await Phase(Select(ResourceKind.Domain, ChangeAction.Delete, ChangeAction.Replace), async change =>
            {
                await hypervisor.DeleteDomainAsync(change.Name, cancellationToken);
                if (change.Action == ChangeAction.Delete)
                    ledger.Release(ResourceKind.Domain, change.Name);
            });
            Stop();

            await Phase(Select(ResourceKind.Volume, ChangeAction.Delete, ChangeAction.Replace)
                .Concat(Select(ResourceKind.Network, ChangeAction.Delete, ChangeAction.Replace))
                .Concat(Select(ResourceKind.DhcpHost, ChangeAction.Delete, ChangeAction.Replace)), async change =>
            {
                switch (change.Kind)
                {
                    case ResourceKind.Volume:
                        await hypervisor.DeleteVolumeAsync(pool, change.Name, cancellationToken);
                        if (change.Action == ChangeAction.Delete)
                            ledger.Release(ResourceKind.Volume, change.Name);
                        break;
                    case ResourceKind.Network:
                        await hypervisor.DeleteNetworkAsync(change.Name, cancellationToken);
                        if (change.Action == ChangeAction.Delete)
                            ledger.Release(ResourceKind.Network, change.Name);
                        break;
                    default:
                        var (network, stale) = StaleLease(change);
                        await hypervisor.RemoveDhcpHostAsync(network, stale, cancellationToken);
                        break;
                }
            });
            Stop();

            await Phase(Select(ResourceKind.Network, ChangeAction.Create, ChangeAction.Replace, ChangeAction.Update)
                .Concat(Select(ResourceKind.Volume, ChangeAction.Create, ChangeAction.Replace, ChangeAction.Update)), async change =>
            {
                if (change.Subject is NetworkWork work)
                {
                    if (work.Define)
                        await hypervisor.DefineNetworkAsync(work.Network.Xml, cancellationToken);
                    if (work.Start)
                        await hypervisor.StartNetworkAsync(work.Network.Name, cancellationToken);
                    if (work.Autostart)
                        await hypervisor.SetNetworkAutostartAsync(work.Network.Name, cancellationToken);
                }
                else
                {
                    var volume = (DesiredVolume)change.Subject!;
                    if (change.Action == ChangeAction.Update)
                        await hypervisor.ResizeVolumeAsync(pool, volume.Name, volume.CapacityBytes, cancellationToken);
                    else
                    {
                        await hypervisor.CreateVolumeAsync(pool, volume.Xml, volume.Flags, cancellationToken);
                        if (volume.Content is { } content)
                            await hypervisor.UploadVolumeAsync(pool, volume.Name, content, cancellationToken);
                    }
                }
            });
            Stop();

            await Phase(Select(ResourceKind.DhcpHost, ChangeAction.Create, ChangeAction.Replace), async change =>
            {
                var (network, host) = NewLease(change);
                await hypervisor.AddDhcpHostAsync(network, host, cancellationToken);
            });
            Stop();

            await Phase(DomainWorkItems().Where(item => item.Work.Define).Select(item => item.Change),
                change => hypervisor.DefineDomainAsync(((DomainWork)change.Subject!).Domain.Xml, cancellationToken));
            Stop();

            // Starting is the slow part (QEMU start-up); many at once beat one after another.
            await Phase(DomainWorkItems().Where(item => item.Work.Start).Select(item => item.Change),
                change => hypervisor.StartDomainAsync(change.Name, cancellationToken));
            Stop();
        }
        finally
        {
            await records.SaveAsync(ledger.Snapshot(), CancellationToken.None);
        }
        return ledger.Snapshot();

        void Stop()
        {
            if (!failures.IsEmpty)
                throw new ApplyFailedException(failures.ToList());
        }
    }

    private static (string Network, DhcpHost Host) NewLease(PlannedChange change) => change.Subject switch
    {
        ValueTuple<string, DhcpHost> lease => lease,
        ValueTuple<string, DhcpHost, DhcpHost> replacement => (replacement.Item1, replacement.Item2),
        _ => throw new InvalidOperationException($"unexpected subject for {change}"),
    };

    private static (string Network, DhcpHost Host) StaleLease(PlannedChange change) => change.Subject switch
    {
        ValueTuple<string, DhcpHost> lease => lease,
        ValueTuple<string, DhcpHost, DhcpHost> replacement => (replacement.Item1, replacement.Item3),
        _ => throw new InvalidOperationException($"unexpected subject for {change}"),
    };

    /// <summary>The workspace record as the run changes it (thread-safe).</summary>
    private sealed class Ledger(WorkspaceRecord record)
    {
        private readonly object _lock = new();
        private readonly SortedDictionary<string, string> _networks = new(record.Networks, StringComparer.Ordinal);
        private readonly SortedDictionary<string, string> _volumes = new(record.Volumes, StringComparer.Ordinal);
        private readonly SortedSet<string> _domains = new(record.Domains, StringComparer.Ordinal);

        public void Claim(Plan plan)
        {
            lock (_lock)
            {
                foreach (var change in plan.Changes)
                {
                    switch (change.Subject)
                    {
                        case NetworkWork work:
                            _networks[work.Network.Name] = work.Network.SpecHash;
                            break;
                        case DesiredNetwork network:
                            _networks[network.Name] = network.SpecHash;
                            break;
                        case DesiredVolume volume:
                            _volumes[volume.Name] = volume.SpecHash;
                            break;
                        case DomainWork work:
                            _domains.Add(work.Domain.Name);
                            break;
                        case DesiredDomain domain:
                            _domains.Add(domain.Name);
                            break;
                    }
                }
            }
        }

        public void Release(ResourceKind kind, string name)
        {
            lock (_lock)
            {
                _ = kind switch
                {
                    ResourceKind.Network => _networks.Remove(name),
                    ResourceKind.Volume => _volumes.Remove(name),
                    ResourceKind.Domain => _domains.Remove(name),
                    _ => false,
                };
            }
        }

        public WorkspaceRecord Snapshot()
        {
            lock (_lock)
            {
                return record with
                {
                    Networks = new SortedDictionary<string, string>(_networks, StringComparer.Ordinal),
                    Volumes = new SortedDictionary<string, string>(_volumes, StringComparer.Ordinal),
                    Domains = new SortedSet<string>(_domains, StringComparer.Ordinal),
                    UpdatedAt = DateTimeOffset.UtcNow,
                };
            }
        }
    }
}
