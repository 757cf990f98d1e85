using System.Buffers.Binary;
using System.Text;
using VMetal.Bmc.Ipmi;

namespace VMetal.Bmc.Tests.Ipmi;

/// <summary>The information commands byte by byte, with crafted requests: the edges ipmitool does not reach.</summary>
public sealed class IpmiInformationCommandTests
{
    private const byte GetLanConfiguration = 0x02;

    [Fact]
    public async Task SessionInfoFindsSessionsByHandleAndIdAndAnswersOnlyCountsPastTheEnd()
    {
        var (bmc, client) = await LoggedInAsync();
        var managedId = BinaryPrimitives.ReadUInt32LittleEndian(client.Sent[^1].AsSpan(6));

        var own = await client.CommandAsync(NetFns.App, SessionCommands.GetSessionInfo, 0x00);
        var byHandle = await client.CommandAsync(NetFns.App, SessionCommands.GetSessionInfo, 0xFE, own!.Value.Data[0]);
        var byId = await client.CommandAsync(NetFns.App, SessionCommands.GetSessionInfo, [0xFF, .. BitConverter.GetBytes(managedId)]);
        var pastTheEnd = await client.CommandAsync(NetFns.App, SessionCommands.GetSessionInfo, 0x02);
        var unknownHandle = await client.CommandAsync(NetFns.App, SessionCommands.GetSessionInfo, 0xFE, 0x33);

        Assert.Equal(CompletionCodes.Ok, own.Value.CompletionCode);
        Assert.Equal(own.Value.Data, byHandle?.Data);
        Assert.Equal(own.Value.Data, byId?.Data);
        Assert.Equal([1, 8, 1, SessionCommands.UserId, (byte)Privilege.Administrator, 0x11, 127, 0, 0, 1], own.Value.Data[..10]);
        Assert.Equal([0, 8, 1], pastTheEnd?.Data);
        Assert.Equal([0, 8, 1], unknownHandle?.Data);
        Assert.Single(bmc.Sessions.Active);
    }

    [Fact]
    public async Task LanConfigurationAnswersWhatItKnowsAndNotSupportedForTheRest()
    {
        var (_, client) = await LoggedInAsync();

        var revision = await client.CommandAsync(NetFns.Transport, GetLanConfiguration, 0x81, 3, 0, 0);
        var address = await client.CommandAsync(NetFns.Transport, GetLanConfiguration, 0x01, 3, 0, 0);
        var suites = await client.CommandAsync(NetFns.Transport, GetLanConfiguration, 0x0E, 23, 0, 0);
        var gateway = await client.CommandAsync(NetFns.Transport, GetLanConfiguration, 0x01, 12, 0, 0);
        var otherChannel = await client.CommandAsync(NetFns.Transport, GetLanConfiguration, 0x02, 3, 0, 0);

        Assert.Equal([0x11], revision?.Data);
        Assert.Equal([0x11, 127, 0, 0, 1], address?.Data);
        Assert.Equal([0x11, 0, 17, 3], suites?.Data);
        Assert.Equal(CompletionCodes.ParameterNotSupported, gateway?.CompletionCode);
        Assert.Equal(CompletionCodes.InvalidDataField, otherChannel?.CompletionCode);
    }

    [Fact]
    public async Task LanConfigurationAndClearSelNeedOperator()
    {
        var (_, client) = await LoggedInAsync();
        Assert.Equal(CompletionCodes.Ok, (await client.CommandAsync(NetFns.App, SessionCommands.SetSessionPrivilegeLevel, 0x02))?.CompletionCode);

        Assert.Equal(CompletionCodes.InsufficientPrivilege, (await client.CommandAsync(NetFns.Transport, GetLanConfiguration, 0x01, 3, 0, 0))?.CompletionCode);
        Assert.Equal(CompletionCodes.InsufficientPrivilege, (await client.CommandAsync(NetFns.Storage, 0x47, 1, 0, (byte)'C', (byte)'L', (byte)'R', 0xAA))?.CompletionCode);
        Assert.Equal(CompletionCodes.Ok, (await client.CommandAsync(NetFns.Storage, 0x40))?.CompletionCode); // Get SEL Info is for users
    }

