using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using VMetal.Bmc.Ipmi;
using VMetal.Bmc.Machines;
using VMetal.Testing.Bmc;

namespace VMetal.Bmc.Tests.Ipmi;

/// <summary>An IPMI server on 127.0.0.1 (any free port) for one in-memory machine.</summary>
internal sealed class IpmiTestBmc : IAsyncDisposable
{
    public const string UserName = "vm-tester";
    public const string Password = "Sx4TZb9kQe2Wc7Lm";

    private IpmiTestBmc(InMemoryMachineBackend backend, IpmiServer server, Machine machine)
    {
        Backend = backend;
        Server = server;
        Machine = machine;
    }

    public InMemoryMachineBackend Backend { get; }

    public IpmiServer Server { get; }

    public Machine Machine { get; }

    public IPEndPoint EndPoint => Server.EndPoints[Machine.Id];

    public Machine Current => Backend.Find(Machine.Id) ?? throw new InvalidOperationException("machine is gone");

    public static async Task<IpmiTestBmc> StartAsync(IpmiServerOptions? options = null, TimeProvider? time = null)
    {
        var backend = new InMemoryMachineBackend();
        var machine = InMemoryMachineBackend.NewMachine("node-0");
        backend.Define(machine);
        var server = new IpmiServer(backend, NullLoggerFactory.Instance, time ?? TimeProvider.System, options ?? IpmiServerOptions.Default);
        await server.ConfigureAsync(
            [new IpmiBinding(machine.Id, new IPEndPoint(IPAddress.Loopback, 0), IpmiCredentials.FromStrings(UserName, Password))],
            CancellationToken.None);
        return new IpmiTestBmc(backend, server, machine);
    }

    public Ipmitool Ipmitool(int? cipherSuite = null, string password = Password) => new(EndPoint, UserName, password, cipherSuite);

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
