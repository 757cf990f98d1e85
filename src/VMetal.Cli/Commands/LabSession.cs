using System.CommandLine;
using Spectre.Console;
using VMetal.Cli.Output;
using VMetal.Converge;
using VMetal.Hosting;
using VMetal.Libvirt;

namespace VMetal.Cli.Commands;

/// <summary>
/// What the lab commands (plan, up, status, down, cleanup, remove-nodes) share: one host
/// connection carrying shell and libvirt, the engine over it, and console progress.
/// </summary>
internal sealed class LabSession : IAsyncDisposable
{
    public static readonly Option<bool> NoWait = new("--no-wait")
    {
        Description = "Fail at once if another vmetal run holds the hypervisor's lock (default: wait for it)",
    };

    /// <summary>`--prefix` of the commands that work on a workspace's lab (status, down, remove-nodes): a check, not a selector.</summary>
    public static readonly Option<string?> LabPrefix = new("--prefix")
    {
        Description = "The lab's prefix as given to up (infrared jobs pass it with --kill): checked against the workspace's lab, another prefix is refused",
        HelpName = "prefix",
    };

    private readonly Func<CancellationToken, Task<IAsyncDisposable>> _acquireLock;

    private LabSession(IHostConnection host, LibvirtClient libvirt, Func<CancellationToken, Task<IAsyncDisposable>> acquireLock)
    {
        Host = host;
        Libvirt = libvirt;
        _acquireLock = acquireLock;
        Hypervisor = new LibvirtHypervisor(libvirt);
        Engine = new ConvergeEngine(Hypervisor, new HostWorkspaceRecordStore(host), acquireLock);
    }

    public IHostConnection Host { get; }

    public LibvirtClient Libvirt { get; }

    /// <summary>libvirt seen through the engine's port, for work beside the engine (the image cache).</summary>
    public IHypervisor Hypervisor { get; }

    public ConvergeEngine Engine { get; }

    /// <summary>The hypervisor's run lock (waits, or fails with --no-wait), for work outside the engine.</summary>
    public Task<IAsyncDisposable> LockAsync(CancellationToken cancellationToken) => _acquireLock(cancellationToken);

    /// <param name="beforeLibvirt">Runs on the host connection before libvirt is opened (prepare may install it).</param>
    public static async Task<LabSession> OpenAsync(CommandContext context, CancellationToken cancellationToken,
        Func<IHostConnection, Task>? beforeLibvirt = null)
    {
        var host = await context.ConnectAsync(cancellationToken);
        try
        {
            if (beforeLibvirt is not null)
                await beforeLibvirt(host);
            var libvirt = await HostLibvirt.ConnectAsync(host, LibvirtAccess.Root, cancellationToken);
            var wait = context.ParseResult.GetResult(NoWait) is null || !context.Get(NoWait);
            var owner = $"{Environment.UserName}@{Environment.MachineName} pid {Environment.ProcessId} workspace {context.WorkspaceName} since {DateTimeOffset.UtcNow:u}";
            return new LabSession(host, libvirt, async token => await HostLock.AcquireAsync(host, owner, wait,
                holder => context.Output.Info($"waiting for another vmetal run on {host.Target} ({holder})"), token));
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Libvirt.DisposeAsync();
        await Host.DisposeAsync();
    }

    /// <summary>Plan tables for humans: one line per change that does something, then the count of unchanged objects.</summary>
    public static void RenderPlan(IConsoleOutput output, Plan plan, bool showUnchanged)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumn("action").AddColumn("kind").AddColumn("name").AddColumn("why");
        foreach (var change in plan.Changes.Where(c => showUnchanged || c.Action != ChangeAction.Unchanged))
            table.AddRow(Colour(change.Action), change.Kind.ToString().ToLowerInvariant(), Markup.Escape(change.Name), Markup.Escape(change.Reason));
        if (table.Rows.Count > 0)
            output.Render(table);
        output.Info(plan.IsNoOp ? $"no changes: {plan.Changes.Count} objects up to date" : plan.Summary);
    }

    /// <param name="bmc">What `up` would deploy as BMCs (plan only).</param>
    /// <param name="ignored">Options given that only `up` acts on (plan only).</param>
    public static object PlanJson(Plan plan, object? bmc = null, IReadOnlyList<string>? ignored = null) => new
    {
        changes = ChangesJson(plan),
        summary = SummaryJson(plan),
        warnings = plan.Warnings,
        bmc,
        ignored,
    };

