using System.Security.Cryptography;

namespace VMetal.Bmc.Ipmi;

/// <summary>
/// The sessions of one BMC. Bounded: handshakes that never finish are evicted oldest first (so a flood of
/// Open Session requests cannot lock users out), active sessions are capped and time out when idle. When every
/// active slot is taken, the longest idle session makes room if it has been idle a while: clients killed without
/// closing their session (ipmitool under a timeout) would otherwise lock everyone out until the idle timeout.
/// </summary>
internal sealed class IpmiSessionTable(TimeProvider time, IpmiSessionLimits limits) : IDisposable
{
    private readonly Dictionary<uint, IpmiSession> _sessions = [];
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _sessions.Count;
            }
        }
    }

    /// <summary>A new session in the Opened stage, or null when every active slot is taken.</summary>
    public IpmiSession? Open(uint consoleId, CipherSuite suite, Privilege maximumPrivilege)
    {
        lock (_lock)
        {
            RemoveExpired();
            if (!HasActiveSlot())
            {
                return null;
            }

            var pending = _sessions.Values.Where(s => s.Stage != SessionStage.Active).OrderBy(s => s.Created).ToList();
            if (pending.Count >= limits.MaximumPending)
            {
                Remove(pending[0]);
            }

            var session = new IpmiSession(NewSessionId(), NewHandle(), consoleId, suite, maximumPrivilege, time.GetUtcNow());
            _sessions.Add(session.ManagedId, session);
            return session;
        }
    }

    /// <summary>Marks a finished handshake active; false (and the session is dropped) when every active slot is taken.</summary>
    public bool TryActivate(IpmiSession session)
    {
        lock (_lock)
        {
            if (!HasActiveSlot())
            {
                Remove(session);
                return false;
            }

            session.Stage = SessionStage.Active;
            session.LastActivity = time.GetUtcNow();
            return true;
        }
    }

    /// <summary>The live session with this id; an expired one is removed and not returned.</summary>
    public IpmiSession? Find(uint managedId)
    {
        lock (_lock)
        {
            if (!_sessions.TryGetValue(managedId, out var session))
            {
                return null;
            }

            if (IsExpired(session, time.GetUtcNow()))
            {
                Remove(session);
                return null;
            }

            return session;
        }
    }

    /// <summary>How many sessions may be established at once.</summary>
    public int MaximumActive => limits.MaximumActive;

    /// <summary>The established sessions, by handle.</summary>
    public IReadOnlyList<IpmiSession> Active
    {
        get
        {
            lock (_lock)
            {
                var now = time.GetUtcNow();
                return [.. _sessions.Values.Where(s => s.Stage == SessionStage.Active && !IsExpired(s, now)).OrderBy(s => s.Handle)];
            }
        }
    }

    /// <summary>Records activity on an active session, which postpones its idle timeout.</summary>
    public void Touch(IpmiSession session) => session.LastActivity = time.GetUtcNow();

    public void Close(IpmiSession session)
    {
        lock (_lock)
        {
            Remove(session);
        }
    }

    public void RemoveExpired()
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            foreach (var session in _sessions.Values.Where(s => IsExpired(s, now)).ToList())
            {
                Remove(session);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var session in _sessions.Values)
            {
                session.Dispose();
            }

            _sessions.Clear();
        }
    }

    /// <summary>Whether an active session fits, after evicting the longest idle one if it has been idle long enough.</summary>
    private bool HasActiveSlot()
    {
        var active = _sessions.Values.Where(s => s.Stage == SessionStage.Active).ToList();
        if (active.Count < limits.MaximumActive)
        {
            return true;
        }

        var idlest = active.MinBy(s => s.LastActivity)!;
        if (time.GetUtcNow() - idlest.LastActivity < limits.EvictableAfterIdle)
        {
            return false;
        }

        Remove(idlest);
        return true;
    }

    private bool IsExpired(IpmiSession session, DateTimeOffset now) => session.Stage == SessionStage.Active
        ? now - session.LastActivity > limits.IdleTimeout
        : now - session.Created > limits.HandshakeTimeout;

    private void Remove(IpmiSession session)
    {
        _sessions.Remove(session.ManagedId);
        session.Dispose();
    }

    /// <summary>The lowest handle no session holds; there are far fewer sessions than handles.</summary>
    private byte NewHandle()
    {
        byte handle = 1;
        while (_sessions.Values.Any(s => s.Handle == handle))
        {
            handle++;
        }

        return handle;
    }

    private uint NewSessionId()
    {
        uint id;
        do
        {
            id = BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));
        }
        while (id == 0 || _sessions.ContainsKey(id));

        return id;
    }
}

/// <param name="MaximumPending">Handshakes in progress at once.</param>
/// <param name="MaximumActive">
/// Established sessions at once; when all are busy (none idle for <paramref name="EvictableAfterIdle"/>), more are refused with
/// "insufficient resources".
/// </param>
/// <param name="EvictableAfterIdle">How long an active session must have been idle to give its slot to a new one when all are taken.</param>
internal sealed record IpmiSessionLimits(
    int MaximumPending, int MaximumActive, TimeSpan HandshakeTimeout, TimeSpan IdleTimeout, TimeSpan EvictableAfterIdle)
{
    /// <summary>
    /// IPMI's default session inactivity timeout is 60 seconds (section 6.12.15). A command of a working client comes within
    /// a second or two of the last, so 5 s idle marks a session nobody uses any more when the table is full.
    /// </summary>
    public static readonly IpmiSessionLimits Default = new(8, 8, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(5));
}
