namespace VMetal.Cli.Output;

/// <summary>
/// What <c>--output json</c> prints on stdout when a command fails before it has a result
/// document of its own, so a script always gets JSON: <c>{"error":{"exitCode":4,"kind":"connection","message":…}}</c>.
/// </summary>
public sealed record FailureDocument(FailureDocument.Failure Error)
{
    public static FailureDocument Of(int exitCode, FailureKind kind, string message, IReadOnlyList<string>? problems = null) =>
        new(new Failure(exitCode, kind, message, problems is { Count: > 0 } ? problems : null));

    public sealed record Failure(int ExitCode, FailureKind Kind, string Message, IReadOnlyList<string>? Problems);
}
