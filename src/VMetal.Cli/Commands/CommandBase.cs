using System.CommandLine;

namespace VMetal.Cli.Commands;

/// <summary>
/// Base of every vmetal command: builds the context, runs <see cref="ExecuteAsync"/>, and turns
/// failures into one-line messages and exit codes (<see cref="ExitCodes"/>).
/// </summary>
public abstract class CommandBase : Command
{
    protected CommandBase(string name, string description, CliServices services)
        : base(name, description)
    {
        Services = services;
        SetAction(InvokeAsync);
    }

    protected CliServices Services { get; }

    protected abstract Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken);

    private async Task<int> InvokeAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var output = Services.CreateOutput(parseResult.GetValue(GlobalOptions.Output), parseResult.GetValue(GlobalOptions.Verbose));
        try
        {
            var context = new CommandContext(parseResult, output, Services);
            context.ValidateGlobalOptions();
            return await ExecuteAsync(context, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            output.Error("interrupted");
            return ExitCodes.Cancelled;
        }
        catch (Topology.TopologyInvalidException ex)
        {
            // Every command that reads a topology ends here on bad input, each problem with its file:line:column.
            foreach (var warning in ex.Warnings)
                output.Warning(warning);
            foreach (var error in ex.Errors)
                output.Error(error.ToString());
            if (output.Format == Output.OutputFormat.Json)
                output.WriteJson(new { errors = ex.Errors, warnings = ex.Warnings });
            output.Error(ex.Message);
            return ExitCodes.For(ex.Kind);
        }
        catch (VMetalException ex)
        {
            output.Error(ex.Message);
            if (ex.InnerException is { } inner)
                output.Detail($"caused by {inner.GetType().Name}: {inner.Message}");
            return ExitCodes.For(ex.Kind);
        }
        catch (Exception ex)
        {
            output.Error($"{ex.GetType().Name}: {ex.Message}");
            output.Detail(ex.ToString());
            return ExitCodes.OperationFailed;
        }
    }
}
