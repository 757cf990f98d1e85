namespace VMetal.Hypervisor.Steps;

/// <summary>The workspace's key pairs (id_rsa, id_rsa_undercloud), generated on this machine when missing.</summary>
internal sealed class WorkspaceKeysStep : PrepareStep
{
    public const string StepName = "workspace-keys";

    public override string Name => StepName;

    public override Task<StepOutcome> RunAsync(PrepareContext context, CancellationToken cancellationToken)
    {
        var directory = context.Options.WorkspaceDirectory;
        var changes = new[] { WorkspaceKeys.RootKeyName, WorkspaceKeys.UndercloudKeyName }
            .SelectMany(name => WorkspaceKeys.Ensure(directory, name).Changes)
            .ToList();
        return Task.FromResult(changes.Count == 0
            ? StepOutcome.Unchanged($"{WorkspaceKeys.RootKeyName} and {WorkspaceKeys.UndercloudKeyName} present in {directory}")
            : StepOutcome.Changed($"{string.Join("; ", changes)} in {directory}"));
    }
}
