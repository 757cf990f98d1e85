using System.Buffers.Binary;
using System.Net.Sockets;

namespace VMetal.Bmc.Ipmi;

/// <summary>
/// The App commands answered from the session table and the BMC's user: Set Session Privilege Level (section 22.18),
/// Get Session Info (22.20), Get Channel Info (22.24, which counts the sessions), Get User Access (22.27) and Get User
/// Name (22.29). There are two user ids: 1, IPMI's anonymous user (null name), disabled; 2, the workspace's user.
/// </summary>
internal static class SessionCommands
{
    public const byte SetSessionPrivilegeLevel = 0x3B;
    public const byte GetSessionInfo = 0x3D;
    public const byte GetChannelInfo = 0x42;
    public const byte GetUserAccess = 0x44;
    public const byte GetUserName = 0x46;

    /// <summary>The one user of a workspace. User 1 is IPMI's anonymous (null name) user, which this BMC does not have.</summary>
    public const byte UserId = 2;

    private const byte SessionProtocolRmcpPlus = 0x10; // auxiliary data for 802.3 LAN channels: IPMI v2.0/RMCP+ (bits 7:4)
    private const byte AnonymousUserId = 1;
    private const int UserNameLength = 16;

    public static bool Handles(IpmiRequest request) =>
        request.NetFn == NetFns.App && request.Command is SetSessionPrivilegeLevel or GetSessionInfo or GetChannelInfo or GetUserAccess or GetUserName;

    public static IpmiResponse Handle(IpmiRequest request, IpmiSession session, IpmiSessionTable sessions, byte[] userName) => request.Command switch
    {
        SetSessionPrivilegeLevel => SetPrivilege(session, request.Data),
        GetSessionInfo => SessionInfo(request.Data, session, sessions.Active, sessions.MaximumActive),
        GetUserAccess => UserAccess(request.Data),
        GetUserName => UserName(request.Data, userName),
        _ => ChannelCommands.ChannelInfo(request.Data, sessions.Active.Count),
    };

    /// <summary>
    /// Request: channel, user id. Response: how many user ids there are, how many are enabled (with this one's state), how
    /// many have fixed names, and this user's access on the channel.
    /// </summary>
    private static IpmiResponse UserAccess(byte[] data)
    {
        if (data.Length != 2)
        {
            return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
        }

        var user = data[1] & 0x3F;
        if (!ChannelCommands.IsOurChannel(data[0] & 0x0F) || user is not (AnonymousUserId or UserId))
        {
            return IpmiResponse.Error(CompletionCodes.InvalidDataField);
        }

        return user == UserId
            ? IpmiResponse.Ok(UserId, 0x40 | 1, 1, 0x10 | (byte)Privilege.Administrator) // enabled; IPMI messaging, up to Administrator
            : IpmiResponse.Ok(UserId, 0x80 | 1, 1, 0x0F); // disabled; no access
    }

    /// <summary>The user's name, padded with zeros to 16 bytes; the anonymous user's is empty.</summary>
    private static IpmiResponse UserName(byte[] data, byte[] userName)
    {
        if (data.Length != 1)
        {
            return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
        }

        var name = new byte[UserNameLength];
        switch (data[0] & 0x3F)
        {
            case UserId:
                userName.AsSpan(0, Math.Min(userName.Length, UserNameLength)).CopyTo(name);
                return IpmiResponse.Ok(name);
            case AnonymousUserId:
                return IpmiResponse.Ok(name);
            default:
                return IpmiResponse.Error(CompletionCodes.InvalidDataField);
        }
    }

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
