using System.Text.Json.Nodes;
using VMetal.Bmc.Machines;

namespace VMetal.Bmc.Redfish;

/// <summary>
/// The JSON resources of the service (DMTF Redfish schemas; shapes checked against the sushy client library).
/// Every resource of a machine uses its UUID: the system, its manager and its chassis share it.
/// </summary>
internal static class RedfishDocuments
{
    public const string Root = "/redfish/v1";
    public const string Systems = Root + "/Systems";
    public const string Managers = Root + "/Managers";
    public const string Chassis = Root + "/Chassis";
    public const string SessionServicePath = Root + "/SessionService";
    public const string Sessions = SessionServicePath + "/Sessions";
    public const string VirtualCdId = "Cd";

    public static readonly IReadOnlyDictionary<string, BootTarget> BootTargets = Names<BootTarget>();

    /// <summary>
    /// The targets offered to clients: not BiosSetup, which libvirt cannot do (it stays understood, to be refused with a
    /// clear message rather than "not in the list").
    /// </summary>
    public static readonly IReadOnlyList<string> AdvertisedBootTargets = [.. BootTargets.Keys.Where(name => name != nameof(BootTarget.BiosSetup))];

    public static readonly IReadOnlyDictionary<string, BootOverride> BootOverrides = Names<BootOverride>();
    public static readonly IReadOnlyDictionary<string, BootMode> BootModes = new Dictionary<string, BootMode>
    {
        ["Legacy"] = BootMode.Legacy,
        ["UEFI"] = BootMode.Uefi,
    };

    /// <summary>Every ResetType accepted; PushPowerButton toggles like the real button.</summary>
    public static readonly IReadOnlyList<string> ResetTypes =
        ["On", "ForceOff", "GracefulShutdown", "GracefulRestart", "ForceRestart", "Nmi", "PowerCycle", "PushPowerButton"];

    public static JsonObject ServiceRoot(Guid serviceId) => new()
    {
        ["@odata.type"] = "#ServiceRoot.v1_5_0.ServiceRoot",
        ["@odata.id"] = Root + "/",
        ["Id"] = "RootService",
        ["Name"] = "vmetal virtual BMC",
        ["RedfishVersion"] = "1.8.0",
        ["UUID"] = serviceId.ToString(),
        ["Systems"] = Link(Systems),
        ["Managers"] = Link(Managers),
        ["Chassis"] = Link(Chassis),
        ["SessionService"] = Link(SessionServicePath),
        ["Links"] = new JsonObject { ["Sessions"] = Link(Sessions) },
    };

    public static JsonObject Collection(string type, string path, string name, IEnumerable<string> members) => new()
    {
        ["@odata.type"] = $"#{type}Collection.{type}Collection",
        ["@odata.id"] = path,
        ["Name"] = name,
        ["Members@odata.count"] = members.Count(),
        ["Members"] = new JsonArray([.. members.Select(member => (JsonNode)Link(member))]),
    };

    public static string SystemPath(Machine machine) => $"{Systems}/{machine.Id}";

