using System.Buffers.Binary;
using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using VMetal.Bmc.Machines;

namespace VMetal.Bmc.Ipmi;

/// <summary>
/// IPMI Serial-over-LAN (section 15, 24) for one machine's BMC: one SOL payload instance, activated by a session
/// (Activate Payload), carried in that session's packets (signed and encrypted like every other payload) and ended by
/// Deactivate Payload from any session or by the end of the owning session. While active, the machine's serial console
/// is attached whenever the machine runs: activating while it is off succeeds and the firmware's first lines arrive
/// once it starts, as on a real server whose BMC outlives host power cycles.
/// </summary>
/// <remarks>
/// Outbound (machine → console): one data packet in flight at a time; it is sent again with the same sequence number
/// until acknowledged, at most <see cref="RetryCount"/> times <see cref="RetryInterval"/> apart, then dropped. A partial
/// acknowledgement sends the rest in the next packet. Inbound (console → machine): every data packet is acknowledged at
/// once; a repeated sequence number (the acknowledgement was lost) is acknowledged again without typing twice; while the
/// machine is off the characters are refused (NACK, "character transfer unavailable"), which ipmitool drops.
/// </remarks>
internal sealed partial class SolService : IAsyncDisposable
{
    public const byte ActivatePayload = 0x48;
    public const byte DeactivatePayload = 0x49;
    public const byte GetPayloadActivationStatus = 0x4A;
    public const byte GetPayloadInstanceInfo = 0x4B;
    public const byte GetChannelPayloadSupport = 0x4E;
    public const byte GetChannelPayloadVersion = 0x4F;

    /// <summary>Largest SOL payload either way, header included; the accepted-character count is one byte.</summary>
    public const int PayloadSize = 255;

    public const int MaximumCharacters = PayloadSize - SolPacket.HeaderLength;

    /// <summary>SOL retry parameter (section 26.6, parameter 4): attempts after the first, and the wait for an acknowledgement.</summary>
    public const int RetryCount = 7;

    public static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(500);

    private const byte Instance = 1;
    private const byte PayloadAlreadyActive = 0x80;
    private const byte PayloadTypeDisabled = 0x81;
    private const byte CannotActivateWithoutEncryption = 0x84;
    private const byte AuxEncryption = 0x80;
    private const byte AuxAuthentication = 0x40;

    // Guest output waiting for the remote console; beyond this the machine's console is not read until it drains.
    private const int MaximumPending = 64 * 1024;

    private static readonly TimeSpan ReopenDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PowerPollInterval = TimeSpan.FromSeconds(5);

    private readonly IMachineBackend _backend;
    private readonly Guid _machineId;
    private readonly IpmiSessionTable _sessions;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Func<byte[], EndPoint, ValueTask> _send = static (_, _) => ValueTask.CompletedTask;
    private ushort _port = 623;
    private Activation? _active;

    public SolService(IMachineBackend backend, Guid machineId, IpmiSessionTable sessions, TimeProvider time, ILogger logger)
    {
        _backend = backend;
        _machineId = machineId;
        _sessions = sessions;
        _time = time;
        _logger = logger;
    }

    public SolConfiguration Configuration { get; } = new();

    /// <summary>Where unsolicited packets go out, and the UDP port Activate Payload names (the machine's BMC port).</summary>
    public void AttachSender(Func<byte[], EndPoint, ValueTask> send, int port)
    {
        _send = send;
        _port = (ushort)port;
    }

    public static bool Handles(IpmiRequest request) =>
        (request.NetFn == NetFns.App && request.Command is ActivatePayload or DeactivatePayload or GetPayloadActivationStatus
            or GetPayloadInstanceInfo or GetChannelPayloadSupport or GetChannelPayloadVersion)
        || (request.NetFn == NetFns.Transport && request.Command is SolConfiguration.SetParameters or SolConfiguration.GetParameters);

    public IpmiResponse Handle(IpmiRequest request, IpmiSession session) => (request.NetFn, request.Command) switch
    {
        (NetFns.App, ActivatePayload) => Activate(request.Data, session),
        (NetFns.App, DeactivatePayload) => Deactivate(request.Data, session),
        (NetFns.App, GetPayloadActivationStatus) => ActivationStatus(request.Data),
        (NetFns.App, GetPayloadInstanceInfo) => InstanceInfo(request.Data),
        (NetFns.App, GetChannelPayloadSupport) => PayloadSupport(request.Data),
        (NetFns.App, _) => PayloadVersion(request.Data),
        (_, SolConfiguration.GetParameters) => Configuration.Get(request.Data, _port),
        _ => session.Privilege < Privilege.Administrator
            ? IpmiResponse.Error(CompletionCodes.InsufficientPrivilege)
            : Configuration.Set(request.Data),
    };

