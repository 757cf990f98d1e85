using VMetal.Hosting;
using VMetal.Hypervisor;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Prepare;

/// <summary>
/// Tests that install or remove packages on this machine, or need its packages complete, run one
/// after another: the sandbox shares /usr and dpkg's database with this machine (and has no
/// route to a mirror), so the sandbox's packages are this machine's.
/// </summary>
[CollectionDefinition(Name)]
public sealed class HostPackagesCollection : ICollectionFixture<HostPackages>
{
    public const string Name = "host packages";
}

/// <summary>
/// Makes this machine's packages complete for prepare, once, with vmetal itself
/// (<c>prepare --host local --only packages</c>): on a fresh CI machine that is the first real
/// installation; where everything is present it changes nothing.
/// </summary>
public sealed class HostPackages : IDisposable
{
    private readonly SemaphoreSlim _once = new(1, 1);
    private readonly TempDirectory _workspace = new("vmetal-host-packages");
    private PrepareStepResult? _result;

    public async Task<PrepareStepResult> EnsureAsync()
    {
        await _once.WaitAsync();
        try
        {
            if (_result is null)
            {
                await using var local = new LocalHostConnection();
                var report = await HypervisorPreparer.PrepareAsync(local, new PrepareOptions
                {
                    WorkspaceDirectory = _workspace.Path,
                    Only = new HashSet<string> { "packages" },
                });
                _result = report.Steps.SingleOrDefault(step => step.Name == "packages")
                          ?? new PrepareStepResult("packages", StepStatus.Failed, string.Join("; ", report.Check.Blocking.Select(c => $"{c.Id}: {c.Found}")));
            }
            if (_result.Status == StepStatus.Failed)
                throw new InvalidOperationException($"this machine's packages are incomplete and could not be installed: {_result.Detail}");
            return _result;
        }
        finally
        {
            _once.Release();
        }
    }

    public void Dispose()
    {
        _workspace.Dispose();
        _once.Dispose();
    }
}