    public static JsonObject ComputerSystem(Machine machine)
    {
        var path = SystemPath(machine);
        return new JsonObject
        {
            ["@odata.type"] = "#ComputerSystem.v1_10_0.ComputerSystem",
            ["@odata.id"] = path,
            ["Id"] = machine.Id.ToString(),
            ["Name"] = machine.Name,
            ["UUID"] = machine.Id.ToString(),
            ["SystemType"] = "Virtual",
            ["Manufacturer"] = "vmetal",
            ["Model"] = "libvirt domain",
            ["Status"] = Healthy(),
            ["PowerState"] = machine.Power.ToString(),
            ["Boot"] = new JsonObject
            {
                ["BootSourceOverrideEnabled"] = machine.Boot.Enabled.ToString(),
                ["BootSourceOverrideTarget"] = machine.Boot.Target.ToString(),
                ["BootSourceOverrideTarget@Redfish.AllowableValues"] = Strings(AdvertisedBootTargets),
                ["BootSourceOverrideMode"] = BootModes.First(pair => pair.Value == machine.Boot.Mode).Key,
                ["BootSourceOverrideMode@Redfish.AllowableValues"] = Strings(BootModes.Keys.Reverse()),
            },
            ["ProcessorSummary"] = new JsonObject { ["Count"] = machine.ProcessorCount, ["Status"] = Healthy() },
            ["MemorySummary"] = new JsonObject { ["TotalSystemMemoryGiB"] = Math.Round(machine.MemoryMiB / 1024.0, 3), ["Status"] = Healthy() },
            ["EthernetInterfaces"] = Link(path + "/EthernetInterfaces"),
            ["VirtualMedia"] = Link(path + "/VirtualMedia"),
            ["Processors"] = Link(path + "/Processors"),
            ["SimpleStorage"] = Link(path + "/SimpleStorage"),
            ["Storage"] = Link(path + "/Storage"),
            ["Bios"] = Link(path + "/Bios"),
            ["SecureBoot"] = Link(path + "/SecureBoot"),
            ["Links"] = new JsonObject
            {
                ["Chassis"] = new JsonArray(Link($"{Chassis}/{machine.Id}")),
                ["ManagedBy"] = new JsonArray(Link($"{Managers}/{machine.Id}")),
            },
            ["Actions"] = new JsonObject
            {
                ["#ComputerSystem.Reset"] = new JsonObject
                {
                    ["target"] = path + "/Actions/ComputerSystem.Reset",
                    ["ResetType@Redfish.AllowableValues"] = Strings(ResetTypes),
                },
            },
        };
    }

    // Inventory, as Ironic's inspection reads it through sushy: one processor carrying every vCPU, the disks as one
    // storage subsystem, and read-only firmware facts. Everything virtual is reported healthy.
    public const string ProcessorId = "CPU0";
    public const string StorageId = "1";

    public static JsonObject Processor(Machine machine) => new()
    {
        ["@odata.type"] = "#Processor.v1_3_0.Processor",
        ["@odata.id"] = $"{SystemPath(machine)}/Processors/{ProcessorId}",
        ["Id"] = ProcessorId,
        ["Name"] = "Virtual processor",
        ["Socket"] = "CPU 0",
        ["ProcessorType"] = "CPU",
        ["ProcessorArchitecture"] = "x86",
        ["InstructionSet"] = "x86-64",
        ["Manufacturer"] = "QEMU",
        ["TotalCores"] = machine.ProcessorCount,
        ["TotalThreads"] = machine.ProcessorCount,
        ["Status"] = Healthy(),
    };

    /// <summary>Disks whose size is unknown have no CapacityBytes, which sushy leaves out of its sizes.</summary>
    public static JsonObject SimpleStorage(Machine machine) => new()
    {
        ["@odata.type"] = "#SimpleStorage.v1_2_0.SimpleStorage",
        ["@odata.id"] = $"{SystemPath(machine)}/SimpleStorage/{StorageId}",
        ["Id"] = StorageId,
        ["Name"] = "Virtual disk controller",
        ["Devices"] = new JsonArray([.. machine.Disks.Select(disk => (JsonNode)WithCapacity(new JsonObject
        {
            ["Name"] = disk.Name,
            ["Status"] = Healthy(),
        }, disk))]),
        ["Status"] = Healthy(),
    };

    public static JsonObject Storage(Machine machine) => new()
    {
        ["@odata.type"] = "#Storage.v1_4_0.Storage",
        ["@odata.id"] = $"{SystemPath(machine)}/Storage/{StorageId}",
        ["Id"] = StorageId,
        ["Name"] = "Virtual storage",
        ["Drives@odata.count"] = machine.Disks.Count,
        ["Drives"] = new JsonArray([.. machine.Disks.Select(disk => (JsonNode)Link(DrivePath(machine, disk)))]),
        ["Status"] = Healthy(),
    };