    /// <summary>
    /// A SOL packet of an authenticated session. Returns the acknowledgement to send back, or null (nothing to
    /// acknowledge, or the session has no active SOL: ignored, as the spec says).
    /// </summary>
    public byte[]? HandlePacket(IpmiSession session, ReadOnlyMemory<byte> payload)
    {
        if (SolPacket.TryParse(payload) is not { } packet)
        {
            return null;
        }

        byte[]? next = null;
        byte[]? acknowledgement = null;
        Activation? active;
        lock (_lock)
        {
            active = _active;
            if (active is null || active.Session != session)
            {
                return null;
            }

            // A NACK means the console cannot take characters now: the packet stays in flight and the retry timer sends it again.
            if (packet.AckSequence != 0 && active.InFlight is { } inFlight && packet.AckSequence == inFlight.Sequence
                && (packet.Flags & SolPacket.Nack) == 0)
            {
                var accepted = Math.Min(packet.AcceptedCount, inFlight.Data.Length);
                active.Pending.InsertRange(0, inFlight.Data[accepted..]);
                active.InFlight = null;
                next = active.TakeNextPacket(_time.GetTimestamp());
            }

            if (packet.Sequence != 0 && !packet.Data.IsEmpty)
            {
                acknowledgement = Acknowledge(active, packet);
            }
        }

        if (next is not null)
        {
            _ = SendAsync(active, next);
        }

        return acknowledgement;
    }

