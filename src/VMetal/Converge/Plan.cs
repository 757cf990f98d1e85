using System.Text.Json.Serialization;

namespace VMetal.Converge;

/// <summary>The kinds of host objects vmetal manages.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ResourceKind>))]
public enum ResourceKind
{
    [JsonStringEnumMemberName("pool")] Pool,
    [JsonStringEnumMemberName("network")] Network,
    [JsonStringEnumMemberName("dhcp-host")] DhcpHost,
    [JsonStringEnumMemberName("volume")] Volume,
    [JsonStringEnumMemberName("domain")] Domain,
}

[JsonConverter(typeof(JsonStringEnumConverter<ChangeAction>))]
public enum ChangeAction
{
    [JsonStringEnumMemberName("unchanged")] Unchanged,
    [JsonStringEnumMemberName("create")] Create,
    [JsonStringEnumMemberName("update")] Update,
    [JsonStringEnumMemberName("replace")] Replace,
    [JsonStringEnumMemberName("delete")] Delete,
}

/// <summary>One line of a plan: what happens to one object, and why.</summary>
/// <param name="Subject">What the executor needs (desired spec or observed object); not printed.</param>
public sealed record PlannedChange(ResourceKind Kind, string Name, ChangeAction Action, string Reason,
    [property: JsonIgnore] object? Subject = null)
{
    /// <summary>For a changed definition: which fields differ (also spelt out in <see cref="Reason"/>).</summary>
    public IReadOnlyList<FieldChange> Fields { get; init; } = [];

    public override string ToString() => $"{Action,-9} {Kind,-9} {Name}: {Reason}";
}

/// <summary>
/// What converging would do, computed without touching the host (from observed and desired
/// state). Printing it is `vmetal plan`; applying it is `vmetal up`.
/// </summary>
public sealed record Plan(IReadOnlyList<PlannedChange> Changes, IReadOnlyList<string> Warnings)
{
    public bool IsNoOp => Changes.All(change => change.Action == ChangeAction.Unchanged);

    public int Count(ChangeAction action) => Changes.Count(change => change.Action == action);

    public IEnumerable<PlannedChange> Of(ResourceKind kind, params ChangeAction[] actions) =>
        Changes.Where(change => change.Kind == kind && (actions.Length == 0 || actions.Contains(change.Action)));

    public string Summary =>
        $"{Count(ChangeAction.Create)} to create, {Count(ChangeAction.Update)} to update, {Count(ChangeAction.Replace)} to replace, " +
        $"{Count(ChangeAction.Delete)} to delete, {Count(ChangeAction.Unchanged)} unchanged";
}
