namespace VMetal.Libvirt;

/// <summary>
/// An error reported by libvirt (code, domain and message as libvirt sent them) or by this client.
/// Connection-level failures are <see cref="LibvirtConnectionException"/>.
/// </summary>
public class LibvirtException : Exception
{
    public LibvirtException(LibvirtErrorCode code, LibvirtErrorDomain errorDomain, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        ErrorDomain = errorDomain;
    }

    /// <summary>libvirt's error number; values without a name in the enum are kept as received.</summary>
    public LibvirtErrorCode Code { get; }

    /// <summary>The libvirt subsystem that raised the error.</summary>
    public LibvirtErrorDomain ErrorDomain { get; }

    /// <summary>The object named in the request does not exist (domain, network, pool, volume, snapshot...).</summary>
    public bool IsNotFound => Code is LibvirtErrorCode.NoDomain or LibvirtErrorCode.NoNetwork
        or LibvirtErrorCode.NoStoragePool or LibvirtErrorCode.NoStorageVolume or LibvirtErrorCode.NoDomainSnapshot
        or LibvirtErrorCode.NoInterface or LibvirtErrorCode.NoSecret or LibvirtErrorCode.NoNetworkPort
        or LibvirtErrorCode.NoDomainMetadata;

    /// <summary>An object with the same name or UUID exists already.</summary>
    public bool IsAlreadyExists => Code is LibvirtErrorCode.DomainExists or LibvirtErrorCode.NetworkExists
        or LibvirtErrorCode.StorageVolumeExists or LibvirtErrorCode.StoragePoolBuilt;

    /// <summary>Authentication or authorisation (e.g. polkit) refused the request.</summary>
    public bool IsAccessDenied => Code is LibvirtErrorCode.AccessDenied or LibvirtErrorCode.AuthFailed
        or LibvirtErrorCode.AuthUnavailable or LibvirtErrorCode.AuthCancelled or LibvirtErrorCode.OperationDenied;

    /// <summary>The object is in the wrong state for the request (e.g. "domain is not running").</summary>
    public bool IsOperationInvalid => Code == LibvirtErrorCode.OperationInvalid;

    /// <summary>libvirt rejected the XML document given to it.</summary>
    public bool IsInvalidXml => Code is LibvirtErrorCode.XmlError or LibvirtErrorCode.XmlDetail
        or LibvirtErrorCode.XmlInvalidSchema;

    /// <summary>The call did not complete within its timeout.</summary>
    public bool IsTimeout => Code == LibvirtErrorCode.OperationTimeout;

    /// <summary>
    /// QEMU refused a removable-medium change because the drive's tray had not finished opening ("Tray of device …
    /// is not open"); seen on busy hosts right after a start or another change. Transient: a retry a moment later succeeds.
    /// </summary>
    public bool IsTrayNotOpen => Message.Contains("Tray of ", StringComparison.Ordinal) && Message.Contains(" is not open", StringComparison.Ordinal);

    public override string ToString() => $"{GetType().Name} (code {(int)Code} {Code}, domain {(int)ErrorDomain} {ErrorDomain}): {base.ToString()}";
}

/// <summary>
/// The connection to libvirt is unusable: the transport could not be opened (socket missing or
/// refused, helper command missing), the peer closed or sent garbage, or keepalive found it dead.
/// Every call pending on the connection fails with this exception; open a new client to go on.
/// </summary>
public sealed class LibvirtConnectionException : LibvirtException
{
    public LibvirtConnectionException(string message, Exception? innerException = null)
        : base(LibvirtErrorCode.Rpc, LibvirtErrorDomain.Rpc, message, innerException)
    {
    }
}
