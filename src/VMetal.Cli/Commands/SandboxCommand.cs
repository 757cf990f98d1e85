using System.CommandLine;
using VMetal.Cli.Output;
using VMetal.Hosting;
using VMetal.Sandbox;

namespace VMetal.Cli.Commands;

/// <summary><c>vmetal sandbox up|down|status|env|ssh</c>: the disposable local hypervisor.</summary>
public sealed class SandboxCommand : Command
{
    public SandboxCommand(CliServices services)
        : base("sandbox", "A disposable local hypervisor (libvirt + QEMU + sshd in its own network and mount namespace) for trying vmetal and for its tests")
    {
        Subcommands.Add(new UpCommand(services));
        Subcommands.Add(new DownCommand(services));
        Subcommands.Add(new StatusCommand(services));
        Subcommands.Add(new EnvCommand(services));
        Subcommands.Add(new SshCommand(services));
    }

    private sealed class UpCommand(CliServices services)
        : CommandBase("up", "Create or repair the sandbox (idempotent); prints its environment like 'env'", services)
    {
        protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
        {
            var (exitCode, stdout) = await context.Output.StatusAsync("starting the sandbox hypervisor",
                update => Services.Sandbox.RunAsync("up", [], line => Report(context, update, line), cancellationToken));
            if (exitCode != 0)
                throw new VMetalException(FailureKind.OperationFailed, "sandbox up failed (see the messages above)");
            var environment = SandboxEnvironment.Parse(stdout);
            Print(context, environment);
            // stdout carries only the environment, so `eval "$(vmetal sandbox up)"` works.
            context.Output.Note($"sandbox is up: {environment.Host}");
            return ExitCodes.Success;
        }
    }

    private sealed class DownCommand : CommandBase
    {
        private static readonly Option<bool> Purge = new("--purge") { Description = "Also delete the sandbox's keys and host keys" };

        public DownCommand(CliServices services)
            : base("down", "Stop the sandbox and remove everything it created (nothing is left in the host network namespace)", services)
        {
            Options.Add(Purge);
        }

        protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
        {
            var arguments = context.Get(Purge) ? new[] { "--purge" } : [];
            var (exitCode, _) = await context.Output.StatusAsync("stopping the sandbox hypervisor",
                update => Services.Sandbox.RunAsync("down", arguments, line => Report(context, update, line), cancellationToken));
            if (exitCode != 0)
                throw new VMetalException(FailureKind.OperationFailed, "sandbox down failed (see the messages above)");
            context.Output.Success("sandbox is down");
            return ExitCodes.Success;
        }
    }

    private sealed class StatusCommand(CliServices services)
        : CommandBase("status", "Show the sandbox's state (exit 0 up, 1 degraded, 3 down)", services)
    {
        protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
        {
            var (exitCode, stdout) = await Services.Sandbox.RunAsync("status", [], context.Output.Detail, cancellationToken);
            var state = Enum.IsDefined(typeof(SandboxState), exitCode) ? (SandboxState)exitCode : SandboxState.Degraded;
            if (context.Output.Format == OutputFormat.Json)
                context.Output.WriteJson(SandboxStatus.Parse(state, stdout));
            else
                context.Output.WriteText(stdout);
            return (int)state;
        }
    }

    private sealed class EnvCommand(CliServices services)
        : CommandBase("env", "Print shell assignments for clients: eval \"$(vmetal sandbox env)\"", services)
    {
        protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
        {
            var (exitCode, stdout) = await Services.Sandbox.RunAsync("env", [], context.Output.Detail, cancellationToken);
            if (exitCode != 0)
                throw new VMetalException(FailureKind.OperationFailed, "sandbox env failed");
            Print(context, SandboxEnvironment.Parse(stdout));
            return ExitCodes.Success;
        }
    }

    private sealed class SshCommand : CommandBase
    {
        private static readonly Argument<string[]> CommandLine = new("command")
        {
            Description = "Command to run (joined with spaces and run by the remote shell, like ssh(1)); none: a shell",
            Arity = ArgumentArity.ZeroOrMore,
        };

        public SshCommand(CliServices services)
            : base("ssh", "Run a command on the sandbox as its sudoer user (stdin, stdout and the exit code pass through), or open a shell there", services)
        {
            Arguments.Add(CommandLine);
        }

        protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
        {
            if (!SandboxManager.LooksUp())
                throw new VMetalException(FailureKind.Connection, "the sandbox is not up: run 'vmetal sandbox up'");
            var words = context.Get(CommandLine) ?? [];
            // A person at a terminal gets a real interactive session (a pty, line editing): OpenSSH's
            // client does that well, with the ssh config the sandbox writes for exactly this.
            if (words.Length == 0 && Services.InputIsTerminal())
                return await InteractiveShellAsync(cancellationToken);
            var settings = SandboxManager.DefaultEnvironment.HostSettings with
            {
                ConnectTimeout = TimeSpan.FromSeconds(Math.Max(1, context.Get(GlobalOptions.ConnectTimeout))),
            };
            await using var host = await Services.HostConnector.ConnectAsync(settings, cancellationToken);
            // Without a command and a terminal, like ssh(1): the remote shell reads its commands from stdin.
            var command = words.Length == 0 ? "exec \"${SHELL:-/bin/sh}\" -s" : string.Join(' ', words);
            return await RemoteCommandRelay.RunAsync(host, HostCommand.Of(command), Services, cancellationToken);
        }

        private static async Task<int> InteractiveShellAsync(CancellationToken cancellationToken)
        {
            var config = SandboxManager.DefaultEnvironment.SshConfig;
            System.Diagnostics.Process process;
            try
            {
                process = System.Diagnostics.Process.Start("ssh", ["-t", "-F", config, "vmetal-sandbox"]);
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new VMetalException(FailureKind.OperationFailed,
                    $"an interactive shell needs OpenSSH's ssh client ({ex.Message}); 'vmetal sandbox ssh -- COMMAND' works without it");
            }
            using (process)
            {
                await process.WaitForExitAsync(cancellationToken);
                return process.ExitCode;
            }
        }
    }

    private static void Report(CommandContext context, Action<string> update, string line)
    {
        update(line);
        context.Output.Detail(line);
    }

    private static void Print(CommandContext context, SandboxEnvironment environment)
    {
        if (context.Output.Format == OutputFormat.Json)
            context.Output.WriteJson(environment);
        else
            context.Output.WriteText(environment.ToShell());
    }
}
