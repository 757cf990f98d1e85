using System.Globalization;

namespace VMetal.Topology;

/// <summary>One entry of <c>--topology-nodes</c>: a node definition (name or path) and how many VMs to make from it.</summary>
public sealed record NodeCount(string Definition, int Count);

/// <summary>Parses infrared's <c>name:count[,name:count]</c> syntax, e.g. <c>undercloud:1,controller:3,compute:2</c>.</summary>
public static class NodeCounts
{
    public const string OptionName = "--topology-nodes";

    /// <summary>More VMs than this of one type is almost certainly a typo, and would exhaust DHCP ranges.</summary>
    public const int MaxCount = 1000;

    public static IReadOnlyList<NodeCount> Parse(string text, out IReadOnlyList<TopologyError> errors)
    {
        var problems = new List<TopologyError>();
        var result = new List<NodeCount>();
        errors = problems;
        if (string.IsNullOrWhiteSpace(text))
        {
            problems.Add(TopologyError.General(
                $"{OptionName} is empty; expected name:count[,name:count], e.g. undercloud:1,controller:3,compute:2"));
            return result;
        }
        var items = text.Split(',');
        for (var position = 0; position < items.Length; position++)
        {
            var item = items[position].Trim();
            void Fail(string problem) => problems.Add(TopologyError.General(
                $"{OptionName} '{text}': item {position + 1} '{item}': {problem}"));

            if (item.Length == 0)
            {
                problems.Add(TopologyError.General($"{OptionName} '{text}': item {position + 1} is empty"));
                continue;
            }
            // The last colon splits, so a path such as ./topology/nodes/my.yml still works as a name.
            var colon = item.LastIndexOf(':');
            if (colon < 0)
            {
                Fail($"no count; expected name:count, e.g. {item}:1");
                continue;
            }
            var name = item[..colon].Trim();
            var countText = item[(colon + 1)..].Trim();
            if (name.Length == 0)
            {
                Fail("no node type before ':'");
                continue;
            }
            if (countText.StartsWith('-'))
            {
                Fail($"count '{countText}' is negative");
                continue;
            }
            if (!int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            {
                Fail(countText.Length == 0 ? "no count after ':'" : $"count '{countText}' is not a whole number");
                continue;
            }
            if (count > MaxCount)
            {
                Fail($"count {count} is more than {MaxCount}");
                continue;
            }
            var earlier = result.FindIndex(entry => entry.Definition == name);
            if (earlier >= 0)
            {
                Fail($"'{name}' is already listed; give each node type once with its total count");
                continue;
            }
            result.Add(new NodeCount(name, count));
        }
        return result;
    }
}
