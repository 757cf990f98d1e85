using System.Globalization;
using System.Text.RegularExpressions;

namespace VMetal.Topology;

/// <summary>
/// Expands the Jinja placeholders infrared's layouts use for third octets: <c>{{ net }}</c>,
/// <c>{{ data_net }}</c> and the arithmetic form <c>{{ net + 1 | string }}</c> (4_nets' tenant network).
/// Anything else inside <c>{{ }}</c> is an error: vmetal is not a Jinja engine.
/// </summary>
internal static partial class OctetTemplate
{
    /// <summary>Returns the expanded text, or null with <paramref name="error"/> set.</summary>
    public static string? Expand(string text, NetworkOctets octets, out string? error)
    {
        error = null;
        if (!text.Contains("{{", StringComparison.Ordinal))
            return text;
        string? firstError = null;
        var expanded = Placeholder().Replace(text, match =>
        {
            var expression = Expression().Match(match.Groups["body"].Value);
            if (!expression.Success)
            {
                firstError ??= $"unsupported template '{match.Value}' (only {{{{ net }}}}, {{{{ data_net }}}} and {{{{ net + N }}}} are understood)";
                return match.Value;
            }
            var value = expression.Groups["name"].Value == "net" ? octets.Net : octets.DataNet;
            if (expression.Groups["offset"].Success)
                value += int.Parse(expression.Groups["offset"].Value, CultureInfo.InvariantCulture);
            if (value > 255)
                firstError ??= $"'{match.Value}' gives {value}, which is not an octet (0-255)";
            return value.ToString(CultureInfo.InvariantCulture);
        });
        if (firstError is null && expanded.Contains("{{", StringComparison.Ordinal))
            firstError = "unbalanced '{{' in template";
        error = firstError;
        return firstError is null ? expanded : null;
    }

    [GeneratedRegex(@"\{\{(?<body>.*?)\}\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^\s*(?<name>net|data_net)\s*(\+\s*(?<offset>[0-9]{1,3})\s*)?(\|\s*(string|int)\s*)?$")]
    private static partial Regex Expression();
}
