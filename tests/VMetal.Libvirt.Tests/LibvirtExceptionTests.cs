namespace VMetal.Libvirt.Tests;

public sealed class LibvirtExceptionTests
{
    [Theory]
    [InlineData("internal error: unable to execute QEMU command 'blockdev-insert-medium': Tray of the device is not open", true)]
    [InlineData("internal error: unable to execute QEMU command 'blockdev-remove-medium': Tray of device 'ide0-1-0' is not open", true)]
    [InlineData("internal error: unable to execute QEMU command 'blockdev-insert-medium': Could not open '/x.iso'", false)]
    [InlineData("Requested operation is not valid: domain is not running", false)]
    public void A_tray_still_closed_is_told_apart_from_other_failures(string message, bool trayNotOpen)
    {
        var error = new LibvirtException(LibvirtErrorCode.InternalError, LibvirtErrorDomain.Qemu, message);

        Assert.Equal(trayNotOpen, error.IsTrayNotOpen);
    }
}
