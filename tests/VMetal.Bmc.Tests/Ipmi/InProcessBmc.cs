using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using VMetal.Bmc.Ipmi;
using VMetal.Bmc.Machines;

namespace VMetal.Bmc.Tests.Ipmi;

/// <summary>One machine's IPMI responder called directly (no socket), on a fake clock.</summary>
internal sealed class InProcessBmc
{
    public const string UserName = "vm-inproc";
    public const string Password = "Nq7-fake-Password";

    private static readonly EndPoint Remote = new IPEndPoint(IPAddress.Loopback, 40000);

    public InProcessBmc(IpmiSessionLimits? limits = null, IpmiServerOptions? options = null)
    {
        Backend.Define(Machine);
        Sessions = new IpmiSessionTable(Clock, limits ?? IpmiSessionLimits.Default);
        var commands = new MachineCommands(Backend, Machine.Id, IPAddress.Loopback, options ?? IpmiServerOptions.Default, Clock, NullLogger.Instance);
        Sol = new SolService(Backend, Machine.Id, Sessions, Clock, NullLogger.Instance);
        Sol.AttachSender((datagram, _) =>
        {
            Unsolicited.Writer.TryWrite(datagram);
            return ValueTask.CompletedTask;
        }, 623);
        Responder = new IpmiResponder(IpmiCredentials.FromStrings(UserName, Password), Machine.Id, commands, Sessions, Sol, NullLogger.Instance);
    }

    public FakeTimeProvider Clock { get; } = new();

    public InMemoryMachineBackend Backend { get; } = new();

    public Machine Machine { get; } = InMemoryMachineBackend.NewMachine("node-inproc");

    public IpmiSessionTable Sessions { get; }

    public IpmiResponder Responder { get; }

    public SolService Sol { get; }

    /// <summary>Datagrams the BMC sent on its own (Serial-over-LAN output), in order.</summary>
    public System.Threading.Channels.Channel<byte[]> Unsolicited { get; } = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();

    public Task<byte[]?> ExchangeAsync(byte[] datagram) => Responder.HandleAsync(datagram, Remote, CancellationToken.None);

    public TestIpmiClient Client(string userName = UserName, string password = Password) => new(ExchangeAsync, userName, password);
}
