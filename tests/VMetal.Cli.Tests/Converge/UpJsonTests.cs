using System.Text.Json;
using System.Text.Json.Nodes;
using VMetal.Cli.Commands;
using VMetal.Cli.Output;
using VMetal.Converge;

namespace VMetal.Cli.Tests.Converge;

/// <summary>`up -o json` has the shape of `plan -o json`: one "changes" array at the top level, beside what up adds.</summary>
public sealed class UpJsonTests
{
    private static readonly Plan SomePlan = new(
        [
            new PlannedChange(ResourceKind.Network, "ab-management", ChangeAction.Create, "missing"),
            new PlannedChange(ResourceKind.Domain, "ab-compute-0", ChangeAction.Update, "definition changed: memory 512 MiB → 1024 MiB")
            {
                Fields = [new FieldChange("memory", "512 MiB", "1024 MiB")],
            },
            new PlannedChange(ResourceKind.Volume, "ab-compute-0-disk1.qcow2", ChangeAction.Unchanged, "up to date"),
        ],
        ["a warning"]);

    private static JsonObject Serialize(object document) =>
        JsonNode.Parse(JsonSerializer.Serialize(document, ConsoleOutput.JsonOptions))!.AsObject();

    [Fact]
    public void Up_json_lists_the_changes_once_at_the_top_level_with_plans_keys()
    {
        var applied = new[] { new AppliedChange(SomePlan.Changes[0], TimeSpan.FromMilliseconds(12), null) };

        var up = Serialize(LabSession.UpJson("ws", SomePlan, applied, [], [], ["/tmp/ws/hosts"]));
        var plan = Serialize(LabSession.PlanJson(SomePlan));

        Assert.False(up.ContainsKey("plan"));
        Assert.Equal(["workspace", "changes", "summary", "warnings", "applied", "bmc", "outputs"], up.Select(pair => pair.Key));
        // What plan prints of the plan, up prints the same way.
        foreach (var key in new[] { "changes", "summary", "warnings" })
            Assert.True(JsonNode.DeepEquals(plan[key], up[key]), $"'{key}' differs: plan {plan[key]?.ToJsonString()} up {up[key]?.ToJsonString()}");
        var changes = up["changes"]!.AsArray();
        Assert.Equal(3, changes.Count);
        var update = changes[1]!.AsObject();
        Assert.Equal(["kind", "name", "action", "reason", "changed"], update.Select(pair => pair.Key));
        Assert.Equal("domain", update["kind"]!.GetValue<string>());
        Assert.Equal("update", update["action"]!.GetValue<string>());
        Assert.Equal(1, up["summary"]!["create"]!.GetValue<int>());
        Assert.Equal(1, up["summary"]!["unchanged"]!.GetValue<int>());
        Assert.Equal("ab-management", up["applied"]![0]!["name"]!.GetValue<string>());
        Assert.Equal(12, up["applied"]![0]!["ms"]!.GetValue<int>());
    }
}
