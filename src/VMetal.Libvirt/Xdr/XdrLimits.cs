namespace VMetal.Libvirt.Xdr;

/// <summary>Size limits of libvirt's wire protocol (virnetprotocol.x, remote_protocol.x).</summary>
public static class XdrLimits
{
    /// <summary>Longest string libvirt accepts (REMOTE_STRING_MAX, 4 MiB).</summary>
    public const int StringMax = 4 * 1024 * 1024;

    /// <summary>Largest array we accept when the protocol gives no tighter bound.</summary>
    public const int ArrayMax = 262144;
}
