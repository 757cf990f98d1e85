using System.CommandLine;
using VMetal.Hosting;

namespace VMetal.Cli.Commands;

/// <summary><c>vmetal exec [--sudo] -- COMMAND…</c>: run a command on the hypervisor over vmetal's connection.</summary>
public sealed class ExecCommand : CommandBase
{
    private static readonly Option<bool> Sudo = new("--sudo") { Description = "Run as root through non-interactive sudo" };

    private static readonly Argument<string[]> CommandLine = new("command")
    {
        Description = "Command to run (joined with spaces and run by the remote shell, like ssh(1))",
        Arity = ArgumentArity.OneOrMore,
    };

    public ExecCommand(CliServices services)
        : base("exec", "Run a command on the hypervisor (stdin, stdout and the exit code pass through)", services)
    {
        Options.Add(Sudo);
        Arguments.Add(CommandLine);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        await using var host = await context.ConnectAsync(cancellationToken);
        var command = new HostCommand(string.Join(' ', context.Get(CommandLine) ?? [])) { Sudo = context.Get(Sudo) };
        return await RemoteCommandRelay.RunAsync(host, command, Services, cancellationToken);
    }
}
