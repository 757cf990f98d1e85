using System.Security.Cryptography;

namespace VMetal.Bmc.Redfish;

/// <summary>
/// Redfish sessions (X-Auth-Token). Bounded per workspace: when a workspace has its maximum, its least recently
/// used session goes (clients that log in per request and never log out, as Ironic may, cannot pile sessions up,
/// nor push out another workspace's); a session unused for longer than the timeout is gone.
/// </summary>
internal sealed class RedfishSessionStore(TimeProvider time, int capacityPerWorkspace, TimeSpan timeout)
{
    private readonly Dictionary<string, RedfishSession> _byToken = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public TimeSpan Timeout { get; } = timeout;

    public RedfishSession Create(RedfishTenant tenant)
    {
        lock (_lock)
        {
            RemoveExpired();
            var ofWorkspace = _byToken.Values.Where(s => s.Tenant.Workspace == tenant.Workspace).ToList();
            if (ofWorkspace.Count >= capacityPerWorkspace)
            {
                _byToken.Remove(ofWorkspace.MinBy(s => s.LastUsed)!.Token);
            }

            var session = new RedfishSession(
                Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
                Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                tenant,
                time.GetUtcNow());
            _byToken.Add(session.Token, session);
            return session;
        }
    }

    /// <summary>The live session for a token (its idle time restarts), or null.</summary>
    public RedfishSession? Use(string token)
    {
        lock (_lock)
        {
            if (!_byToken.TryGetValue(token, out var session))
            {
                return null;
            }

            var now = time.GetUtcNow();
            if (now - session.LastUsed > Timeout)
            {
                _byToken.Remove(token);
                return null;
            }

            session.LastUsed = now;
            return session;
        }
    }

    /// <summary>The sessions of one workspace (a tenant never sees another's).</summary>
    public IReadOnlyList<RedfishSession> Of(string workspace)
    {
        lock (_lock)
        {
            RemoveExpired();
            return [.. _byToken.Values.Where(s => s.Tenant.Workspace == workspace).OrderBy(s => s.Created)];
        }
    }

    public bool Delete(string workspace, string id)
    {
        lock (_lock)
        {
            var session = _byToken.Values.FirstOrDefault(s => s.Id == id && s.Tenant.Workspace == workspace);
            return session is not null && _byToken.Remove(session.Token);
        }
    }

    private void RemoveExpired()
    {
        var now = time.GetUtcNow();
        foreach (var session in _byToken.Values.Where(s => now - s.LastUsed > Timeout).ToList())
        {
            _byToken.Remove(session.Token);
        }
    }
}

/// <summary>A session belongs to a workspace and to the credentials it was opened with: it dies with either.</summary>
internal sealed class RedfishSession(string id, string token, RedfishTenant tenant, DateTimeOffset created)
{
    public string Id { get; } = id;

    public string Token { get; } = token;

    public RedfishTenant Tenant { get; } = tenant;

    /// <summary>The current tenant this session still belongs to on a listener, or null (credentials changed, workspace gone or elsewhere).</summary>
    public RedfishTenant? ResolveOn(RedfishListener listener) =>
        listener.Tenants.FirstOrDefault(t => t.Workspace == Tenant.Workspace && t.HasSameCredentials(Tenant));

    public DateTimeOffset Created { get; } = created;

    public DateTimeOffset LastUsed { get; set; } = created;
}