    public static string DrivePath(Machine machine, MachineDisk disk) => $"{SystemPath(machine)}/Storage/{StorageId}/Drives/{disk.Name}";

    /// <summary>An unknown size is 0 here: sushy sorts the drives' sizes and fails on a missing one.</summary>
    public static JsonObject Drive(Machine machine, MachineDisk disk) => new()
    {
        ["@odata.type"] = "#Drive.v1_4_0.Drive",
        ["@odata.id"] = DrivePath(machine, disk),
        ["Id"] = disk.Name,
        ["Name"] = disk.Name,
        ["MediaType"] = "HDD",
        ["CapacityBytes"] = disk.CapacityBytes ?? 0,
        ["Status"] = Healthy(),
    };

    /// <summary>Read-only: there is nothing to set in a virtual machine's firmware, so no @Redfish.Settings either.</summary>
    public static JsonObject Bios(Machine machine) => new()
    {
        ["@odata.type"] = "#Bios.v1_0_0.Bios",
        ["@odata.id"] = $"{SystemPath(machine)}/Bios",
        ["Id"] = "BIOS",
        ["Name"] = "BIOS settings (read-only)",
        ["Attributes"] = new JsonObject
        {
            ["BootMode"] = machine.Boot.Mode == BootMode.Uefi ? "Uefi" : "Bios",
            ["Firmware"] = machine.Boot.Mode == BootMode.Uefi ? "OVMF" : "SeaBIOS",
            ["SecureBoot"] = "Disabled",
            ["LogicalProcessors"] = machine.ProcessorCount,
        },
    };

    /// <summary>vmetal defines no secure boot firmware; read-only.</summary>
    public static JsonObject SecureBoot(Machine machine) => new()
    {
        ["@odata.type"] = "#SecureBoot.v1_1_0.SecureBoot",
        ["@odata.id"] = $"{SystemPath(machine)}/SecureBoot",
        ["Id"] = "SecureBoot",
        ["Name"] = "UEFI Secure Boot",
        ["SecureBootEnable"] = false,
        ["SecureBootCurrentBoot"] = "Disabled",
    };

    private static JsonObject WithCapacity(JsonObject device, MachineDisk disk)
    {
        if (disk.CapacityBytes is { } bytes)
        {
            device["CapacityBytes"] = bytes;
        }

        return device;
    }

    public static JsonObject EthernetInterface(Machine machine, int index) => new()
    {
        ["@odata.type"] = "#EthernetInterface.v1_4_0.EthernetInterface",
        ["@odata.id"] = $"{SystemPath(machine)}/EthernetInterfaces/{machine.MacAddresses[index]}",
        ["Id"] = machine.MacAddresses[index],
        ["Name"] = $"NIC {index}",
        ["MACAddress"] = machine.MacAddresses[index],
        ["PermanentMACAddress"] = machine.MacAddresses[index],
        ["Status"] = Healthy(),
    };

    public static JsonObject Manager(Machine machine) => new()
    {
        ["@odata.type"] = "#Manager.v1_5_0.Manager",
        ["@odata.id"] = $"{Managers}/{machine.Id}",
        ["Id"] = machine.Id.ToString(),
        ["Name"] = $"BMC of {machine.Name}",
        ["UUID"] = machine.Id.ToString(),
        ["ManagerType"] = "BMC",
        ["Model"] = "vmetal virtual BMC",
        ["FirmwareVersion"] = typeof(RedfishDocuments).Assembly.GetName().Version?.ToString(3) ?? "0",
        ["PowerState"] = "On",
        ["Status"] = Healthy(),
        ["VirtualMedia"] = Link($"{Managers}/{machine.Id}/VirtualMedia"),
        ["Links"] = new JsonObject
        {
            ["ManagerForServers"] = new JsonArray(Link(SystemPath(machine))),
            ["ManagerForChassis"] = new JsonArray(Link($"{Chassis}/{machine.Id}")),
        },
    };

