using VMetal.Testing;

namespace VMetal.IntegrationTests.Bmc;

/// <summary>A test class that gets a fresh <see cref="SandboxBmcLab"/> per test, or is skipped when the sandbox or the client is missing.</summary>
public abstract class SandboxBmcTest(SandboxFixture sandbox, int machines, bool clientInstalled, string clientMissing) : IAsyncLifetime
{
    internal SandboxBmcLab Lab { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        sandbox.Require();
        Assert.SkipUnless(clientInstalled, clientMissing);
        Lab = await SandboxBmcLab.StartAsync(sandbox, machines, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Lab is not null)
        {
            await Lab.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
