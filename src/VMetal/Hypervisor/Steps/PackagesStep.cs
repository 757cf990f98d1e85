using VMetal.Hosting;

namespace VMetal.Hypervisor.Steps;

/// <summary>
/// Installs the family's missing packages (plus any extras) in one package-manager transaction,
/// then asks the package database again: yum, for one, exits 0 when some names were not found.
/// </summary>
internal sealed class PackagesStep : PrepareStep
{
    public const string StepName = "packages";

    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(30);

    public override string Name => StepName;

    public override async Task<StepOutcome> RunAsync(PrepareContext context, CancellationToken cancellationToken)
    {
        var facts = context.Facts;
        if (context.Packages is not { } packages)
            return StepOutcome.Failed($"vmetal has no package names for {facts.Os.PrettyName}: install libvirt, QEMU/KVM, libguestfs, virt-install, " +
                                      "wget, the iPXE ROMs and OVMF by hand");
        var wanted = packages.Names.Concat(context.Options.ExtraPackages).Distinct(StringComparer.Ordinal).ToList();
        var missing = wanted.Where(name => !facts.IsInstalled(name)).ToList();
        var manager = facts.Os.ExpectedPackageManager;
        var tool = HypervisorChecker.ToolName(manager);
        if (missing.Count == 0)
            return StepOutcome.Unchanged($"all {wanted.Count} installed: {string.Join(' ', wanted)}");
        if (!facts.Tools.ContainsKey(tool))
            return StepOutcome.Failed($"missing {string.Join(' ', missing)}, and {tool} is not on the host");
        if (facts.Repositories is { Count: 0 })
            return StepOutcome.Failed($"missing {string.Join(' ', missing)}, but no package repositories are configured " +
                                      $"({(manager == PackageManager.Apt ? "no apt sources" : tool + " repolist is empty")}): configure them, then re-run");

        context.Progress($"installing {string.Join(' ', missing)} with {tool}");
        if (manager == PackageManager.Apt && !facts.AptListsPresent)
        {
            var update = await context.RunAsync(AptUpdate(), cancellationToken);
            if (!update.Succeeded)
                return StepOutcome.Failed($"apt-get update failed (there were no package lists yet): {Errors(update)}");
        }
        var install = await context.RunAsync(InstallCommand(manager, missing), cancellationToken);
        if (manager == PackageManager.Apt && !install.Succeeded && LooksStale(install))
        {
            // Old package lists point at files the mirror no longer has: refresh them and try once more.
            context.Progress("package lists are out of date: apt-get update, then install again");
            await context.RunAsync(AptUpdate(), cancellationToken);
            install = await context.RunAsync(InstallCommand(manager, missing), cancellationToken);
        }

        var query = await context.RunCheckedAsync(FactScript.PackageQuery(missing), cancellationToken);
        var now = HostFacts.ParsePackages(FactSection.ParseAll(query.Stdout).GetValueOrDefault("packages")?.Lines ?? []);
        var stillMissing = missing.Where(name => now.GetValueOrDefault(name) is null).ToList();
        if (stillMissing.Count > 0 || !install.Succeeded)
        {
            var notFound = stillMissing.Count > 0 ? $"not installed: {string.Join(' ', stillMissing)}" : "the transaction failed";
            return StepOutcome.Failed($"{tool} install exited {install.ExitCode}, {notFound}: {Errors(install)}");
        }
        return StepOutcome.Changed($"installed {string.Join(' ', missing)} ({tool}, one transaction)");
    }

    /// <summary>The one install command; apt waits for another apt/dpkg run (e.g. unattended-upgrades) instead of failing.</summary>
    internal static HostCommand InstallCommand(PackageManager manager, IReadOnlyList<string> packages)
    {
        var names = ShellQuote.Join(packages);
        var text = manager switch
        {
            PackageManager.Apt => "DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=300 " +
                                  "-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold " +
                                  $"install --no-install-recommends {names}",
            PackageManager.Dnf => $"dnf -y install {names}",
            PackageManager.Yum => $"yum -y install {names}",
            _ => throw new ArgumentOutOfRangeException(nameof(manager), manager, "no package manager to install with"),
        };
        return HostCommand.AsRoot(text) with { Timeout = InstallTimeout };
    }

    private static HostCommand AptUpdate() =>
        HostCommand.AsRoot("DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update") with { Timeout = InstallTimeout };

    private static bool LooksStale(CommandResult result) =>
        (result.Stdout + result.Stderr).Contains("404", StringComparison.Ordinal)
        && (result.Stdout + result.Stderr).Contains("Failed to fetch", StringComparison.Ordinal);

    /// <summary>The package manager's own error lines (apt's "E:", dnf/yum's "Error"/"No match"/"No package"), else its last lines.</summary>
    internal static string Errors(CommandResult result)
    {
        var lines = (result.Stderr + "\n" + result.Stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var errors = lines.Where(line =>
                line.StartsWith("E:", StringComparison.Ordinal) || line.StartsWith("Error", StringComparison.Ordinal)
                || line.StartsWith("No match for argument", StringComparison.Ordinal) || line.StartsWith("No package", StringComparison.Ordinal)
                || line.StartsWith("Unable to find a match", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal).ToList();
        var unreachable = errors.Any(line => line.Contains("Temporary failure resolving", StringComparison.Ordinal)
                                             || line.Contains("Could not resolve", StringComparison.Ordinal)
                                             || line.Contains("unreachable", StringComparison.OrdinalIgnoreCase)
                                             || line.Contains("Could not connect", StringComparison.Ordinal));
        var shown = string.Join(" | ", errors.Count > 0 ? errors.Take(2) : lines.TakeLast(3));
        return unreachable ? $"the host cannot reach its package mirror: {shown}" : shown;
    }
}
