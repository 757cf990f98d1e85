using System.Net;
using Microsoft.Extensions.Logging;
using VMetal.Bmc.Machines;

namespace VMetal.Bmc.Ipmi;

/// <summary>
/// The in-session IPMI commands of one machine's BMC: device id, self test, system GUID, channel access, LAN
/// configuration, chassis status and control, boot options, and the (empty) SDR repository and SEL and the FRU
/// inventory (<see cref="StorageCommands"/>). Anything else is answered "invalid command" (0xC1).
/// </summary>
/// <remarks>
/// Power and boot actions answer within <see cref="IpmiServerOptions.AnswerWithin"/>: a real BMC acknowledges chassis
/// control at once, and clients retry (then give up) after about two seconds. An action still running by then is
/// answered "done" and finishes in the background; its failure is logged, and Ironic sees the state when it polls.
/// </remarks>
/// <param name="lanAddress">The address the BMC listens on, which Get LAN Configuration Parameters reports.</param>
internal sealed partial class MachineCommands(
    IMachineBackend backend, Guid machineId, IPAddress lanAddress, IpmiServerOptions options, TimeProvider time, ILogger logger)
{
    private const byte GetDeviceId = 0x01;
    private const byte GetSelfTestResults = 0x04;
    private const byte GetSystemGuid = 0x37;
    private const byte GetChassisStatus = 0x01;
    private const byte ChassisControl = 0x02;
    private const byte SetSystemBootOptions = 0x08;
    private const byte GetSystemBootOptions = 0x09;

    private const byte ParameterSetInProgress = 0;
    private const byte ParameterValidBitClearing = 3;
    private const byte ParameterBootInfoAcknowledge = 4;
    private const byte ParameterBootFlags = 5;
    private const byte ParameterVersion = 1;

    // Boot parameters 0, 3 and 4 only matter to the client that writes them; they are kept, not acted on.
    private byte _setInProgress;
    private byte _validBitClearing;
    private byte _bootInfoAcknowledge;

    private readonly StorageCommands _storage = new(time);

    public async Task<IpmiResponse> HandleAsync(IpmiRequest request, Privilege privilege, CancellationToken cancellationToken)
    {
        if (ChannelCommands.Handles(request))
        {
            return ChannelCommands.Handle(request);
        }

        var machine = backend.Find(machineId);
        if (machine is null)
        {
            return IpmiResponse.Error(CompletionCodes.NotPresent);
        }

        return (request.NetFn, request.Command) switch
        {
            (NetFns.App, GetDeviceId) => DeviceId(),
            (NetFns.App, GetSelfTestResults) => IpmiResponse.Ok(0x55, 0x00), // "no error", nothing failed
            (NetFns.App, GetSystemGuid) => IpmiResponse.Ok(IpmiGuid(machine.Id)),
            (NetFns.App, ChannelCommands.GetChannelAccess) => ChannelCommands.ChannelAccess(request.Data),
            (NetFns.Transport, LanConfiguration.GetLanConfigurationParameters) => privilege < Privilege.Operator
                ? IpmiResponse.Error(CompletionCodes.InsufficientPrivilege)
                : LanConfiguration.Get(request.Data, lanAddress),
            (NetFns.Storage, _) => _storage.Handle(request, machine, privilege),
            (NetFns.Chassis, GetChassisStatus) => ChassisStatus(machine),
            (NetFns.Chassis, ChassisControl) => privilege < Privilege.Operator
                ? IpmiResponse.Error(CompletionCodes.InsufficientPrivilege)
                : await ControlAsync(request.Data, cancellationToken).ConfigureAwait(false),
            (NetFns.Chassis, SetSystemBootOptions) => privilege < Privilege.Operator
                ? IpmiResponse.Error(CompletionCodes.InsufficientPrivilege)
                : await SetBootOptionAsync(request.Data, cancellationToken).ConfigureAwait(false),
            (NetFns.Chassis, GetSystemBootOptions) => GetBootOption(request.Data, machine),
            _ => IpmiResponse.Error(CompletionCodes.InvalidCommand),
        };
    }

    private static IpmiResponse DeviceId() => IpmiResponse.Ok(
        0x20, // device id
        0x01, // device revision 1, no SDRs
        0x01, // firmware 1.
        0x00, //   .00
        0x02, // IPMI version 2.0
        0x8E, // additional device support: chassis device, FRU inventory, SEL, SDR repository
        0,
        0,
        0, // manufacturer id: none
        0,
        0); // product id

    /// <summary>
    /// The UUID as IPMI carries GUIDs (section 20.8 and its SMBIOS note): all sixteen bytes least significant first, the
    /// reverse of the RFC 4122 text order.
    /// </summary>
    private static byte[] IpmiGuid(Guid id)
    {
        var bytes = id.ToByteArray(bigEndian: true);
        Array.Reverse(bytes);
        return bytes;
    }

    private static IpmiResponse ChassisStatus(Machine machine) => IpmiResponse.Ok(
        machine.Power == PowerState.On ? (byte)0x01 : (byte)0x00, // power restore policy "always off" in bits 6:5
        0, // last power event
        0); // miscellaneous chassis state

    private Task<IpmiResponse> ControlAsync(byte[] data, CancellationToken cancellationToken)
    {
        if (data.Length != 1)
        {
            return Task.FromResult(IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid));
        }

        PowerAction? action = (data[0] & 0x0F) switch
        {
            0 => PowerAction.ForceOff,
            1 => PowerAction.On,
            2 => PowerAction.PowerCycle,
            3 => PowerAction.ForceRestart,
            4 => PowerAction.Nmi, // "pulse diagnostic interrupt"
            5 => PowerAction.GracefulShutdown, // "soft shutdown via ACPI"
            _ => null,
        };
        return action is { } known
            ? RunAsync(known.ToString(), ct => backend.PowerAsync(machineId, known, ct), cancellationToken)
            : Task.FromResult(IpmiResponse.Error(CompletionCodes.InvalidDataField));
    }

    private async Task<IpmiResponse> SetBootOptionAsync(byte[] data, CancellationToken cancellationToken)
    {
        if (data.Length < 2)
        {
            return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
        }

        switch (data[0] & 0x7F)
        {
            case ParameterSetInProgress:
                _setInProgress = (byte)((data[1] & 0x03) == 1 ? 1 : 0);
                return IpmiResponse.Ok();
            case ParameterValidBitClearing:
                _validBitClearing = (byte)(data[1] & 0x1F);
                return IpmiResponse.Ok();
            case ParameterBootInfoAcknowledge when data.Length >= 3:
                _bootInfoAcknowledge = (byte)((_bootInfoAcknowledge & ~data[1]) | (data[2] & data[1]));
                return IpmiResponse.Ok();
            case ParameterBootFlags when data.Length >= 3:
                var change = BootFlags.Decode(data.AsSpan(1));
                return change is null
                    ? IpmiResponse.Error(CompletionCodes.InvalidDataField)
                    : await RunAsync("set boot", ct => backend.SetBootAsync(machineId, change, ct), cancellationToken).ConfigureAwait(false);
            case ParameterBootInfoAcknowledge or ParameterBootFlags:
                return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
            default:
                return IpmiResponse.Error(CompletionCodes.ParameterNotSupported);
        }
    }

    private IpmiResponse GetBootOption(byte[] data, Machine machine)
    {
        if (data.Length != 3)
        {
            return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
        }

        var parameter = (byte)(data[0] & 0x7F);
        byte[]? value = parameter switch
        {
            ParameterSetInProgress => [_setInProgress],
            ParameterValidBitClearing => [_validBitClearing],
            ParameterBootInfoAcknowledge => [0, _bootInfoAcknowledge],
            ParameterBootFlags => BootFlags.Encode(machine.Boot),
            _ => null,
        };
        return value is null
            ? IpmiResponse.Error(CompletionCodes.ParameterNotSupported)
            : IpmiResponse.Ok([ParameterVersion, parameter, .. value]);
    }

    /// <summary>Runs a backend action within the time limit and turns its failure into a completion code.</summary>
    private async Task<IpmiResponse> RunAsync(string what, Func<CancellationToken, Task> action, CancellationToken cancellationToken)
    {
        var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(options.ActionTimeout);
        var running = Outcome(what, action, limit);
        var answered = await Task.WhenAny(running, Task.Delay(options.AnswerWithin, cancellationToken)).ConfigureAwait(false);
        return answered == running ? await running.ConfigureAwait(false) : IpmiResponse.Ok();
    }

    /// <summary>The action's completion code once it ends (logged if it failed); owns and disposes the time limit.</summary>
    private async Task<IpmiResponse> Outcome(string what, Func<CancellationToken, Task> action, CancellationTokenSource limit)
    {
        using (limit)
        {
            try
            {
                await action(limit.Token).ConfigureAwait(false);
                return IpmiResponse.Ok();
            }
            catch (MachineOperationException error)
            {
                LogActionFailed(what, machineId, error.Message);
                return IpmiResponse.Error(error.Kind switch
                {
                    MachineErrorKind.NotFound => CompletionCodes.NotPresent,
                    MachineErrorKind.InvalidState => CompletionCodes.NotSupportedInPresentState,
                    MachineErrorKind.Unsupported => CompletionCodes.InvalidDataField,
                    _ => CompletionCodes.NodeBusy,
                });
            }
            catch (OperationCanceledException)
            {
                LogActionFailed(what, machineId, $"no answer within {options.ActionTimeout.TotalSeconds:0} s");
                return IpmiResponse.Error(CompletionCodes.NodeBusy);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "IPMI {Action} for machine {MachineId} failed: {Reason}")]
    private partial void LogActionFailed(string action, Guid machineId, string reason);
}
