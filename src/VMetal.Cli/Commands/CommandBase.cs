using System.CommandLine;
using VMetal.Cli.Output;

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
            var exitCode = ExitCodes.ForTermination(Services.TerminationSignal());
            Fail(output, exitCode, FailureKind.OperationFailed, "interrupted");
            return exitCode;
        }
        catch (Topology.TopologyInvalidException ex)
        {
            // Every command that reads a topology ends here on bad input, each problem with its file:line:column.
            foreach (var warning in ex.Warnings)
                output.Warning(warning);
            foreach (var error in ex.Errors)
                output.Error(error.ToString());
            if (output.Format == OutputFormat.Json && !output.WroteJson)
                output.WriteJson(new
                {
                    FailureDocument.Of(ExitCodes.For(ex.Kind), ex.Kind, ex.Message).Error,
                    errors = ex.Errors,
                    warnings = ex.Warnings,
                });
            output.Error(ex.Message);
            return ExitCodes.For(ex.Kind);
        }
        catch (VMetalException ex)
        {
            Fail(output, ExitCodes.For(ex.Kind), ex.Kind, ex.Message);
            if (ex.InnerException is { } inner)
                output.Detail($"caused by {inner.GetType().Name}: {inner.Message}");
            return ExitCodes.For(ex.Kind);
        }
        catch (Exception ex)
        {
            Fail(output, ExitCodes.OperationFailed, FailureKind.OperationFailed, $"{ex.GetType().Name}: {ex.Message}");
            output.Detail(ex.ToString());
            return ExitCodes.OperationFailed;
        }
    }

    /// <summary>The one-line error on stderr, and with --output json the failure document on stdout unless a result is there already.</summary>
    private static void Fail(IConsoleOutput output, int exitCode, FailureKind kind, string message)
    {
        output.Error(message);
        if (output.Format == OutputFormat.Json && !output.WroteJson)
            output.WriteJson(FailureDocument.Of(exitCode, kind, message));
    }
}
