namespace VMetal.Hypervisor;

public enum StepStatus
{
    /// <summary>The step changed the host (or the workspace) to reach its goal.</summary>
    Changed,

    /// <summary>The goal was already met (or does not apply to this host); nothing was touched.</summary>
    Unchanged,

    Failed,

    /// <summary>Not run: not selected (--only/--skip), or a step it needs failed.</summary>
    Skipped,
}

/// <summary>What one prepare step did.</summary>
public sealed record PrepareStepResult(string Name, StepStatus Status, string Detail)
{
    public long DurationMs { get; init; }
}

/// <summary>The result of <see cref="HypervisorPreparer"/>: the checks it started with, then every step.</summary>
public sealed record PrepareReport(CheckReport Check, IReadOnlyList<PrepareStepResult> Steps)
{
    /// <summary>A check failed that prepare cannot fix; no step ran.</summary>
    public bool StoppedByChecks => Check.Blocking.Any();

    public bool Succeeded => !StoppedByChecks && Steps.All(step => step.Status != StepStatus.Failed);

    public bool ChangedAnything => Steps.Any(step => step.Status == StepStatus.Changed);
}

/// <summary>How to prepare a hypervisor.</summary>
public sealed record PrepareOptions
{
    /// <summary>The workspace directory on this machine, where the SSH key pairs live.</summary>
    public required string WorkspaceDirectory { get; init; }

    /// <summary>The unprivileged account that may manage VMs without sudo (infrared's stack user).</summary>
    public string UserName { get; init; } = "stack";

    /// <summary>The libvirt dir pool for images and disks; the same defaults <c>up</c> renders with.</summary>
    public string PoolName { get; init; } = new Rendering.RenderOptions().PoolName;

    public string PoolPath { get; init; } = new Rendering.RenderOptions().PoolPath;

    /// <summary>Run only these steps (null: all). Steps not run are reported as skipped.</summary>
    public IReadOnlySet<string>? Only { get; init; }

    public IReadOnlySet<string> Skip { get; init; } = new HashSet<string>();

    /// <summary>Packages installed in the same package-manager call as the family's set.</summary>
    public IReadOnlyList<string> ExtraPackages { get; init; } = [];

    /// <summary>What the pre-check demands (e.g. --require-kvm, a topology's needs).</summary>
    public CheckRequirements Requirements { get; init; } = new();

    public bool Selects(string step) => (Only is null || Only.Contains(step)) && !Skip.Contains(step);
}
