using Spectre.Console;
using VMetal.Cli.Output;
using VMetal.Hosting;
using VMetal.Sandbox;

namespace VMetal.Cli.Commands;

/// <summary>
/// <c>vmetal demo</c>: the README's first command. Brings the sandbox hypervisor up and runs
/// vmetal's main job against it, then shows the result.
/// </summary>
public sealed class DemoCommand(CliServices services)
    : CommandBase("demo", "Bring the sandbox hypervisor up and run vmetal's main job against it", services)
{
    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var output = context.Output;
        var (exitCode, stdout) = await output.StatusAsync("starting the sandbox hypervisor",
            update => Services.Sandbox.RunAsync("up", [], line => { update(line); output.Detail(line); }, cancellationToken));
        if (exitCode != 0)
            throw new VMetalException(FailureKind.OperationFailed, "sandbox up failed (run with -v for its log)");
        var sandbox = SandboxEnvironment.Parse(stdout);
        output.Success($"sandbox hypervisor is up: {sandbox.Host} (its own network namespace {sandbox.NetworkNamespace})");

        await using var host = await Services.HostConnector.ConnectAsync(sandbox.HostSettings, cancellationToken);
        var facts = await host.RunCheckedAsync(HostCommand.AsRoot(
            "echo \"os=$(. /etc/os-release; echo $PRETTY_NAME)\"; echo \"libvirt=$(virsh -c qemu:///system version --daemon | sed -n 's/^Running against daemon: //p')\"; " +
            "echo \"domains=$(virsh -c qemu:///system -q list --all --name | grep -c . || true)\""), cancellationToken);
        var values = facts.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair.Length > 1 ? pair[1] : string.Empty);

        if (output.Format == OutputFormat.Json)
        {
            output.WriteJson(new { sandbox, hypervisor = values });
            return ExitCodes.Success;
        }
        var table = new Table().AddColumn("hypervisor").AddColumn("value");
        table.AddRow("ssh", Markup.Escape(sandbox.Host));
        foreach (var (key, value) in values)
            table.AddRow(key, Markup.Escape(value));
        output.Render(table);
        output.Info("Next: eval \"$(./vmetal sandbox env)\" and run any vmetal command against it; ./vmetal sandbox down removes it.");
        return ExitCodes.Success;
    }
}
