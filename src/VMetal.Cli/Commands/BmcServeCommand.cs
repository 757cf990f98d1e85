using System.CommandLine;
using Microsoft.Extensions.Logging;
using VMetal.Bmc.Configuration;
using VMetal.Bmc.Hosting;
using VMetal.Bmc.Libvirt;
using VMetal.Libvirt;

namespace VMetal.Cli.Commands;

/// <summary><c>vmetal bmc serve</c>: the virtual BMC service of a hypervisor (IPMI and Redfish for every vmetal VM).</summary>
public sealed class BmcCommand : Command
{
    public BmcCommand(CliServices services)
        : base("bmc", "Virtual BMCs (IPMI 2.0 and Redfish) for the VMs of a hypervisor")
    {
        Subcommands.Add(new ServeCommand(services));
    }

    private sealed class ServeCommand : CommandBase
    {
        private static readonly Option<string> Config = new("--config")
        {
            Description = "A workspace's BMC configuration file, or a directory of them; reloaded on change and on SIGHUP",
            HelpName = "path",
            DefaultValueFactory = _ => BmcConfigFile.DefaultDirectory,
        };

        private static readonly Option<string> StateDirectory = new("--state-dir")
        {
            Description = "Where generated TLS certificates and downloaded virtual media images are kept",
            HelpName = "path",
            DefaultValueFactory = _ => BmcHostOptions.DefaultStateDirectory,
        };

        private static readonly Option<string> LibvirtSocket = new("--libvirt-socket")
        {
            Description = "The local libvirtd's unix socket",
            HelpName = "path",
            DefaultValueFactory = _ => UnixSocketTransport.SystemSocketPath,
        };

        public ServeCommand(CliServices services)
            : base("serve", "Run the BMC service in the foreground until SIGTERM/SIGINT (on the hypervisor, usually as a service)", services)
        {
            Options.Add(Config);
            Options.Add(StateDirectory);
            Options.Add(LibvirtSocket);
        }

        protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
        {
            var configPath = context.Get(Config)!;
            try
            {
                // Checked before anything starts, so a bad file fails fast with exit 2.
                BmcConfigFile.Load(configPath);
            }
            catch (BmcConfigException error)
            {
                throw new VMetalException(FailureKind.BadInput, error.Message);
            }

            var verbose = context.Get(GlobalOptions.Verbose);
            using var loggerFactory = LoggerFactory.Create(logging => logging
                .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information)
                .AddFilter("Microsoft", LogLevel.Warning)
                .AddSimpleConsole(console =>
                {
                    console.SingleLine = true;
                    console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffzzz ";
                }));

            var socket = context.Get(LibvirtSocket)!;
            var stateDirectory = context.Get(StateDirectory)!;
            LibvirtMachineBackend backend;
            try
            {
                backend = await LibvirtMachineBackend.ConnectAsync(
                    new UnixSocketTransport(socket), loggerFactory, cancellationToken, mediaDirectory: Path.Combine(stateDirectory, "media"));
            }
            catch (Exception error) when (error is LibvirtException or IOException or System.Net.Sockets.SocketException)
            {
                throw new VMetalException(FailureKind.Connection, $"cannot connect to libvirt at {socket}: {error.Message}", error);
            }

            await using (backend)
            {
                BmcHost host;
                try
                {
                    host = await BmcHost.StartAsync(new BmcHostOptions(configPath, stateDirectory), backend, loggerFactory, cancellationToken);
                }
                catch (BmcConfigException error)
                {
                    throw new VMetalException(FailureKind.BadInput, error.Message);
                }

                await using (host)
                {
                    context.Output.Info($"serving {host.IpmiEndPoints.Count} IPMI endpoint(s) and {host.RedfishEndPoints.Count} Redfish listener(s); stop with SIGTERM");
                    try
                    {
                        await Task.Delay(Timeout.Infinite, cancellationToken);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        // SIGTERM/SIGINT: the service's normal end.
                    }
                }
            }

            return ExitCodes.Success;
        }
    }
}
