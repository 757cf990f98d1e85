using VMetal.Libvirt.Xdr;

namespace VMetal.Libvirt.Rpc;

/// <summary>virNetMessageType: what a frame carries.</summary>
internal enum MessageType
{
    Call = 0,
    Reply = 1,
    Message = 2,
    Stream = 3,
    CallWithFds = 4,
    ReplyWithFds = 5,
    StreamHole = 6,
}

/// <summary>virNetMessageStatus.</summary>
internal enum MessageStatus
{
    Ok = 0,
    Error = 1,
    Continue = 2,
}

/// <summary>The 24-byte header after each frame's length word (virNetMessageHeader).</summary>
internal readonly record struct MessageHeader(
    uint Program, uint Version, int Procedure, MessageType Type, uint Serial, MessageStatus Status)
{
    public const int Size = 24;

    public void Write(XdrWriter writer)
    {
        writer.WriteUInt(Program);
        writer.WriteUInt(Version);
        writer.WriteInt(Procedure);
        writer.WriteInt((int)Type);
        writer.WriteUInt(Serial);
        writer.WriteInt((int)Status);
    }

    public static MessageHeader Read(ref XdrReader reader) => new(
        reader.ReadUInt(), reader.ReadUInt(), reader.ReadInt(),
        (MessageType)reader.ReadInt(), reader.ReadUInt(), (MessageStatus)reader.ReadInt());
}

/// <summary>Program numbers and frame limits from virnetprotocol.x and virkeepaliveprotocol.x.</summary>
internal static class RpcConstants
{
    public const uint RemoteProgram = 0x20008086;
    public const uint RemoteVersion = 1;
    public const uint KeepAliveProgram = 0x6b656570;
    public const uint KeepAliveVersion = 1;
    public const int KeepAlivePing = 1;
    public const int KeepAlivePong = 2;

    /// <summary>Size of the length word that starts each frame (counted in the length).</summary>
    public const int LengthWordSize = 4;

    /// <summary>Largest frame after the length word (VIR_NET_MESSAGE_MAX).</summary>
    public const int MessageMax = 33554432;

    /// <summary>Data per stream packet; libvirt's own client uses the same (VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX).</summary>
    public const int StreamChunkSize = 262120;
}
