using VMetal.Hypervisor;

namespace VMetal.Tests.Check;

public sealed class DistributionTests
{
    [Theory]
    [InlineData("ID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"7\"", DistroFamily.El7, SupportLevel.Supported, PackageManager.Yum)]
    [InlineData("ID=\"rhel\"\nVERSION_ID=\"7.9\"", DistroFamily.El7, SupportLevel.Supported, PackageManager.Yum)]
    [InlineData("ID=\"rhel\"\nVERSION_ID=\"7.2\"", DistroFamily.El7, SupportLevel.Unsupported, PackageManager.Yum)]
    [InlineData("ID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"8.10\"", DistroFamily.El8, SupportLevel.Supported, PackageManager.Dnf)]
    [InlineData("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"", DistroFamily.El9, SupportLevel.Supported, PackageManager.Dnf)]
    [InlineData("ID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"9\"", DistroFamily.El9, SupportLevel.Supported, PackageManager.Dnf)]
    [InlineData("ID=\"rhel\"\nVERSION_ID=\"10.0\"", DistroFamily.El9, SupportLevel.Unsupported, PackageManager.Dnf)]
    [InlineData("ID=fedora\nVERSION_ID=40", DistroFamily.Fedora, SupportLevel.Supported, PackageManager.Dnf)]
    [InlineData("ID=debian\nVERSION_ID=\"12\"", DistroFamily.Debian, SupportLevel.BestEffort, PackageManager.Apt)]
    [InlineData("ID=debian\nVERSION_ID=\"10\"", DistroFamily.Debian, SupportLevel.Unsupported, PackageManager.Apt)]
    [InlineData("ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"24.04\"", DistroFamily.Debian, SupportLevel.BestEffort, PackageManager.Apt)]
    [InlineData("ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"20.04\"", DistroFamily.Debian, SupportLevel.Unsupported, PackageManager.Apt)]
    [InlineData("ID=linuxmint\nID_LIKE=\"ubuntu debian\"\nVERSION_ID=\"21.3\"", DistroFamily.Debian, SupportLevel.Unsupported, PackageManager.Apt)]
    [InlineData("ID=arch\nBUILD_ID=rolling", DistroFamily.Unknown, SupportLevel.Unsupported, PackageManager.None)]
    public void Os_release_selects_family_support_and_package_manager(string osRelease, DistroFamily family, SupportLevel support, PackageManager manager)
    {
        var distribution = Distribution.ParseOsRelease(osRelease);

        Assert.Equal(family, distribution.Family);
        Assert.Equal(support, distribution.Support);
        Assert.Equal(manager, distribution.ExpectedPackageManager);
    }

    [Fact]
    public void Quotes_comments_and_missing_fields_are_handled()
    {
        var distribution = Distribution.ParseOsRelease("# comment\nPRETTY_NAME='Debian GNU/Linux 12 (bookworm)'\nID=debian\n\nVERSION_ID=\"12\"\nBROKEN LINE\n");

        Assert.Equal("debian", distribution.Id);
        Assert.Equal("Debian GNU/Linux 12 (bookworm)", distribution.PrettyName);
        Assert.Equal(12, distribution.Major);
        Assert.Null(distribution.Minor);
        Assert.Same(Distribution.Unknown, Distribution.ParseOsRelease(""));
    }

    [Theory]
    [InlineData(DistroFamily.El7, "libguestfs-tools-c", "OVMF")]
    [InlineData(DistroFamily.El8, "libguestfs-tools-c", "edk2-ovmf")]
    [InlineData(DistroFamily.El9, "guestfs-tools", "edk2-ovmf")]
    [InlineData(DistroFamily.Fedora, "guestfs-tools", "edk2-ovmf")]
    [InlineData(DistroFamily.Debian, "libguestfs-tools", "ovmf")]
    public void Each_family_names_libguestfs_and_firmware_its_own_way(DistroFamily family, string guestfs, string firmware)
    {
        var packages = PackageSet.For(family)!;

        Assert.Contains(guestfs, packages.Names);
        Assert.Equal(firmware, packages.FirmwarePackage);
        Assert.Contains(packages.IpxePackage, packages.Names);
        Assert.Contains("wget", packages.Names);
        Assert.Null(PackageSet.For(DistroFamily.Unknown));
    }
}