    [Fact]
    public async Task FruImageIsWellFormedAndReadInPieces()
    {
        var (bmc, client) = await LoggedInAsync();

        var info = await client.CommandAsync(NetFns.Storage, 0x10, 0);
        var size = info!.Value.Data[0] | (info.Value.Data[1] << 8);
        var image = new List<byte>();
        while (image.Count < size)
        {
            var piece = await client.CommandAsync(NetFns.Storage, 0x11, 0, (byte)image.Count, (byte)(image.Count >> 8), 16);
            Assert.Equal(CompletionCodes.Ok, piece?.CompletionCode);
            Assert.Equal(piece!.Value.Data[0], piece.Value.Data.Length - 1);
            image.AddRange(piece.Value.Data[1..]);
        }

        var fru = image.ToArray();
        Assert.Equal(0, fru[..8].Sum(b => b) & 0xFF); // common header checksum
        var product = fru[(fru[4] * 8)..];
        Assert.Equal(product.Length, product[1] * 8);
        Assert.Equal(0, product.Sum(b => b) & 0xFF); // product area checksum
        Assert.Contains(bmc.Machine.Name, Encoding.Latin1.GetString(product), StringComparison.Ordinal);
        Assert.Equal(CompletionCodes.ParameterOutOfRange, (await client.CommandAsync(NetFns.Storage, 0x11, 0, (byte)size, (byte)(size >> 8), 1))?.CompletionCode);
        Assert.Equal(CompletionCodes.NotPresent, (await client.CommandAsync(NetFns.Storage, 0x10, 1))?.CompletionCode);
    }

    [Fact]
    public async Task SdrRepositoryHasOneControllerLocatorAndNothingElse()
    {
        var (_, client) = await LoggedInAsync();

        var first = await client.CommandAsync(NetFns.Storage, 0x23, 0, 0, 0x00, 0x00, 0, 0xFF);
        var missing = await client.CommandAsync(NetFns.Storage, 0x23, 0, 0, 0x05, 0x00, 0, 0xFF);
        var selEntry = await client.CommandAsync(NetFns.Storage, 0x43, 0, 0, 0x00, 0x00, 0, 0xFF);

        Assert.Equal([0xFF, 0xFF, 0x01, 0x00, 0x51, 0x12], first?.Data[..6]); // next: none; record 1, SDR 1.5, type 12h
        Assert.Equal(first!.Value.Data.Length - 7, first.Value.Data[6]); // the length byte counts what follows the header
        Assert.Equal(CompletionCodes.NotPresent, missing?.CompletionCode);
        Assert.Equal(CompletionCodes.NotPresent, selEntry?.CompletionCode);
    }

    [Fact]
    public async Task SystemGuidIsTheUuidLeastSignificantByteFirst()
    {
        var (bmc, client) = await LoggedInAsync();

        var guid = await client.CommandAsync(NetFns.App, 0x37);

        Assert.Equal(bmc.Machine.Id.ToByteArray(bigEndian: true).Reverse(), guid?.Data);
    }

    [Fact]
    public async Task ChannelAccessAnswersBothSettingsAndRefusesOthers()
    {
        var (_, client) = await LoggedInAsync();

        Assert.Equal([0x22, 0x04], (await client.CommandAsync(NetFns.App, ChannelCommands.GetChannelAccess, 0x01, 0x40))?.Data);
        Assert.Equal([0x22, 0x04], (await client.CommandAsync(NetFns.App, ChannelCommands.GetChannelAccess, 0x0E, 0x80))?.Data);
        Assert.Equal(CompletionCodes.InvalidDataField, (await client.CommandAsync(NetFns.App, ChannelCommands.GetChannelAccess, 0x01, 0x00))?.CompletionCode);
    }

    [Fact]
    public async Task UsersAreTheAnonymousOneDisabledAndTheWorkspacesOne()
    {
        var (_, client) = await LoggedInAsync();

        var name = await client.CommandAsync(NetFns.App, SessionCommands.GetUserName, SessionCommands.UserId);
        var anonymous = await client.CommandAsync(NetFns.App, SessionCommands.GetUserName, 1);

        Assert.Equal(InProcessBmc.UserName, Encoding.ASCII.GetString(name!.Value.Data).TrimEnd('\0'));
        Assert.Equal(new byte[16], anonymous?.Data);
        Assert.Equal([2, 0x41, 1, 0x14], (await client.CommandAsync(NetFns.App, SessionCommands.GetUserAccess, 1, 2))?.Data);
        Assert.Equal(CompletionCodes.InvalidDataField, (await client.CommandAsync(NetFns.App, SessionCommands.GetUserAccess, 1, 3))?.CompletionCode);
        Assert.Equal(CompletionCodes.InvalidDataField, (await client.CommandAsync(NetFns.App, SessionCommands.GetUserName, 3))?.CompletionCode);
    }

    private static async Task<(InProcessBmc Bmc, TestIpmiClient Client)> LoggedInAsync()
    {
        var bmc = new InProcessBmc();
        var client = bmc.Client();
        Assert.True(await client.LoginAsync(CipherSuite.Suite17));
        return (bmc, client);
    }
}