    public async ValueTask DisposeAsync()
    {
        Activation? active;
        lock (_lock)
        {
            active = _active;
            _active = null;
        }

        if (active is not null)
        {
            await active.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Characters typed at the console: passed on once, acknowledged every time.</summary>
    private static byte[] Acknowledge(Activation active, SolPacket packet)
    {
        if (packet.Sequence == active.LastInboundSequence)
        {
            return new SolPacket(0, packet.Sequence, active.LastInboundAccepted, 0, default).Encode();
        }

        if (active.Console is null || !active.ToConsole.Writer.TryWrite(packet.Data.ToArray()))
        {
            // Not recorded: a later retry of this packet, once the machine runs, is new data.
            active.LastInboundSequence = 0;
            return new SolPacket(0, packet.Sequence, 0, SolPacket.Nack | SolPacket.CharacterTransferUnavailable, default).Encode();
        }

        active.LastInboundSequence = packet.Sequence;
        active.LastInboundAccepted = (byte)Math.Min(packet.Data.Length, byte.MaxValue);
        return new SolPacket(0, packet.Sequence, active.LastInboundAccepted, 0, default).Encode();
    }

    /// <summary>Request: payload type, instance, four bytes of auxiliary data (table 24-2).</summary>
    private IpmiResponse Activate(byte[] data, IpmiSession session)
    {
        if (data.Length != 6)
        {
            return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
        }

        if ((data[0] & 0x3F) != (byte)PayloadType.Sol || data[1] != Instance)
        {
            return IpmiResponse.Error(CompletionCodes.InvalidDataField);
        }

        if (!Configuration.Enabled)
        {
            return IpmiResponse.Error(PayloadTypeDisabled);
        }

        if (session.Privilege < Configuration.Privilege)
        {
            return IpmiResponse.Error(CompletionCodes.InsufficientPrivilege);
        }

        // Every packet of a session is signed and encrypted; a console that wants SOL without either cannot have it.
        if ((data[2] & (AuxEncryption | AuxAuthentication)) != (AuxEncryption | AuxAuthentication))
        {
            return IpmiResponse.Error(CannotActivateWithoutEncryption);
        }

        DropIfOwnerGone();
        var remote = session.Remote ?? throw new InvalidOperationException("an active session has a remote address");
        var activation = new Activation(this, session, remote);
        lock (_lock)
        {
            if (_active is not null)
            {
                return IpmiResponse.Error(PayloadAlreadyActive);
            }

            _active = activation;
        }

        activation.Start();
        LogActivated(_machineId, remote);
        byte[] size = [PayloadSize & 0xFF, PayloadSize >> 8];
        return IpmiResponse.Ok([0, 0, 0, 0, .. size, .. size, (byte)_port, (byte)(_port >> 8), 0xFF, 0xFF]); // no VLAN
    }

    /// <summary>Any session may end the instance (ipmitool's <c>sol deactivate</c>, Ironic before it starts a console).</summary>
    private IpmiResponse Deactivate(byte[] data, IpmiSession session)
    {
        if (data.Length != 6)
        {
            return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
        }

        if ((data[0] & 0x3F) != (byte)PayloadType.Sol || data[1] != Instance)
        {
            return IpmiResponse.Error(CompletionCodes.InvalidDataField);
        }

        if (session.Privilege < Configuration.Privilege)
        {
            return IpmiResponse.Error(CompletionCodes.InsufficientPrivilege);
        }

        DropIfOwnerGone();
        Activation? active;
        lock (_lock)
        {
            active = _active;
            _active = null;
        }

        if (active is null)
        {
            return IpmiResponse.Error(PayloadAlreadyActive); // "payload already deactivated"
        }

        LogDeactivated(_machineId, active.Session == session ? "by its session" : "by another session");
        _ = active.EndAsync(tellConsole: active.Session != session);
        return IpmiResponse.Ok();
    }

    /// <summary>An owner that timed out is only removed when looked up: look it up, which ends its SOL (see <see cref="Activation"/>).</summary>
    private void DropIfOwnerGone()
    {
        Activation? active;
        lock (_lock)
        {
            active = _active;
        }

        if (active is not null && _sessions.Find(active.Session.ManagedId) != active.Session)
        {
            Detach(active);
        }
    }

    /// <summary>Takes the instance away from <paramref name="activation"/> if it still holds it; ends it in the background.</summary>
    private void Detach(Activation activation)
    {
        lock (_lock)
        {
            if (_active != activation)
            {
                return;
            }

            _active = null;
        }

        LogDeactivated(_machineId, "with its session");
        _ = Task.Run(() => activation.EndAsync());
    }

    private IpmiResponse ActivationStatus(byte[] data)
    {
        if (data.Length != 1)
        {
            return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
        }

        if ((data[0] & 0x3F) != (byte)PayloadType.Sol)
        {
            return IpmiResponse.Error(CompletionCodes.InvalidDataField);
        }

        DropIfOwnerGone();
        return IpmiResponse.Ok(Instance, Volatile.Read(ref _active) is null ? (byte)0 : (byte)1, 0); // one instance; bit 0 = instance 1
    }

    /// <summary>The owning session's id and the serial port (1, the system's first) it is connected to; zeros when inactive.</summary>
    private IpmiResponse InstanceInfo(byte[] data)
    {
        if (data.Length != 2)
        {
            return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
        }

        if ((data[0] & 0x3F) != (byte)PayloadType.Sol || data[1] != Instance)
        {
            return IpmiResponse.Error(CompletionCodes.InvalidDataField);
        }

        DropIfOwnerGone();
        var response = new byte[12];
        if (Volatile.Read(ref _active) is { } active)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(response, active.Session.ManagedId);
            response[4] = 1;
        }

        return IpmiResponse.Ok(response);
    }

    /// <summary>Standard payloads IPMI and SOL; session setup payloads Open Session Request/Response and RAKP 1-4 (table 24-5).</summary>
    private static IpmiResponse PayloadSupport(byte[] data) =>
        data.Length != 1 ? IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid)
        : !ChannelCommands.IsOurChannel(data[0] & 0x0F) ? IpmiResponse.Error(CompletionCodes.InvalidDataField)
        : IpmiResponse.Ok(0x03, 0, 0x3F, 0, 0, 0, 0, 0);

