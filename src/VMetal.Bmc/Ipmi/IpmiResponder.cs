using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace VMetal.Bmc.Ipmi;

/// <summary>
/// The IPMI 2.0 LAN protocol of one BMC: turns one request datagram into at most one response datagram.
/// Sessionless discovery commands, the RMCP+ open session and RAKP 1-4 handshake, then authenticated and
/// encrypted IPMI messages. Anything malformed, unauthenticated or out of sequence yields no answer.
/// </summary>
internal sealed partial class IpmiResponder(
    IpmiCredentials credentials, Guid bmcGuid, MachineCommands commands, IpmiSessionTable sessions, SolService sol, ILogger logger)
{
    private const byte CloseSession = 0x3C;
    private const int RandomLength = 16;
    private const int MaximumUserNameLength = 16;

    private readonly byte[] _guid = bmcGuid.ToByteArray();

    public IpmiCredentials Credentials { get; set; } = credentials;

    /// <summary>The machine's Serial-over-LAN, which also sends packets of its own.</summary>
    public SolService Sol => sol;

    public async Task<byte[]?> HandleAsync(ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken)
    {
        switch (RmcpCodec.Classify(datagram.Span))
        {
            case (true, _):
                return RmcpCodec.AnswerPresencePing(datagram.Span);
            case (false, RmcpCodec.FormatIpmi15None):
                var request = RmcpCodec.ReadIpmi15Sessionless(datagram.Span) is { } payload ? IpmiRequest.TryParse(payload) : null;
                return request is not null && ChannelCommands.Handles(request)
                    ? RmcpCodec.WriteIpmi15Sessionless(request.Respond(ChannelCommands.Handle(request)))
                    : null;
            case (false, RmcpCodec.FormatRmcpPlus):
                return RmcpCodec.ReadPlusHeader(datagram.Span) is { } header
                    ? await HandlePlusAsync(datagram, header, remote, cancellationToken).ConfigureAwait(false)
                    : null;
            default:
                return null;
        }
    }

    private async Task<byte[]?> HandlePlusAsync(ReadOnlyMemory<byte> datagram, RmcpPlusHeader header, EndPoint remote, CancellationToken cancellationToken)
    {
        if (header.PayloadType == PayloadType.Ipmi && header.SessionId != 0)
        {
            return await HandleSessionAsync(datagram, header, cancellationToken).ConfigureAwait(false);
        }

        if (header.PayloadType == PayloadType.Sol)
        {
            return HandleSolPacket(datagram, header);
        }

        // Before a session exists nothing is signed, so the header must not claim otherwise.
        if (header.SessionId != 0 || header.IsAuthenticated || header.IsEncrypted)
        {
            return null;
        }

        var payload = RmcpCodec.PlainPayload(datagram.Span, header);
        return header.PayloadType switch
        {
            PayloadType.Ipmi => AnswerSessionless(payload),
            PayloadType.OpenSessionRequest => OpenSession(payload),
            PayloadType.Rakp1 => AnswerRakp1(payload, remote),
            PayloadType.Rakp3 => AnswerRakp3(payload, remote),
            _ => null,
        };
    }

    private static byte[]? AnswerSessionless(ReadOnlySpan<byte> payload)
    {
        var request = IpmiRequest.TryParse(payload);
        return request is not null && ChannelCommands.Handles(request)
            ? RmcpCodec.WritePlus((byte)PayloadType.Ipmi, 0, 0, request.Respond(ChannelCommands.Handle(request)), null)
            : null;
    }

    /// <summary>RMCP+ Open Session Request → Response (section 13.17, 13.18).</summary>
    private byte[]? OpenSession(ReadOnlySpan<byte> request)
    {
        if (request.Length < 32)
        {
            return null;
        }

        var tag = request[0];
        var consoleId = BinaryPrimitives.ReadUInt32LittleEndian(request[4..]);
        var requestedPrivilege = request[1] & 0x0F;
        if (consoleId == 0 || request[8] != 0 || request[11] != 8 || request[16] != 1 || request[19] != 8 || request[24] != 2 || request[27] != 8)
        {
            return OpenSessionError(tag, RakpStatus.IllegalParameter, consoleId);
        }

        // Suite 0 (no authentication, no integrity, no encryption) and every other weak combination end here.
        var suite = CipherSuite.Find((byte)(request[12] & 0x3F), (byte)(request[20] & 0x3F), (byte)(request[28] & 0x3F));
        if (suite is null)
        {
            return OpenSessionError(tag, RakpStatus.NoCipherSuiteMatch, consoleId);
        }

        if (requestedPrivilege > (int)Privilege.Administrator)
        {
            return OpenSessionError(tag, RakpStatus.InvalidRole, consoleId);
        }

        var maximum = requestedPrivilege == 0 ? Privilege.Administrator : (Privilege)requestedPrivilege;
        var session = sessions.Open(consoleId, suite, maximum);
        if (session is null)
        {
            return OpenSessionError(tag, RakpStatus.InsufficientResources, consoleId);
        }

        var response = new byte[36];
        response[0] = tag;
        response[2] = (byte)maximum;
        BinaryPrimitives.WriteUInt32LittleEndian(response.AsSpan(4), consoleId);
        BinaryPrimitives.WriteUInt32LittleEndian(response.AsSpan(8), session.ManagedId);
        WriteAlgorithm(response.AsSpan(12), 0, suite.AuthenticationAlgorithm);
        WriteAlgorithm(response.AsSpan(20), 1, suite.IntegrityAlgorithm);
        WriteAlgorithm(response.AsSpan(28), 2, CipherSuite.AesCbc128);
        return RmcpCodec.WritePlus((byte)PayloadType.OpenSessionResponse, 0, 0, response, null);
    }

    /// <summary>RAKP message 1 → 2: checks the user name and proves that the BMC knows the password.</summary>
    private byte[]? AnswerRakp1(ReadOnlySpan<byte> message, EndPoint remote)
    {
        if (message.Length < 28 || message.Length < 28 + message[27])
        {
            return null;
        }

        var tag = message[0];
        var session = sessions.Find(BinaryPrimitives.ReadUInt32LittleEndian(message[4..]));
        if (session is null)
        {
            return RakpError(PayloadType.Rakp2, tag, RakpStatus.InvalidSessionId, 0);
        }

        if (session.Stage != SessionStage.Opened)
        {
            return null;
        }

        var role = message[24];
        var userName = message.Slice(28, message[27]);
        var privilege = role & 0x0F;
        var status = userName.Length > MaximumUserNameLength ? RakpStatus.InvalidNameLength
            : privilege is 0 or > (int)Privilege.Administrator ? RakpStatus.InvalidRole
            : privilege > (int)session.MaximumPrivilege ? RakpStatus.UnauthorizedRole
            : !CryptographicOperations.FixedTimeEquals(userName, Credentials.UserName) ? RakpStatus.UnauthorizedName
            : RakpStatus.NoErrors;
        if (status != RakpStatus.NoErrors)
        {
            sessions.Close(session);
            LogHandshakeRefused(remote, status);
            return RakpError(PayloadType.Rakp2, tag, status, session.ConsoleId);
        }

        var rakp = new RakpState(message.Slice(8, RandomLength).ToArray(), RandomNumberGenerator.GetBytes(RandomLength), role, userName.ToArray());
        session.Rakp = rakp;
        session.MaximumPrivilege = (Privilege)privilege;
        session.Stage = SessionStage.Rakp2Sent;

        var keyExchangeCode = session.Suite.Hmac(Credentials.Password, Concat(
            Id(session.ConsoleId), Id(session.ManagedId), rakp.ConsoleRandom, rakp.BmcRandom, _guid, NameField(rakp)));
        byte[] response = [tag, 0, 0, 0, .. Id(session.ConsoleId), .. rakp.BmcRandom, .. _guid, .. keyExchangeCode];
        return RmcpCodec.WritePlus((byte)PayloadType.Rakp2, 0, 0, response, null);
    }

    /// <summary>RAKP message 3 → 4: checks the client's proof of the password, then derives the session keys.</summary>
    private byte[]? AnswerRakp3(ReadOnlySpan<byte> message, EndPoint remote)
    {
        if (message.Length < 8)
        {
            return null;
        }

        var tag = message[0];
        var session = sessions.Find(BinaryPrimitives.ReadUInt32LittleEndian(message[4..]));
        if (session is null)
        {
            return RakpError(PayloadType.Rakp4, tag, RakpStatus.InvalidSessionId, 0);
        }

        if (session.Stage != SessionStage.Rakp2Sent || session.Rakp is not { } rakp)
        {
            return null;
        }

        if (message[1] != 0)
        {
            // The client rejected our RAKP message 2 (typically: it has another password). Nothing to answer.
            sessions.Close(session);
            LogHandshakeRefused(remote, (RakpStatus)message[1]);
            return null;
        }

        var expected = session.Suite.Hmac(Credentials.Password, Concat(rakp.BmcRandom, Id(session.ConsoleId), NameField(rakp)));
        if (!CryptographicOperations.FixedTimeEquals(message[8..], expected))
        {
            sessions.Close(session);
            LogHandshakeRefused(remote, RakpStatus.InvalidIntegrityCheckValue);
            return RakpError(PayloadType.Rakp4, tag, RakpStatus.InvalidIntegrityCheckValue, session.ConsoleId);
        }

        // No BMC key (Kg) is configured, so the user key (the password) stands in for it (section 13.31).
        var sik = session.Suite.Hmac(Credentials.Password, Concat(rakp.ConsoleRandom, rakp.BmcRandom, NameField(rakp)));
        var integrityCheck = session.Suite.Hmac(sik, Concat(rakp.ConsoleRandom, Id(session.ManagedId), _guid));
        session.Crypto = new SessionCrypto(session.Suite, sik);
        session.Remote = remote as IPEndPoint;
        if (!sessions.TryActivate(session))
        {
            return RakpError(PayloadType.Rakp4, tag, RakpStatus.InsufficientResources, session.ConsoleId);
        }

        LogSessionOpened(remote, session.Suite.Id);
        byte[] response = [tag, 0, 0, 0, .. Id(session.ConsoleId), .. integrityCheck.AsSpan(0, session.Suite.IntegrityCodeLength)];
        return RmcpCodec.WritePlus((byte)PayloadType.Rakp4, 0, 0, response, null);
    }

    private async Task<byte[]?> HandleSessionAsync(ReadOnlyMemory<byte> datagram, RmcpPlusHeader header, CancellationToken cancellationToken)
    {
        var session = sessions.Find(header.SessionId);
        if (session is not { Stage: SessionStage.Active, Crypto: { } crypto }
            || !RmcpCodec.TryOpen(datagram.Span, header, crypto, out var payload)
            || !session.AcceptInboundSequence(header.Sequence)
            || IpmiRequest.TryParse(payload) is not { } request)
        {
            return null;
        }

        sessions.Touch(session);
        var closing = false;
        IpmiResponse response;
        if (session.LastExchange is { } last && IsRetry(request, last.Request))
        {
            // A client retry carries a new session sequence number but the same request sequence: answer it again without acting twice.
            response = last.Response;
        }
        else if (SessionCommands.Handles(request))
        {
            response = SessionCommands.Handle(request, session, sessions, Credentials.UserName);
        }
        else if (SolService.Handles(request))
        {
            response = sol.Handle(request, session);
        }
        else if (request.NetFn == NetFns.App && request.Command == CloseSession)
        {
            response = CloseSessionResponse(session, request.Data);
            closing = response.CompletionCode == CompletionCodes.Ok;
        }
        else
        {
            response = await commands.HandleAsync(request, session.Privilege, cancellationToken).ConfigureAwait(false);
        }

        session.LastExchange = (request, response);
        var packet = RmcpCodec.WritePlus((byte)PayloadType.Ipmi, session.ConsoleId, session.NextOutboundSequence(), request.Respond(response), crypto);
        if (closing)
        {
            sessions.Close(session);
        }

        return packet;
    }

    /// <summary>A SOL packet: only inside an active session, signed and encrypted like any other; answered with its acknowledgement.</summary>
    private byte[]? HandleSolPacket(ReadOnlyMemory<byte> datagram, RmcpPlusHeader header)
    {
        var session = header.SessionId == 0 ? null : sessions.Find(header.SessionId);
        if (session is not { Stage: SessionStage.Active, Crypto: { } crypto }
            || !RmcpCodec.TryOpen(datagram.Span, header, crypto, out var payload)
            || !session.AcceptInboundSequence(header.Sequence))
        {
            return null;
        }

        sessions.Touch(session);
        var acknowledgement = sol.HandlePacket(session, payload);
        return acknowledgement is null
            ? null
            : RmcpCodec.WritePlus((byte)PayloadType.Sol, session.ConsoleId, session.NextOutboundSequence(), acknowledgement, crypto);
    }

    private static bool IsRetry(IpmiRequest request, IpmiRequest previous) =>
        request.Sequence == previous.Sequence && request.NetFn == previous.NetFn && request.Command == previous.Command
        && request.Data.AsSpan().SequenceEqual(previous.Data);

    private static IpmiResponse CloseSessionResponse(IpmiSession session, byte[] data)
    {
        if (data.Length < 4)
        {
            return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
        }

        return BinaryPrimitives.ReadUInt32LittleEndian(data) == session.ManagedId
            ? IpmiResponse.Ok()
            : IpmiResponse.Error(CompletionCodes.InvalidSessionId);
    }

    private static byte[] OpenSessionError(byte tag, RakpStatus status, uint consoleId) =>
        RmcpCodec.WritePlus((byte)PayloadType.OpenSessionResponse, 0, 0, [tag, (byte)status, 0, 0, .. Id(consoleId)], null);

    private static byte[] RakpError(PayloadType type, byte tag, RakpStatus status, uint consoleId) =>
        RmcpCodec.WritePlus((byte)type, 0, 0, [tag, (byte)status, 0, 0, .. Id(consoleId)], null);

    private static void WriteAlgorithm(Span<byte> destination, byte payloadType, byte algorithm)
    {
        destination[0] = payloadType;
        destination[3] = 8;
        destination[4] = algorithm;
    }

    private static byte[] Id(uint sessionId)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, sessionId);
        return bytes;
    }

    /// <summary>ROLEm, ULENGTHm and UNAMEm, which end every RAKP hash input.</summary>
    private static byte[] NameField(RakpState rakp) => [rakp.Role, (byte)rakp.UserName.Length, .. rakp.UserName];

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(part => part)];

    [LoggerMessage(Level = LogLevel.Information, Message = "IPMI session refused for {Remote}: {Status}")]
    private partial void LogHandshakeRefused(EndPoint remote, RakpStatus status);

    [LoggerMessage(Level = LogLevel.Debug, Message = "IPMI session opened by {Remote} with cipher suite {Suite}")]
    private partial void LogSessionOpened(EndPoint remote, byte suite);
}

/// <summary>A BMC user: IPMI allows up to 16 bytes of name and 20 of password.</summary>
internal sealed record IpmiCredentials(byte[] UserName, byte[] Password)
{
    public static IpmiCredentials FromStrings(string userName, string password) =>
        new(System.Text.Encoding.UTF8.GetBytes(userName), System.Text.Encoding.UTF8.GetBytes(password));
}

/// <summary>RMCP+ and RAKP message status codes (table 13-15).</summary>
internal enum RakpStatus : byte
{
    NoErrors = 0x00,
    InsufficientResources = 0x01,
    InvalidSessionId = 0x02,
    InvalidRole = 0x09,
    UnauthorizedRole = 0x0A,
    InvalidNameLength = 0x0C,
    UnauthorizedName = 0x0D,
    InvalidIntegrityCheckValue = 0x0F,
    NoCipherSuiteMatch = 0x11,
    IllegalParameter = 0x12,
}
