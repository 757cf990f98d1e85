namespace VMetal.Libvirt;

/// <summary>How <see cref="LibvirtClient.ConnectAsync"/> opens and runs a connection.</summary>
public sealed record LibvirtClientOptions
{
    /// <summary>The libvirt URI libvirtd should open on its side.</summary>
    public string Uri { get; init; } = "qemu:///system";

    /// <summary>Open the connection read-only (VIR_CONNECT_RO).</summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// Idle time after which the client pings libvirtd; zero or negative disables keepalive.
    /// libvirtd pings too once asked, and the client always answers.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Unanswered pings after which the peer is declared dead and every pending call fails.</summary>
    public int KeepAliveCount { get; init; } = 5;

    /// <summary>
    /// Longest wait for one reply (a live but stuck daemon); <see cref="Timeout.InfiniteTimeSpan"/>
    /// disables it. A dead peer is found by keepalive much sooner.
    /// </summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Clock for timeouts and keepalive (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