    private static IpmiResponse PayloadVersion(byte[] data) =>
        data.Length != 2 ? IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid)
        : !ChannelCommands.IsOurChannel(data[0] & 0x0F) ? IpmiResponse.Error(CompletionCodes.InvalidDataField)
        : data[1] is (byte)PayloadType.Ipmi or (byte)PayloadType.Sol ? IpmiResponse.Ok(0x10) // format version 1.0
        : IpmiResponse.Error(0x80); // payload type not available on this channel

    private async Task SendAsync(Activation activation, byte[] payload)
    {
        try
        {
            var datagram = RmcpCodec.WritePlus((byte)PayloadType.Sol, activation.Session.ConsoleId, activation.Session.NextOutboundSequence(),
                payload, activation.Session.Crypto!);
            await _send(datagram, activation.Remote).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The session closed meanwhile; its SOL is being ended.
        }
#pragma warning disable CA1031 // A failed send is a lost datagram: the retry timer covers it.
        catch (Exception error)
#pragma warning restore CA1031
        {
            LogSendFailed(_machineId, error.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Serial-over-LAN for machine {MachineId} activated by {Remote}")]
    private partial void LogActivated(Guid machineId, EndPoint remote);

    [LoggerMessage(Level = LogLevel.Information, Message = "Serial-over-LAN for machine {MachineId} deactivated {How}")]
    private partial void LogDeactivated(Guid machineId, string how);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Serial-over-LAN for machine {MachineId}: {Reason}")]
    private partial void LogConsoleProblem(Guid machineId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Serial-over-LAN packet for machine {MachineId} not sent: {Reason}")]
    private partial void LogSendFailed(Guid machineId, string reason);

    /// <summary>
    /// The active instance: its owning session, the outbound window, and the tasks that attach the machine's console and
    /// type into it. The service's lock guards every field the packet handler and the console task share.
    /// </summary>
    private sealed class Activation : IAsyncDisposable
    {
        private readonly SolService _service;
        private readonly CancellationTokenSource _stop = new();
        private readonly CancellationTokenRegistration _sessionClosed;
        private ITimer? _retryTimer;
        private Task _pump = Task.CompletedTask;
        private Task _typist = Task.CompletedTask;
        private byte _nextSequence = 1;
        private IMachineConsole? _console;
        private TaskCompletionSource _room = CompletedRoom();

        public Activation(SolService service, IpmiSession session, EndPoint remote)
        {
            _service = service;
            Session = session;
            Remote = remote;
            _sessionClosed = session.Closed.Register(() => service.Detach(this));
        }

        public IpmiSession Session { get; }

        public EndPoint Remote { get; }

        /// <summary>Machine output not yet sent.</summary>
        public List<byte> Pending { get; } = [];

        public (byte Sequence, byte[] Data, int Attempts, long SentAt)? InFlight { get; set; }

        public byte LastInboundSequence { get; set; }

        public byte LastInboundAccepted { get; set; }

        /// <summary>The attached console; null while the machine is off (or its console is being reopened).</summary>
        public IMachineConsole? Console
        {
            get => Volatile.Read(ref _console);
            private set => Volatile.Write(ref _console, value);
        }

        public Channel<byte[]> ToConsole { get; } = Channel.CreateBounded<byte[]>(64);

        public void Start()
        {
            _retryTimer = _service._time.CreateTimer(_ => Retry(), null, RetryInterval, RetryInterval);
            _pump = Task.Run(PumpAsync);
            _typist = Task.Run(TypeAsync);
        }

        /// <summary>The next data packet (under the service's lock), or null when nothing waits or one is in flight.</summary>
        public byte[]? TakeNextPacket(long now)
        {
            if (InFlight is not null || Pending.Count == 0)
            {
                return null;
            }

            var data = Pending.GetRange(0, Math.Min(Pending.Count, MaximumCharacters)).ToArray();
            Pending.RemoveRange(0, data.Length);
            if (Pending.Count < MaximumPending)
            {
                _room.TrySetResult();
            }

            var sequence = _nextSequence;
            _nextSequence = (byte)(_nextSequence % 15 + 1);
            InFlight = (sequence, data, 0, now);
            return new SolPacket(sequence, 0, 0, 0, data).Encode();
        }

        public ValueTask DisposeAsync() => new(EndAsync());

        /// <summary>Stops the retries and the console tasks and disconnects the console; with <paramref name="tellConsole"/>, says so first.</summary>
        public async Task EndAsync(bool tellConsole = false)
        {
            await _sessionClosed.DisposeAsync().ConfigureAwait(false);
            if (_retryTimer is not null)
            {
                await _retryTimer.DisposeAsync().ConfigureAwait(false);
            }

            if (tellConsole)
            {
                await _service.SendAsync(this, new SolPacket(0, 0, 0, SolPacket.Deactivating, default).Encode()).ConfigureAwait(false);
            }

            await _stop.CancelAsync().ConfigureAwait(false);
            ToConsole.Writer.TryComplete();
            await Task.WhenAll(_pump, _typist).ConfigureAwait(false);
            _stop.Dispose();
        }

        /// <summary>Attaches the console whenever the machine runs, and queues what it prints.</summary>
        private async Task PumpAsync()
        {
            var buffer = new byte[MaximumCharacters * 4];
            var stop = _stop.Token;
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    IMachineConsole console;
                    try
                    {
                        console = await _service._backend.OpenConsoleAsync(_service._machineId, stop).ConfigureAwait(false);
                    }
                    catch (MachineOperationException error)
                    {
                        if (error.Kind != MachineErrorKind.InvalidState)
                        {
                            _service.LogConsoleProblem(_service._machineId, error.Message);
                        }

                        await WaitUntilRunningAsync(stop).ConfigureAwait(false);
                        continue;
                    }

                    Console = console;
                    try
                    {
                        int read;
                        while ((read = await console.ReadAsync(buffer, stop).ConfigureAwait(false)) > 0)
                        {
                            // Backpressure: a slow remote console leaves the output in the machine console's buffer.
                            await Queue(buffer.AsSpan(0, read)).WaitAsync(stop).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        Console = null;
                        await console.DisposeAsync().ConfigureAwait(false);
                    }

                    await WaitUntilRunningAsync(stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Deactivated.
            }
        }

        /// <summary>Types what the console sent, in order, into the attached console; dropped if it ended meanwhile.</summary>
        private async Task TypeAsync()
        {
            await foreach (var characters in ToConsole.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                try
                {
                    if (Console is { } console)
                    {
                        await console.WriteAsync(characters, _stop.Token).ConfigureAwait(false);
                    }
                }
                catch (MachineOperationException error)
                {
                    _service.LogConsoleProblem(_service._machineId, error.Message);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        /// <summary>Queues output and sends it if nothing is in flight; completes when there is room for more.</summary>
        private Task Queue(ReadOnlySpan<byte> output)
        {
            byte[]? next;
            Task room;
            lock (_service._lock)
            {
                if (_service._active != this)
                {
                    return Task.CompletedTask;
                }

                Pending.AddRange(output);
                next = TakeNextPacket(_service._time.GetTimestamp());
                if (Pending.Count >= MaximumPending && _room.Task.IsCompleted)
                {
                    _room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                room = _room.Task;
            }

            if (next is not null)
            {
                _ = _service.SendAsync(this, next);
            }

            return room;
        }

        private static TaskCompletionSource CompletedRoom()
        {
            var room = new TaskCompletionSource();
            room.SetResult();
            return room;
        }

        /// <summary>Sends the unacknowledged packet again, the same sequence number and characters; gives up after the retries.</summary>
        private void Retry()
        {
            byte[]? packet = null;
            lock (_service._lock)
            {
                if (_service._active != this || InFlight is not { } inFlight
                    || _service._time.GetElapsedTime(inFlight.SentAt) < RetryInterval)
                {
                    return;
                }

                var now = _service._time.GetTimestamp();
                if (inFlight.Attempts >= RetryCount)
                {
                    InFlight = null; // the console is not listening; its characters are lost, as on a real BMC
                    packet = TakeNextPacket(now);
                }
                else
                {
                    InFlight = inFlight with { Attempts = inFlight.Attempts + 1, SentAt = now };
                    packet = new SolPacket(inFlight.Sequence, 0, 0, 0, inFlight.Data).Encode();
                }
            }

            if (packet is not null)
            {
                _ = _service.SendAsync(this, packet);
            }
        }

        /// <summary>Returns once the machine runs (at once if it does, after a pause against a console that keeps failing).</summary>
        private async Task WaitUntilRunningAsync(CancellationToken stop)
        {
            if (_service._backend.Find(_service._machineId)?.Power == PowerState.On)
            {
                await Task.Delay(ReopenDelay, _service._time, stop).ConfigureAwait(false);
                return;
            }

            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnChanged(object? sender, MachineChangedEventArgs change)
            {
                if (change.Id == _service._machineId && change.Current?.Power == PowerState.On)
                {
                    started.TrySetResult();
                }
            }

            _service._backend.Changed += OnChanged;
            try
            {
                if (_service._backend.Find(_service._machineId)?.Power != PowerState.On)
                {
                    await started.Task.WaitAsync(PowerPollInterval, _service._time, stop).ConfigureAwait(false);
                }
            }
            catch (TimeoutException)
            {
                // Checked again by the caller's next attempt.
            }
            finally
            {
                _service._backend.Changed -= OnChanged;
            }
        }
    }
}
