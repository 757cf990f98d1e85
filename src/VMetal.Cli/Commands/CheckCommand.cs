using System.CommandLine;
using Spectre.Console;
using VMetal.Cli.Options;
using VMetal.Cli.Output;
using VMetal.Hypervisor;
using VMetal.Topology;

namespace VMetal.Cli.Commands;

/// <summary>
/// <c>vmetal check</c>: is this host fit to be the lab's hypervisor? One round trip of facts,
/// judged pass/warn/fail with what was found, what is required and how to fix it. Changes nothing.
/// </summary>
public sealed class CheckCommand : CommandBase
{
    internal static readonly Option<bool> RequireKvm = new("--require-kvm")
    {
        Description = "Fail instead of warn when the host has no usable KVM (VMs would run under slow software emulation)",
    };

    internal static readonly Option<bool> MemoryOvercommit = new("--host-memory-overcommit")
    {
        Description = "Allow the topology more RAM than the host has available (a warning instead of a failure)",
    };

    public CheckCommand(CliServices services)
        : base("check", "Check that a host can be the lab's hypervisor (CPU, RAM, disk, KVM, OS, packages, sudo, libvirt); changes nothing", services)
    {
        TopologyOptions.AddTopology(this);
        Options.Add(TopologyOptions.DiskPool);
        Options.Add(RequireKvm);
        Options.Add(MemoryOvercommit);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var requirements = await RequirementsAsync(context, cancellationToken);
        await using var host = await context.ConnectAsync(cancellationToken);
        var report = await context.Output.StatusAsync($"checking {host.Target}",
            _ => HypervisorChecker.CheckAsync(host, requirements, cancellationToken));

        if (context.Output.Format == OutputFormat.Json)
            context.Output.WriteJson(new { host = report.Host, checks = report.Checks });
        else
            RenderChecks(context.Output, report);
        if (report.HasFailures)
        {
            context.Output.Error($"{Count(report, CheckStatus.Fail)} check(s) failed: {string.Join(", ", report.Checks.Where(c => c.Status == CheckStatus.Fail).Select(c => c.Id))}");
            return ExitCodes.ChecksFailed;
        }
        context.Output.Success($"{report.Host} can host the lab ({Count(report, CheckStatus.Warn)} warning(s))");
        return ExitCodes.Success;
    }

    /// <summary>The topology's needs when one is selected (--topology-nodes or --topology-file), plus the flags.</summary>
    private static async Task<CheckRequirements> RequirementsAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var selected = context.Get(TopologyOptions.Nodes) is { Length: > 0 } || context.Get(TopologyOptions.File) is { Length: > 0 };
        var requirements = selected ? CheckRequirements.For(await TopologyOptions.LoadAsync(context, cancellationToken)) : new CheckRequirements();
        return requirements with
        {
            Uefi = requirements.Uefi || context.Get(TopologyOptions.BootMode) == "uefi",
            RequireKvm = context.Get(RequireKvm),
            MemoryOvercommit = context.Get(MemoryOvercommit),
            PoolPath = context.Get(TopologyOptions.DiskPool) ?? requirements.PoolPath,
        };
    }

    internal static void RenderChecks(IConsoleOutput output, CheckReport report)
    {
        var table = new Table().Title($"checks of {Markup.Escape(report.Host)}")
            .AddColumns(new TableColumn("check").NoWrap(), new TableColumn("status").NoWrap(), new TableColumn("found"),
                new TableColumn("required"), new TableColumn("fix"));
        foreach (var check in report.Checks)
        {
            table.AddRow(Markup.Escape(check.Id), StatusMarkup(check.Status), Markup.Escape(check.Found), Markup.Escape(check.Required),
                Markup.Escape(check.Fix ?? ""));
        }
        output.Render(table);
    }

    private static string StatusMarkup(CheckStatus status) => status switch
    {
        CheckStatus.Pass => "[green]pass[/]",
        CheckStatus.Warn => "[yellow]warn[/]",
        _ => "[red]fail[/]",
    };

    private static int Count(CheckReport report, CheckStatus status) => report.Checks.Count(check => check.Status == status);
}
