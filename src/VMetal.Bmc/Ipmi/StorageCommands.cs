using System.Text;
using VMetal.Bmc.Machines;

namespace VMetal.Bmc.Ipmi;

/// <summary>
/// The Storage commands (netfn 0Ah) of one machine's BMC. A virtual machine has no sensors and its BMC logs no events:
/// the SEL is empty, and the SDR repository holds only the record every BMC has of itself, its management controller
/// device locator (<c>ipmitool sdr list</c> and <c>sensor list</c>, which show sensors, print nothing and succeed; an
/// empty repository would make ipmitool try to rebuild it). The FRU inventory (device 0) holds one product info area:
/// manufacturer "vmetal", product name the machine's name, serial number its UUID.
/// </summary>
internal sealed class StorageCommands
{
    private const byte GetFruInventoryAreaInfo = 0x10;
    private const byte ReadFruData = 0x11;
    private const byte GetSdrRepositoryInfo = 0x20;
    private const byte ReserveSdrRepository = 0x22;
    private const byte GetSdr = 0x23;
    private const byte GetSelInfo = 0x40;
    private const byte ReserveSel = 0x42;
    private const byte GetSelEntry = 0x43;
    private const byte ClearSel = 0x47;
    private const byte GetSelTime = 0x48;

    private const byte RepositoryVersion = 0x51; // IPMI 2.0 SDR and SEL formats
    private const byte ReserveSupported = 0x02; // operation support: only Reserve (no add, delete or allocation info)
    private const byte FieldAscii = 0xC0; // FRU type/length byte: 8-bit ASCII + Latin 1, length in bits 5:0
    private const int MaximumFieldLength = 0x3F;

    private const ushort LastRecord = 0xFFFF;

    private static readonly byte[] NoTimestamp = [0xFF, 0xFF, 0xFF, 0xFF]; // "unspecified": nothing was ever added or erased

    /// <summary>SDR 0001h, type 12h (table 43-7): the BMC at slave address 20h, channel 0, with the capabilities Get Device ID reports.</summary>
    private static readonly byte[] ControllerLocator = ControllerLocatorRecord("vmetal BMC");

    private readonly TimeProvider _time;
    private int _reservation;

    public StorageCommands(TimeProvider time) => _time = time;

