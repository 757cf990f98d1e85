namespace VMetal.Bmc.Ipmi;

/// <summary>One RMCP+ session of one BMC, from Open Session to Close Session or timeout.</summary>
internal sealed class IpmiSession : IDisposable
{
    // Inbound session sequence numbers are accepted up to this far ahead of or behind the highest seen (section 6.12.13).
    private const uint SequenceWindow = 16;

    private uint _highestInbound;
    private uint _seenInbound;
    private uint _outbound;
    private readonly CancellationTokenSource _closed = new();

    public IpmiSession(uint managedId, byte handle, uint consoleId, CipherSuite suite, Privilege maximumPrivilege, DateTimeOffset now)
    {
        ManagedId = managedId;
        Handle = handle;
        ConsoleId = consoleId;
        Suite = suite;
        MaximumPrivilege = maximumPrivilege;
        Created = now;
        LastActivity = now;
    }

    /// <summary>Our session id (SIDc): inbound packets carry it.</summary>
    public uint ManagedId { get; }

    /// <summary>The small number Get Session Info names the session by (1 to 255, unique among the BMC's sessions).</summary>
    public byte Handle { get; }

    /// <summary>Where the console talks from: set when the handshake completes.</summary>
    public System.Net.IPEndPoint? Remote { get; set; }

    /// <summary>The remote console's session id (SIDm): outbound packets carry it.</summary>
    public uint ConsoleId { get; }

    public CipherSuite Suite { get; }

    public SessionStage Stage { get; set; } = SessionStage.Opened;

    public DateTimeOffset Created { get; }

    public DateTimeOffset LastActivity { get; set; }

    /// <summary>Highest privilege the session may take; lowered by the role RAKP message 1 asks for.</summary>
    public Privilege MaximumPrivilege { get; set; }

    /// <summary>Sessions start at User level; Set Session Privilege Level raises it (section 22.18).</summary>
    public Privilege Privilege { get; set; } = Privilege.User;

    /// <summary>The RAKP exchange: Rm, Rc, the requested role byte and the user name.</summary>
    public RakpState? Rakp { get; set; }

    public SessionCrypto? Crypto { get; set; }

    /// <summary>The last request answered and its response, so that a client's retry is not run twice.</summary>
    public (IpmiRequest Request, IpmiResponse Response)? LastExchange { get; set; }

    /// <summary>Takes an inbound sequence number; false for zero, a replay, or a number outside the window.</summary>
    public bool AcceptInboundSequence(uint sequence)
    {
        if (sequence == 0)
        {
            return false;
        }

        if (sequence > _highestInbound)
        {
            var ahead = sequence - _highestInbound;
            if (ahead > SequenceWindow)
            {
                return false;
            }

            _seenInbound = (_seenInbound << (int)ahead) | 1;
            _highestInbound = sequence;
            return true;
        }

        var behind = _highestInbound - sequence;
        if (behind >= SequenceWindow || (_seenInbound & (1u << (int)behind)) != 0)
        {
            return false;
        }

        _seenInbound |= 1u << (int)behind;
        return true;
    }

    /// <summary>Sequence numbers of our packets start at 1 and skip 0 on wrap.</summary>
    public uint NextOutboundSequence()
    {
        // Serial-over-LAN sends from other tasks than the endpoint's loop.
        var next = Interlocked.Increment(ref _outbound);
        return next != 0 ? next : Interlocked.Increment(ref _outbound);
    }

    /// <summary>Cancelled when the session ends (closed, timed out or evicted): what it activated ends with it.</summary>
    public CancellationToken Closed => _closed.Token;

    public void Dispose()
    {
        _closed.Cancel();
        Crypto?.Dispose();
    }
}

internal enum SessionStage
{
    /// <summary>Open Session answered; waiting for RAKP message 1.</summary>
    Opened,
    /// <summary>RAKP message 2 sent; waiting for RAKP message 3.</summary>
    Rakp2Sent,
    Active,
}

/// <param name="ConsoleRandom">Rm, from RAKP message 1.</param>
/// <param name="BmcRandom">Rc, from RAKP message 2.</param>
/// <param name="Role">The requested role byte exactly as sent (name-only lookup bit included): it is hashed.</param>
internal sealed record RakpState(byte[] ConsoleRandom, byte[] BmcRandom, byte Role, byte[] UserName);
