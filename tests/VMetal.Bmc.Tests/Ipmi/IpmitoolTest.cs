using VMetal.Testing.Bmc;

namespace VMetal.Bmc.Tests.Ipmi;

/// <summary>A test class that gets a fresh <see cref="IpmiTestBmc"/> per test, or is skipped when ipmitool is missing.</summary>
public abstract class IpmitoolTest : IAsyncLifetime
{
    private IpmiTestBmc? _bmc;

    internal IpmiTestBmc Bmc => _bmc ?? throw new InvalidOperationException("not initialised");

    public async ValueTask InitializeAsync()
    {
        Assert.SkipUnless(Ipmitool.IsInstalled, "ipmitool is not installed (apt-get install ipmitool)");
        _bmc = await IpmiTestBmc.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_bmc is not null)
        {
            await _bmc.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