    public IpmiResponse Handle(IpmiRequest request, Machine machine, Privilege privilege) => request.Command switch
    {
        GetFruInventoryAreaInfo => IsFruDevice(request.Data, 1) ? FruAreaInfo(Fru(machine).Length) : FruError(request.Data, 1),
        ReadFruData => IsFruDevice(request.Data, 4) ? ReadFru(Fru(machine), request.Data) : FruError(request.Data, 4),
        GetSdrRepositoryInfo => RepositoryInfo(request.Data, records: 1),
        GetSelInfo => RepositoryInfo(request.Data, records: 0),
        ReserveSdrRepository or ReserveSel => request.Data.Length == 0 ? Reserve() : IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid),
        GetSdr => ReadSdr(request.Data),
        GetSelEntry => request.Data.Length == 6 ? IpmiResponse.Error(CompletionCodes.NotPresent) : IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid),
        ClearSel => privilege < Privilege.Operator ? IpmiResponse.Error(CompletionCodes.InsufficientPrivilege) : Clear(request.Data),
        GetSelTime => request.Data.Length == 0 ? SelTime() : IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid),
        _ => IpmiResponse.Error(CompletionCodes.InvalidCommand),
    };

    /// <summary>The FRU image: common header, then the product info area (IPMI Platform Management FRU Information Storage Definition v1.0).</summary>
    public static byte[] Fru(Machine machine)
    {
        List<byte> product = [0x01, 0, 0x00]; // format version, length (below), language: English
        foreach (var field in new[] { "vmetal", machine.Name, string.Empty, string.Empty, machine.Id.ToString(), string.Empty, string.Empty })
        {
            // Manufacturer, product name, part/model number, version, serial number, asset tag, FRU file id.
            var bytes = Encoding.Latin1.GetBytes(field);
            var length = Math.Min(bytes.Length, MaximumFieldLength);
            product.Add((byte)(FieldAscii | length));
            product.AddRange(bytes.AsSpan(0, length));
        }

        product.Add(0xC1); // end of fields
        while ((product.Count + 1) % 8 != 0)
        {
            product.Add(0);
        }

        product[1] = (byte)((product.Count + 1) / 8);
        product.Add(Checksum(product));

        List<byte> header = [0x01, 0, 0, 0, 1, 0, 0]; // format version; only the product area, at offset 1 × 8
        header.Add(Checksum(header));
        return [.. header, .. product];
    }

    private static bool IsFruDevice(byte[] data, int length) => data.Length == length && data[0] == 0;

    private static IpmiResponse FruError(byte[] data, int length) =>
        IpmiResponse.Error(data.Length != length ? CompletionCodes.RequestDataLengthInvalid : CompletionCodes.NotPresent);

    /// <summary>The size, least significant byte first, and "accessed by bytes".</summary>
    private static IpmiResponse FruAreaInfo(int size) => IpmiResponse.Ok((byte)size, (byte)(size >> 8), 0x00);

    /// <summary>Request: device id, offset (two bytes, least significant first), count. Response: count returned, data.</summary>
    private static IpmiResponse ReadFru(byte[] fru, byte[] data)
    {
        var offset = data[1] | (data[2] << 8);
        if (offset >= fru.Length)
        {
            return IpmiResponse.Error(CompletionCodes.ParameterOutOfRange);
        }

        var count = Math.Min(data[3], fru.Length - offset);
        return IpmiResponse.Ok([(byte)count, .. fru.AsSpan(offset, count)]);
    }

    /// <summary>Get SDR Repository Info and Get SEL Info have the same shape: the entries, no free space, never changed.</summary>
    private static IpmiResponse RepositoryInfo(byte[] data, byte records) => data.Length == 0
        ? IpmiResponse.Ok([RepositoryVersion, records, 0, 0, 0, .. NoTimestamp, .. NoTimestamp, ReserveSupported])
        : IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);

    /// <summary>
    /// Request: reservation id, record id (0000h first, FFFFh last), offset, count (FFh: all). Response: the next record id,
    /// then the bytes asked for. There is one record, so it is also the last.
    /// </summary>
    private static IpmiResponse ReadSdr(byte[] data)
    {
        if (data.Length != 6)
        {
            return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
        }

        var id = data[2] | (data[3] << 8);
        if (id is not (0x0000 or 0x0001 or LastRecord))
        {
            return IpmiResponse.Error(CompletionCodes.NotPresent);
        }

        var offset = data[4];
        if (offset >= ControllerLocator.Length)
        {
            return IpmiResponse.Error(CompletionCodes.ParameterOutOfRange);
        }

        var count = Math.Min(data[5], ControllerLocator.Length - offset);
        return IpmiResponse.Ok([unchecked((byte)LastRecord), LastRecord >> 8, .. ControllerLocator.AsSpan(offset, count)]);
    }

    private static byte[] ControllerLocatorRecord(string name)
    {
        var id = Encoding.ASCII.GetBytes(name);
        byte[] body =
        [
            0x20, // device slave address
            0x00, // channel 0
            0x00, // no ACPI notification; event generation enabled, no initialisation error logging
            0x8E, // capabilities: chassis device, FRU inventory, SEL, SDR repository (as Get Device ID says)
            0, 0, 0, // reserved
            0x06, // entity: system management module
            0x01, // entity instance 1
            0x00, // OEM
            (byte)(FieldAscii | id.Length),
            .. id,
        ];
        return [0x01, 0x00, RepositoryVersion, 0x12, (byte)body.Length, .. body];
    }

    /// <summary>A new reservation id (never 0); with nothing to change, every reservation stays valid.</summary>
    private IpmiResponse Reserve()
    {
        var id = (ushort)Interlocked.Increment(ref _reservation);
        if (id == 0)
        {
            id = (ushort)Interlocked.Increment(ref _reservation);
        }

        return IpmiResponse.Ok((byte)id, (byte)(id >> 8));
    }

    /// <summary>Request: reservation id, 'C' 'L' 'R', then AAh (erase) or 00h (status). An empty log is erased at once.</summary>
    private static IpmiResponse Clear(byte[] data) =>
        data.Length != 6 ? IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid)
        : data[2] != 'C' || data[3] != 'L' || data[4] != 'R' || data[5] is not (0xAA or 0x00) ? IpmiResponse.Error(CompletionCodes.InvalidDataField)
        : IpmiResponse.Ok(0x01); // erasure completed

    private IpmiResponse SelTime()
    {
        var seconds = (uint)_time.GetUtcNow().ToUnixTimeSeconds();
        return IpmiResponse.Ok((byte)seconds, (byte)(seconds >> 8), (byte)(seconds >> 16), (byte)(seconds >> 24));
    }

    /// <summary>Zero checksum: the byte that makes the sum of the area zero.</summary>
    private static byte Checksum(IEnumerable<byte> bytes) => (byte)-bytes.Sum(b => b);
}