    /// <summary>
    /// `up -o json`: the plan's keys (changes, summary, warnings) at the top level, as `plan` and the teardown commands
    /// print them, then what up did: applied, bmc (its steps and endpoints), outputs.
    /// </summary>
    public static object UpJson(string workspace, Plan plan, IEnumerable<AppliedChange> applied, IEnumerable<Deployment.BmcStep> bmcSteps,
        IEnumerable<Bmc.Configuration.BmcNodeEndpoint> bmcs, IReadOnlyList<string> outputs) => new
    {
        workspace,
        changes = ChangesJson(plan),
        summary = SummaryJson(plan),
        warnings = plan.Warnings,
        applied = applied.Select(a => new { kind = a.Change.Kind, name = a.Change.Name, action = a.Change.Action, ms = (int)a.Elapsed.TotalMilliseconds }),
        bmc = new { steps = BmcStepsJson(bmcSteps), nodes = BmcNodesJson(bmcs) },
        outputs,
    };

    /// <summary>How many changes of each action a plan has.</summary>
    private static object SummaryJson(Plan plan) => new
    {
        create = plan.Count(ChangeAction.Create),
        update = plan.Count(ChangeAction.Update),
        replace = plan.Count(ChangeAction.Replace),
        delete = plan.Count(ChangeAction.Delete),
        unchanged = plan.Count(ChangeAction.Unchanged),
    };

    /// <summary>What up or down did to the virtual BMCs: name, status (changed/unchanged), detail.</summary>
    public static IEnumerable<object> BmcStepsJson(IEnumerable<Deployment.BmcStep> steps) =>
        steps.Select(s => new { name = s.Name, status = s.Changed ? "changed" : "unchanged", detail = s.Detail });

    /// <summary>
    /// `up`'s BMC endpoints as fields (absent when the protocol is not served). The password is left out of stdout, which CI jobs log:
    /// it is in nodes.json and instackenv.json.
    /// </summary>
    public static IEnumerable<object> BmcNodesJson(IEnumerable<Bmc.Configuration.BmcNodeEndpoint> endpoints) =>
        endpoints.Select(b => new
        {
            name = b.Name,
            uuid = b.SystemUuid,
            username = b.Username,
            ipmiAddress = b.IpmiAddress,
            ipmiPort = b.IpmiPort,
            redfishAddress = b.RedfishAddress?.GetLeftPart(UriPartial.Authority),
            redfishSystemId = b.RedfishSystemId,
        });

    /// <summary>One JSON object per change: kind, name, action, reason, and for a redefinition the fields that differ.</summary>
    public static IEnumerable<object> ChangesJson(Plan plan) =>
        plan.Changes.Select(c => new { kind = c.Kind, name = c.Name, action = c.Action, reason = c.Reason, changed = c.Fields.Count > 0 ? c.Fields : null });

    private static string Colour(ChangeAction action) => action switch
    {
        ChangeAction.Create => "[green]create[/]",
        ChangeAction.Update => "[yellow]update[/]",
        ChangeAction.Replace => "[darkorange]replace[/]",
        ChangeAction.Delete => "[red]delete[/]",
        _ => "[grey]unchanged[/]",
    };
}

/// <summary>Shows a run's progress on the console.</summary>
internal sealed class ConsoleProgress(IConsoleOutput output, bool showPlan) : IConvergeProgress
{
    public void Status(string message) => output.Detail(message);

    public void Warning(string message) => output.Warning(message);

    public void Planned(Plan plan)
    {
        if (showPlan)
            LabSession.RenderPlan(output, plan, output.Verbose);
    }

    public void Applied(AppliedChange change)
    {
        if (change.Error is { } error)
            output.Error($"{change.Change.Action.ToString().ToLowerInvariant()} {change.Change.Kind.ToString().ToLowerInvariant()} {change.Change.Name}: {error.Message}");
        else
            output.Detail($"{change.Change.Action.ToString().ToLowerInvariant()} {change.Change.Kind.ToString().ToLowerInvariant()} {change.Change.Name} ({change.Elapsed.TotalMilliseconds:0} ms)");
    }
}
