using System.CommandLine;
using System.Text.Json;
using VMetal.Cli.Output;
using VMetal.Cli.Commands;

namespace VMetal.Cli;

/// <summary>Builds the <c>vmetal</c> command tree and runs it.</summary>
public static class VMetalCli
{
    public static RootCommand BuildRootCommand(CliServices services)
    {
        var root = new RootCommand(
            "vmetal turns a Linux machine into a hypervisor that emulates a bare-metal lab " +
            "(libvirt networks and VMs that PXE-boot like bare metal, with a virtual BMC per VM) for Ironic, TripleO and CI.");
        foreach (var option in GlobalOptions.All)
            root.Options.Add(option);
        root.Subcommands.Add(new DemoCommand(services));
        root.Subcommands.Add(new SandboxCommand(services));
        root.Subcommands.Add(new ExecCommand(services));
        root.Subcommands.Add(new CheckCommand(services));
        root.Subcommands.Add(new PrepareCommand(services));
        root.Subcommands.Add(new PlanCommand(services));
        root.Subcommands.Add(new UpCommand(services));
        root.Subcommands.Add(new StatusCommand(services));
        root.Subcommands.Add(new DownCommand(services));
        root.Subcommands.Add(new CleanupCommand(services));
        root.Subcommands.Add(new RemoveNodesCommand(services));
        root.Subcommands.Add(new ConsoleCommand(services));
        root.Subcommands.Add(new ImagesCommand(services));
        root.Subcommands.Add(new BmcCommand(services));
        root.Subcommands.Add(new RenderCommand(services));
        root.Subcommands.Add(new CatalogCommand(services));
        root.Subcommands.Add(new VirshCommand(services));
        return root;
    }

    /// <summary>Parses and runs; usage errors exit 2 with the problem and a pointer to --help.</summary>
    public static async Task<int> RunAsync(string[] args, CliServices services, TextWriter? stdout = null, TextWriter? stderr = null,
        CancellationToken cancellationToken = default)
    {
        stdout ??= Console.Out;
        stderr ??= Console.Error;
        var root = BuildRootCommand(services);
        // No @response-file expansion: '@' is an ordinary character in vmetal's arguments, and an
        // infrared idiom like `-e @extra.yml` must reach vmetal's own check, not be expanded silently.
        var parseResult = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parseResult.Errors.Count > 0)
        {
            var problems = UsageProblems(parseResult);
            foreach (var problem in problems)
                await stderr.WriteLineAsync($"error: {problem}");
            var commandPath = string.Join(' ', CommandPath(parseResult.CommandResult.Command));
            await stderr.WriteLineAsync($"usage: see '{commandPath} --help'");
            if (JsonRequested(parseResult))
                await stdout.WriteLineAsync(JsonSerializer.Serialize(
                    FailureDocument.Of(ExitCodes.BadInput, FailureKind.BadInput, problems[0], problems), ConsoleOutput.JsonOptions));
            return ExitCodes.BadInput;
        }
        // Signals are vmetal's own business (see TerminationSignals): they cancel cancellationToken.
        var configuration = new InvocationConfiguration
        {
            Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null,
        };
        return await parseResult.InvokeAsync(configuration, cancellationToken);
    }

    /// <summary>
    /// The parser's errors, minus "Required command was not provided" when a word was not
    /// recognised: `vmetal frobnicate` has one problem, the unknown word.
    /// </summary>
    private static List<string> UsageProblems(ParseResult parseResult)
    {
        var problems = parseResult.Errors.Select(error => error.Message).ToList();
        if (parseResult.UnmatchedTokens.Count > 0 && problems.Count > 1)
            problems.RemoveAll(problem => problem.StartsWith("Required command", StringComparison.Ordinal));
        return problems;
    }

    /// <summary>A script that asked for JSON gets its failure as JSON too, when --output itself parsed.</summary>
    private static bool JsonRequested(ParseResult parseResult) =>
        parseResult.GetResult(GlobalOptions.Output) is { } result && !result.Errors.Any() && parseResult.GetValue(GlobalOptions.Output) == OutputFormat.Json;

    private static IEnumerable<string> CommandPath(Command command)
    {
        var names = new Stack<string>();
        for (Symbol? symbol = command; symbol is Command current; symbol = current.Parents.OfType<Command>().FirstOrDefault())
            names.Push(current is RootCommand ? "vmetal" : current.Name);
        return names;
    }
}
