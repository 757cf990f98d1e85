using System.Buffers.Binary;
using System.Net.Sockets;

namespace VMetal.Bmc.Ipmi;

/// <summary>
/// The App commands answered from the session table: Set Session Privilege Level (section 22.18), Get Session Info
/// (22.20) and Get Channel Info (22.24, which counts the sessions).
/// </summary>
internal static class SessionCommands
{
    public const byte SetSessionPrivilegeLevel = 0x3B;
    public const byte GetSessionInfo = 0x3D;
    public const byte GetChannelInfo = 0x42;

    /// <summary>The one user of a workspace. User 1 is IPMI's anonymous (null name) user, which this BMC does not have.</summary>
    public const byte UserId = 2;

    private const byte SessionProtocolRmcpPlus = 0x10; // auxiliary data for 802.3 LAN channels: IPMI v2.0/RMCP+ (bits 7:4)

    public static bool Handles(IpmiRequest request) =>
        request.NetFn == NetFns.App && request.Command is SetSessionPrivilegeLevel or GetSessionInfo or GetChannelInfo;

    public static IpmiResponse Handle(IpmiRequest request, IpmiSession session, IpmiSessionTable sessions) => request.Command switch
    {
        SetSessionPrivilegeLevel => SetPrivilege(session, request.Data),
        GetSessionInfo => SessionInfo(request.Data, session, sessions.Active, sessions.MaximumActive),
        _ => ChannelCommands.ChannelInfo(request.Data, sessions.Active.Count),
    };

    /// <summary>Level 0 only reads the current level.</summary>
    private static IpmiResponse SetPrivilege(IpmiSession session, byte[] data)
    {
        if (data.Length != 1)
        {
            return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
        }

        var requested = data[0] & 0x0F;
        if (requested != 0)
        {
            if (requested < (int)Privilege.User || requested > (int)session.MaximumPrivilege)
            {
                return IpmiResponse.Error(0x81); // "requested level exceeds user and/or channel privilege limit"
            }

            session.Privilege = (Privilege)requested;
        }

        return IpmiResponse.Ok((byte)session.Privilege);
    }

    /// <summary>
    /// Index 0: the requester's own session; 1 to N: the Nth active session; FEh: by handle; FFh: by session id.
    /// An index past the active sessions answers only the counts, as the specification says.
    /// </summary>
    private static IpmiResponse SessionInfo(byte[] data, IpmiSession current, IReadOnlyList<IpmiSession> active, int maximumSessions)
    {
        if (data.Length < 1)
        {
            return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
        }

        IpmiSession? found;
        switch (data[0])
        {
            case 0x00:
                found = current;
                break;
            case 0xFE when data.Length >= 2:
                found = active.FirstOrDefault(s => s.Handle == data[1]);
                break;
            case 0xFF when data.Length >= 5:
                var id = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(1));
                found = active.FirstOrDefault(s => s.ManagedId == id);
                break;
            case 0xFE or 0xFF:
                return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
            case var index when index <= 0x3F:
                found = index <= active.Count ? active[index - 1] : null;
                break;
            default:
                return IpmiResponse.Error(CompletionCodes.InvalidDataField);
        }

        byte[] counts = [(byte)(maximumSessions & 0x3F), (byte)(active.Count & 0x3F)];
        if (found is null)
        {
            return IpmiResponse.Ok([0, .. counts]);
        }

        // The console's MAC address is not visible over UDP: it stays zero.
        var remote = found.Remote;
        var address = remote?.Address is { AddressFamily: AddressFamily.InterNetwork } v4 ? v4.GetAddressBytes()
            : remote?.Address is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4().GetAddressBytes()
            : new byte[4];
        var port = (ushort)(remote?.Port ?? 0);
        return IpmiResponse.Ok(
        [
            found.Handle, .. counts, UserId, (byte)found.Privilege, (byte)(SessionProtocolRmcpPlus | ChannelCommands.LanChannel),
            .. address, 0, 0, 0, 0, 0, 0, (byte)port, (byte)(port >> 8),
        ]);
    }
}
