using Microsoft.Extensions.Time.Testing;
using VMetal.Bmc.Redfish;

namespace VMetal.Bmc.Tests.Redfish;

/// <summary>The session table's bounds: per workspace, least recently used first.</summary>
public sealed class RedfishSessionStoreTests
{
    private static readonly RedfishTenant Alpha = new("alpha", "vm-alpha", "alpha-password", new HashSet<Guid>());
    private static readonly RedfishTenant Beta = new("beta", "vm-beta", "beta-password", new HashSet<Guid>());

    [Fact]
    public void EachWorkspaceKeepsAtMostItsCapEvictingTheLeastRecentlyUsed()
    {
        var clock = new FakeTimeProvider();
        var store = new RedfishSessionStore(clock, capacityPerWorkspace: 64, TimeSpan.FromMinutes(30));
        var beta = store.Create(Beta);
        var first = store.Create(Alpha);
        clock.Advance(TimeSpan.FromSeconds(1));
        var second = store.Create(Alpha);

        for (var i = 0; i < 120; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            store.Use(first.Token); // in use all along: it stays
            store.Create(Alpha);
        }

        Assert.Equal(64, store.Of("alpha").Count);
        Assert.NotNull(store.Use(first.Token));
        Assert.Null(store.Use(second.Token));
        Assert.NotNull(store.Use(beta.Token)); // another workspace's logins never push it out
    }
}
