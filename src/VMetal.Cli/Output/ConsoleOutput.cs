using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace VMetal.Cli.Output;

/// <summary><see cref="IConsoleOutput"/> over Spectre.Console.</summary>
public sealed class ConsoleOutput : IConsoleOutput
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // Read by scripts and people, never embedded in HTML: 'quotes' and <angles> stay readable.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly IAnsiConsole _stdout;
    private readonly IAnsiConsole _stderr;
    private readonly TextWriter _rawStdout;
    private readonly TextWriter _rawStderr;
    private readonly bool _interactive;

    public ConsoleOutput(OutputFormat format, bool verbose, TextWriter stdout, TextWriter stderr, bool interactive)
    {
        Format = format;
        Verbose = verbose;
        _rawStdout = stdout;
        _rawStderr = stderr;
        _interactive = interactive;
        _stdout = Create(stdout, interactive);
        _stderr = Create(stderr, interactive);
    }

    public OutputFormat Format { get; }

    public bool Verbose { get; }

    /// <summary>Console output for the real process: colours and spinners only on a terminal.</summary>
    public static ConsoleOutput ForProcess(OutputFormat format, bool verbose) =>
        new(format, verbose, Console.Out, Console.Error,
            interactive: !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null);

    private IAnsiConsole Human => Format == OutputFormat.Json ? _stderr : _stdout;

    private bool HumanIsStderr => Format == OutputFormat.Json;

    public void Info(string message) => Line(HumanIsStderr, message);

    public void Detail(string message)
    {
        if (Verbose)
            Line(toStderr: true, message, style: "grey");
    }

    public void Success(string message) => Line(HumanIsStderr, message, style: "green");

    public void Note(string message) => Line(toStderr: true, message, style: "green");

    public void Warning(string message) => Line(toStderr: true, message, label: "warning:", labelStyle: "yellow");

    public void Error(string message) => Line(toStderr: true, message, label: "error:", labelStyle: "red");

    /// <summary>
    /// One message. In logs and pipes it is written as is: Spectre would break lines longer than
    /// the console width, which splits the printed command lines and long lists CI logs keep.
    /// </summary>
    private void Line(bool toStderr, string message, string? style = null, string? label = null, string? labelStyle = null)
    {
        if (_interactive)
        {
            var text = style is null ? Markup.Escape(message) : $"[{style}]{Markup.Escape(message)}[/]";
            if (label is not null)
                text = $"[{labelStyle}]{label}[/] {text}";
            (toStderr ? _stderr : _stdout).MarkupLine(text);
            return;
        }
        var writer = toStderr ? _rawStderr : _rawStdout;
        writer.WriteLine(label is null ? message : $"{label} {message}");
        writer.Flush();
    }

    public void Render(IRenderable renderable) => Human.Write(renderable);

    public void WriteText(string text) => _rawStdout.Write(text);

    public bool WroteJson { get; private set; }

    public void WriteJson<T>(T value)
    {
        WroteJson = true;
        _rawStdout.WriteLine(JsonSerializer.Serialize(value, JsonOptions));
        _rawStdout.Flush();
    }

    public async Task<T> StatusAsync<T>(string title, Func<Action<string>, Task<T>> work)
    {
        if (!_stderr.Profile.Capabilities.Interactive)
        {
            _stderr.MarkupLine($"[grey]{Markup.Escape(title)}[/]");
            return await work(update => Detail(update));
        }
        return await _stderr.Status().Spinner(Spinner.Known.Dots).StartAsync(Markup.Escape(title),
            context => work(update => context.Status(Markup.Escape(update))));
    }

    private static IAnsiConsole Create(TextWriter writer, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        // Logs and pipes should get whole lines, not text wrapped at 80 columns.
        if (!interactive)
            console.Profile.Width = 240;
        return console;
    }
}
