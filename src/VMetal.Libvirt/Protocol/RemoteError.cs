using VMetal.Libvirt.Xdr;

namespace VMetal.Libvirt.Protocol;

/// <summary>Decodes remote_error (virNetMessageError), the payload of every ERROR reply.</summary>
internal static class RemoteError
{
    public static LibvirtException Read(ref XdrReader reader)
    {
        var code = (LibvirtErrorCode)reader.ReadInt();
        var domain = (LibvirtErrorDomain)reader.ReadInt();
        var message = reader.ReadOptionalString();
        reader.ReadInt(); // level
        reader.ReadOptional(RemoteTypes.ReadDomain); // dom: unused by libvirt
        reader.ReadOptionalString(); // str1..str3 duplicate parts of the message
        reader.ReadOptionalString();
        reader.ReadOptionalString();
        reader.ReadInt(); // int1
        reader.ReadInt(); // int2
        reader.ReadOptional(RemoteTypes.ReadNetwork); // net: unused by libvirt
        return new LibvirtException(code, domain, message ?? $"libvirt error {(int)code} without a message");
    }
}
