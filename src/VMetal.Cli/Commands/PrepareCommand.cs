using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using VMetal.Cli.Options;
using VMetal.Cli.Output;
using VMetal.Hypervisor;
using VMetal.Rendering;

namespace VMetal.Cli.Commands;

/// <summary>
/// <c>vmetal prepare</c>: check, then converge the host into a hypervisor (packages, libvirt,
/// nested KVM, image pool, the stack user and its polkit rule, the workspace's SSH keys).
/// Idempotent: the second run reports every step unchanged.
/// </summary>
public sealed class PrepareCommand : CommandBase
{
    private static readonly Option<string> StackUser = new("--stack-user")
    {
        Description = "Unprivileged user that may log in with id_rsa_undercloud and manage VMs without sudo (polkit)",
        HelpName = "name",
        DefaultValueFactory = _ => "stack",
    };

    private static readonly Option<string?> Only = new("--only")
    {
        Description = $"Run only these steps (comma-separated): {string.Join(", ", HypervisorPreparer.StepNames)}",
        HelpName = "step,...",
    };

    private static readonly Option<string?> Skip = new("--skip")
    {
        Description = "Skip these steps (comma-separated)",
        HelpName = "step,...",
    };

    private static readonly Option<string?> ExtraPackages = new("--extra-packages")
    {
        Description = "More packages to install in the same package-manager call (comma-separated)",
        HelpName = "name,...",
        Hidden = true,
    };

    public PrepareCommand(CliServices services)
        : base("prepare", "Check the host, then make it a hypervisor: packages, libvirt, nested KVM, image pool, stack user + polkit, SSH keys (idempotent)", services)
    {
        Options.Add(StackUser);
        Options.Add(Only);
        Options.Add(Skip);
        Options.Add(ExtraPackages);
        Options.Add(CheckCommand.RequireKvm);
        Options.Add(TopologyOptions.DiskPool);
        Options.Add(TopologyOptions.PoolName);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var options = BuildOptions(context);
        await using var host = await context.ConnectAsync(cancellationToken);
        var stopwatch = Stopwatch.StartNew();
        var report = await context.Output.StatusAsync($"preparing {host.Target}",
            update => HypervisorPreparer.PrepareAsync(host, options, update, cancellationToken));
        var seconds = stopwatch.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);

        if (context.Output.Format == OutputFormat.Json)
        {
            context.Output.WriteJson(new { host = report.Check.Host, checks = report.Check.Checks, steps = report.Steps });
        }
        else
        {
            CheckCommand.RenderChecks(context.Output, report.Check);
            if (report.Steps.Count > 0)
                RenderSteps(context.Output, report);
        }

        if (report.StoppedByChecks)
        {
            context.Output.Error($"prepare stopped before changing anything: {string.Join("; ", report.Check.Blocking.Select(c => $"{c.Id}: {c.Found}"))}");
            return ExitCodes.ChecksFailed;
        }
        var counts = string.Join(", ", Enum.GetValues<StepStatus>()
            .Select(status => (status, count: report.Steps.Count(step => step.Status == status)))
            .Where(pair => pair.count > 0)
            .Select(pair => $"{pair.count} {pair.status.ToString().ToLowerInvariant()}"));
        if (!report.Succeeded)
        {
            context.Output.Error($"prepare failed in {seconds} s ({counts}): " +
                                 string.Join("; ", report.Steps.Where(step => step.Status == StepStatus.Failed).Select(step => $"{step.Name}: {step.Detail}")));
            return ExitCodes.OperationFailed;
        }
        context.Output.Success(report.ChangedAnything ? $"{report.Check.Host} prepared in {seconds} s ({counts})"
            : $"{report.Check.Host} was already prepared: nothing changed ({counts}, {seconds} s)");
        return ExitCodes.Success;
    }

    private static PrepareOptions BuildOptions(CommandContext context)
    {
        var only = List(context.Get(Only));
        var skip = List(context.Get(Skip));
        var unknown = only.Concat(skip).Where(step => !HypervisorPreparer.StepNames.Contains(step)).ToList();
        if (unknown.Count > 0)
            throw new UsageException($"unknown step(s) {string.Join(", ", unknown)}; the steps are {string.Join(", ", HypervisorPreparer.StepNames)}");
        if (only.Count > 0 && only.All(skip.Contains))
            throw new UsageException($"--only {string.Join(",", only)} with --skip {string.Join(",", skip)} leaves no step to run");
        var user = context.Get(StackUser) ?? "stack";
        if (user.Length == 0 || user.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')) || user[0] == '-')
            throw new UsageException($"--stack-user '{user}' is not a valid user name");
        // The undercloud key is authorised for this user and polkit lets it manage every VM: never root.
        if (user == "root")
            throw new UsageException("--stack-user root: the stack user gets the undercloud's key and libvirt rights, so it must be an ordinary user");
        return new PrepareOptions
        {
            WorkspaceDirectory = context.WorkspaceDirectory,
            UserName = user,
            PoolName = context.Get(TopologyOptions.PoolName) ?? new RenderOptions().PoolName,
            PoolPath = context.Get(TopologyOptions.DiskPool) ?? new RenderOptions().PoolPath,
            Only = only.Count > 0 ? only.ToHashSet(StringComparer.Ordinal) : null,
            Skip = skip.ToHashSet(StringComparer.Ordinal),
            ExtraPackages = List(context.Get(ExtraPackages)),
            Requirements = new CheckRequirements { RequireKvm = context.Get(CheckCommand.RequireKvm) },
        };
    }

    private static void RenderSteps(IConsoleOutput output, PrepareReport report)
    {
        var table = new Table().Title("prepare").AddColumns(new TableColumn("step").NoWrap(), new TableColumn("status").NoWrap(),
            new TableColumn("detail"), new TableColumn("time").NoWrap().RightAligned());
        foreach (var step in report.Steps)
        {
            var status = step.Status switch
            {
                StepStatus.Changed => "[yellow]changed[/]",
                StepStatus.Unchanged => "[green]unchanged[/]",
                StepStatus.Failed => "[red]failed[/]",
                _ => "[grey]skipped[/]",
            };
            var time = step.Status is StepStatus.Skipped ? "" : (step.DurationMs / 1000.0).ToString("0.0", CultureInfo.InvariantCulture) + " s";
            table.AddRow(Markup.Escape(step.Name), status, Markup.Escape(step.Detail), time);
        }
        output.Render(table);
    }

    private static List<string> List(string? commaSeparated) =>
        (commaSeparated ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
