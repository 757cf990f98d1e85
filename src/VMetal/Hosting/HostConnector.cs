namespace VMetal.Hosting;

/// <summary>Everything needed to open a host: where, with which key, trusting which host keys.</summary>
public sealed record HostSettings(HostTarget Target)
{
    public string? KeyPath { get; init; }

    public string? KeyPassphrase { get; init; }

    public string KnownHostsPath { get; init; } = KnownHostsFile.DefaultPath;

    public bool AcceptNewHostKey { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>Opens host connections; a seam so commands can run against fakes in tests.</summary>
public interface IHostConnector
{
    Task<IHostConnection> ConnectAsync(HostSettings settings, CancellationToken cancellationToken = default);
}

/// <summary>Opens this machine for <c>local</c>, SSH for anything else.</summary>
public sealed class HostConnector : IHostConnector
{
    public async Task<IHostConnection> ConnectAsync(HostSettings settings, CancellationToken cancellationToken = default)
    {
        if (settings.Target.IsLocal)
            return new LocalHostConnection();
        return await SshHostConnection.ConnectAsync(new SshConnectOptions(settings.Target)
        {
            KeyPath = settings.KeyPath,
            KeyPassphrase = settings.KeyPassphrase,
            KnownHostsPath = settings.KnownHostsPath,
            AcceptNewHostKey = settings.AcceptNewHostKey,
            ConnectTimeout = settings.ConnectTimeout,
        }, cancellationToken);
    }
}
