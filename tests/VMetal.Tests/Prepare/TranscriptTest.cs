using VMetal.Hypervisor;
using VMetal.Testing;

namespace VMetal.Tests.Prepare;

/// <summary>Common ground of the transcript tests: a workspace directory and report helpers.</summary>
public abstract class TranscriptTest : IDisposable
{
    private readonly TempDirectory _workspace = new("vmetal-prepare");

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected string WorkspacePath => _workspace.Path;

    protected PrepareOptions Options => new() { WorkspaceDirectory = _workspace.Path };

    public void Dispose()
    {
        _workspace.Dispose();
        GC.SuppressFinalize(this);
    }

    protected static PrepareStepResult Step(PrepareReport report, string name) => report.Steps.Single(step => step.Name == name);

    protected static string Status(PrepareReport report, string check) => report.Check[check]!.Status.ToString().ToLowerInvariant();

    /// <summary>Everything that did not pass, for assertion messages.</summary>
    protected static string Describe(PrepareReport report) =>
        string.Join("\n", report.Check.Checks.Where(c => c.Status != CheckStatus.Pass).Select(c => $"check {c.Id}: {c.Status} {c.Found}")
            .Concat(report.Steps.Select(s => $"step {s.Name}: {s.Status} {s.Detail}")));
}
