namespace VMetal.Libvirt;

/// <summary>virDomainEventType.</summary>
public enum DomainEventType
{
    Defined = 0,
    Undefined = 1,
    Started = 2,
    Suspended = 3,
    Resumed = 4,
    Stopped = 5,
    Shutdown = 6,
    PmSuspended = 7,
    Crashed = 8,
}

/// <summary>
/// A domain lifecycle event. <see cref="Detail"/> depends on <see cref="Event"/>
/// (virDomainEventStoppedDetailType etc.), e.g. Stopped/1 = destroyed, Started/0 = booted.
/// </summary>
public sealed record DomainLifecycleEvent(DomainRef Domain, DomainEventType Event, int Detail);

/// <summary>The guest rebooted (VIR_DOMAIN_EVENT_ID_REBOOT).</summary>
public sealed record DomainRebootEvent(DomainRef Domain);

/// <summary>virNetworkEventLifecycleType.</summary>
public enum NetworkEventType
{
    Defined = 0,
    Undefined = 1,
    Started = 2,
    Stopped = 3,
}

/// <summary>A network lifecycle event.</summary>
public sealed record NetworkLifecycleEvent(NetworkRef Network, NetworkEventType Event, int Detail);
