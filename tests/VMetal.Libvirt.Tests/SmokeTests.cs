namespace VMetal.Libvirt.Tests;

public class SmokeTests
{
    [Fact]
    public void Builds() => Assert.True(true);
}
