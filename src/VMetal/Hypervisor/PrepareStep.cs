using VMetal.Hosting;

namespace VMetal.Hypervisor;

/// <summary>What a step returns: its status and one line saying what it found or did.</summary>
internal sealed record StepOutcome(StepStatus Status, string Detail)
{
    public static StepOutcome Changed(string detail) => new(StepStatus.Changed, detail);

    public static StepOutcome Unchanged(string detail) => new(StepStatus.Unchanged, detail);

    public static StepOutcome Failed(string detail) => new(StepStatus.Failed, detail);
}

/// <summary>Everything a step may use: the host, the facts the pre-check gathered, the options.</summary>
internal sealed record PrepareContext(IHostConnection Host, HostFacts Facts, PrepareOptions Options, Action<string> Progress)
{
    public PackageSet? Packages => PackageSet.For(Facts.Os.Family);

    public async Task<CommandResult> RunAsync(HostCommand command, CancellationToken cancellationToken) =>
        await Host.RunAsync(command, cancellationToken);

    public async Task<CommandResult> RunCheckedAsync(HostCommand command, CancellationToken cancellationToken) =>
        await Host.RunCheckedAsync(command, cancellationToken);
}

/// <summary>
/// One idempotent step of prepare: it looks at the host, acts only where the host differs from
/// the goal, and can be re-run after an interruption at any point (files are written atomically;
/// edits of shared files run under a lock).
/// </summary>
internal abstract class PrepareStep
{
    public abstract string Name { get; }

    /// <summary>Steps that must not have failed for this one to make sense.</summary>
    public virtual IReadOnlyList<string> DependsOn => [];

    public abstract Task<StepOutcome> RunAsync(PrepareContext context, CancellationToken cancellationToken);
}

/// <summary>Reads the "did: …" / "note: …" lines the steps' shell scripts print.</summary>
internal static class ScriptOutcome
{
    public static StepOutcome From(CommandResult result, string subject, string unchangedSummary)
    {
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var did = lines.Where(line => line.StartsWith("did: ", StringComparison.Ordinal)).Select(line => line[5..]).ToList();
        var notes = lines.Where(line => line.StartsWith("note: ", StringComparison.Ordinal)).Select(line => line[6..]).ToList();
        if (!result.Succeeded)
        {
            var error = HostCommandException.FirstLines(string.IsNullOrWhiteSpace(result.Stderr) ? result.Stdout : result.Stderr);
            var partial = did.Count > 0 ? $" (after: {string.Join("; ", did)})" : "";
            return StepOutcome.Failed($"{subject}: exit {result.ExitCode}: {error}{partial}");
        }
        return did.Count > 0
            ? StepOutcome.Changed(string.Join("; ", did.Concat(notes)))
            : StepOutcome.Unchanged(string.Join("; ", notes.Append(unchangedSummary)));
    }
}
