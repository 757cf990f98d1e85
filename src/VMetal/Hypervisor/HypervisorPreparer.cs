using System.Diagnostics;
using System.Security.Cryptography;
using VMetal.Hosting;
using VMetal.Hypervisor.Steps;

namespace VMetal.Hypervisor;

/// <summary>
/// <c>vmetal prepare</c>: checks the host, stops if a check fails that prepare cannot fix, then
/// converges it step by step. Every step is idempotent, so a second run reports every step
/// unchanged and a run interrupted anywhere is completed by the next one. A failed step does not
/// stop the others; steps that need it are skipped.
/// </summary>
public static class HypervisorPreparer
{
    /// <summary>The step names, in the order they run (for --only/--skip).</summary>
    public static IReadOnlyList<string> StepNames { get; } = CreateSteps().Select(step => step.Name).ToList();

    public static async Task<PrepareReport> PrepareAsync(IHostConnection host, PrepareOptions options, Action<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var unknown = options.Skip.Concat(options.Only ?? new HashSet<string>()).Where(name => !StepNames.Contains(name)).ToList();
        if (unknown.Count > 0)
            throw new VMetalException(FailureKind.BadInput, $"unknown prepare step(s) {string.Join(", ", unknown)}; the steps are {string.Join(", ", StepNames)}");
        progress ??= _ => { };

        progress("checking the host");
        var check = await HypervisorChecker.CheckAsync(host, options.Requirements with
        {
            PoolPath = options.PoolPath,
            UserName = options.UserName,
            ExtraPackages = options.ExtraPackages,
        }, cancellationToken);
        if (check.Blocking.Any())
            return new PrepareReport(check, []);

        var context = new PrepareContext(host, check.Facts!, options, progress);
        var results = new List<PrepareStepResult>();
        var broken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var step in CreateSteps())
        {
            if (!options.Selects(step.Name))
            {
                results.Add(new PrepareStepResult(step.Name, StepStatus.Skipped, "not selected"));
                continue;
            }
            if (step.DependsOn.FirstOrDefault(broken.Contains) is { } failedDependency)
            {
                broken.Add(step.Name);
                results.Add(new PrepareStepResult(step.Name, StepStatus.Skipped, $"needs {failedDependency}, which did not succeed"));
                continue;
            }
            progress(step.Name);
            var stopwatch = Stopwatch.StartNew();
            var outcome = await RunStepAsync(step, context, cancellationToken);
            if (outcome.Status == StepStatus.Failed)
                broken.Add(step.Name);
            results.Add(new PrepareStepResult(step.Name, outcome.Status, outcome.Detail) { DurationMs = stopwatch.ElapsedMilliseconds });
        }
        return new PrepareReport(check, results);
    }

    private static async Task<StepOutcome> RunStepAsync(PrepareStep step, PrepareContext context, CancellationToken cancellationToken)
    {
        try
        {
            return await step.RunAsync(context, cancellationToken);
        }
        catch (HostCommandException ex)
        {
            // Includes sudo wanting a password and command timeouts; a lost connection is not caught here.
            return StepOutcome.Failed(ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or VMetalException { Kind: FailureKind.BadInput })
        {
            return StepOutcome.Failed(ex.Message);
        }
    }

    private static PrepareStep[] CreateSteps() =>
    [
        new WorkspaceKeysStep(),
        new PackagesStep(),
        new LibvirtDaemonStep(),
        new NestedKvmStep(),
        new StoragePoolStep(),
        new UserStep(),
        new PolkitStep(),
        AuthorizedKeyStep.ForRoot(),
        AuthorizedKeyStep.ForUser(),
    ];
}
