namespace VMetal.Topology;

/// <summary>
/// One problem found while loading or validating a topology. <see cref="File"/>, <see cref="Line"/>
/// and <see cref="Column"/> are set when the problem sits in a YAML file (1-based); problems in
/// command-line strings name the option in <see cref="Message"/> instead.
/// </summary>
public sealed record TopologyError(string? File, int? Line, int? Column, string Message)
{
    public static TopologyError General(string message) => new(null, null, null, message);

    /// <summary>The conventional compiler-style form: <c>file:line:column: message</c>.</summary>
    public override string ToString() => File is null
        ? Message
        : Line is null
            ? $"{File}: {Message}"
            : $"{File}:{Line}:{Column}: {Message}";
}

/// <summary>Collects errors and warnings while a topology is assembled.</summary>
internal sealed class Diagnostics
{
    private readonly List<TopologyError> _errors = [];
    private readonly List<string> _warnings = [];

    public IReadOnlyList<TopologyError> Errors => _errors;

    public IReadOnlyList<string> Warnings => _warnings;

    public bool HasErrors => _errors.Count > 0;

    public void Add(TopologyError error) => _errors.Add(error);

    public void Error(string message) => _errors.Add(TopologyError.General(message));

    public void Warn(string message)
    {
        if (!_warnings.Contains(message))
            _warnings.Add(message);
    }
}