    public static JsonObject ChassisOf(Machine machine) => new()
    {
        ["@odata.type"] = "#Chassis.v1_10_0.Chassis",
        ["@odata.id"] = $"{Chassis}/{machine.Id}",
        ["Id"] = machine.Id.ToString(),
        ["Name"] = $"Chassis of {machine.Name}",
        ["ChassisType"] = "RackMount",
        ["PowerState"] = machine.Power.ToString(),
        ["Status"] = Healthy(),
        ["Links"] = new JsonObject
        {
            ["ComputerSystems"] = new JsonArray(Link(SystemPath(machine))),
            ["ManagedBy"] = new JsonArray(Link($"{Managers}/{machine.Id}")),
        },
    };

    /// <param name="basePath">The VirtualMedia collection the client used: under the system or under the manager.</param>
    public static JsonObject VirtualCd(Machine machine, string basePath)
    {
        var path = $"{basePath}/{VirtualCdId}";
        var image = machine.Media.Image;
        return new JsonObject
        {
            ["@odata.type"] = "#VirtualMedia.v1_4_0.VirtualMedia",
            ["@odata.id"] = path,
            ["Id"] = VirtualCdId,
            ["Name"] = "Virtual CD",
            ["MediaTypes"] = Strings(["CD", "DVD"]),
            ["Image"] = image?.ToString(),
            ["ImageName"] = image is null ? null : Path.GetFileName(image.AbsolutePath),
            ["Inserted"] = machine.Media.Inserted,
            ["WriteProtected"] = true,
            ["ConnectedVia"] = image is null ? "NotConnected" : "URI",
            ["Actions"] = new JsonObject
            {
                ["#VirtualMedia.InsertMedia"] = new JsonObject { ["target"] = path + "/Actions/VirtualMedia.InsertMedia" },
                ["#VirtualMedia.EjectMedia"] = new JsonObject { ["target"] = path + "/Actions/VirtualMedia.EjectMedia" },
            },
        };
    }

    public static JsonObject SessionService(TimeSpan timeout) => new()
    {
        ["@odata.type"] = "#SessionService.v1_1_3.SessionService",
        ["@odata.id"] = SessionServicePath,
        ["Id"] = "SessionService",
        ["Name"] = "Session Service",
        ["ServiceEnabled"] = true,
        ["SessionTimeout"] = (int)timeout.TotalSeconds,
        ["Status"] = Healthy(),
        ["Sessions"] = Link(Sessions),
    };

    public static JsonObject Session(RedfishSession session) => new()
    {
        ["@odata.type"] = "#Session.v1_0_0.Session",
        ["@odata.id"] = $"{Sessions}/{session.Id}",
        ["Id"] = session.Id,
        ["Name"] = "User Session",
        ["UserName"] = session.Tenant.UserName,
    };

    /// <summary>A Redfish error body; <paramref name="messageId"/> is a Base registry message such as "ResourceMissingAtURI".</summary>
    public static JsonObject Error(string messageId, string message) => new()
    {
        ["error"] = new JsonObject
        {
            ["code"] = "Base.1.8.GeneralError",
            ["message"] = message,
            ["@Message.ExtendedInfo"] = new JsonArray(new JsonObject
            {
                ["@odata.type"] = "#Message.v1_0_0.Message",
                ["MessageId"] = $"Base.1.8.{messageId}",
                ["Message"] = message,
            }),
        },
    };

    public static JsonObject Link(string path) => new() { ["@odata.id"] = path };

    private static JsonObject Healthy() => new() { ["State"] = "Enabled", ["Health"] = "OK" };

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(value => (JsonNode)JsonValue.Create(value))]);

    private static Dictionary<string, T> Names<T>()
        where T : struct, Enum => Enum.GetValues<T>().ToDictionary(value => value.ToString(), StringComparer.Ordinal);
}
