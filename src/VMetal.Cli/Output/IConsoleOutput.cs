using Spectre.Console.Rendering;

namespace VMetal.Cli.Output;

public enum OutputFormat
{
    Text,
    Json,
}

/// <summary>
/// Everything a command shows the user goes through here. With <c>--output json</c>
/// the result document is the only thing on stdout; human chatter goes to stderr.
/// </summary>
public interface IConsoleOutput
{
    OutputFormat Format { get; }

    bool Verbose { get; }

    /// <summary>Progress and narration for humans.</summary>
    void Info(string message);

    /// <summary>Shown only with <c>-v</c>.</summary>
    void Detail(string message);

    void Success(string message);

    /// <summary>A remark for humans that always goes to stderr, for commands whose stdout is meant for a shell or a pipe.</summary>
    void Note(string message);

    void Warning(string message);

    void Error(string message);

    /// <summary>A table, tree or other Spectre renderable (text mode; stderr in JSON mode).</summary>
    void Render(IRenderable renderable);

    /// <summary>Plain text for the result itself, written to stdout as-is (text mode).</summary>
    void WriteText(string text);

    /// <summary>The command's machine-readable result (JSON mode: stdout).</summary>
    void WriteJson<T>(T value);

    /// <summary>Whether <see cref="WriteJson"/> has written a document (a failure then adds none of its own).</summary>
    bool WroteJson { get; }

    /// <summary>Runs long work behind a spinner when a human is watching.</summary>
    Task<T> StatusAsync<T>(string title, Func<Action<string>, Task<T>> work);
}
