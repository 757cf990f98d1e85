using System.Globalization;
using System.Text.RegularExpressions;

namespace VMetal.Topology;

/// <summary>
/// Sizes as infrared's files write them. Suffixes K, M, G, T, P (optionally followed by "iB",
/// any case) are powers of 1024, as qemu-img reads them; a plain number keeps the field's own unit
/// (bytes for disk sizes, as for qemu-img; MiB for memory, as for virt-install).
/// </summary>
public static partial class Sizes
{
    public const long MiB = 1024 * 1024;

    public const string Expected = "a positive number with an optional K, M, G, T or P suffix (powers of 1024), e.g. 64G, 64GiB or 512M";

    /// <summary>Parses a size; null when the text is malformed or not positive.</summary>
    public static long? TryParse(string text, long plainUnit)
    {
        var match = SizePattern().Match(text.Trim());
        if (!match.Success)
            return null;
        var number = decimal.Parse(match.Groups["number"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        long unit = match.Groups["unit"].Value.ToUpperInvariant() switch
        {
            "" => plainUnit,
            "K" => 1024L,
            "M" => MiB,
            "G" => 1024L * MiB,
            "T" => 1024L * 1024 * MiB,
            _ => 1024L * 1024 * 1024 * MiB,
        };
        var bytes = number * unit;
        return bytes is >= 1 and <= long.MaxValue ? (long)decimal.Floor(bytes) : null;
    }

    /// <summary>Compact human form, e.g. 68719476736 → "64G", 1610612736 → "1.5G".</summary>
    public static string Format(long bytes)
    {
        string[] units = ["", "K", "M", "G", "T", "P"];
        var value = (decimal)bytes;
        var index = 0;
        while (value >= 1024 && index < units.Length - 1)
        {
            value /= 1024;
            index++;
        }
        return decimal.Round(value, 1).ToString("0.#", CultureInfo.InvariantCulture) + units[index];
    }

    [GeneratedRegex(@"^(?<number>[0-9]+(\.[0-9]+)?)\s*(?:(?<unit>[KMGTPkmgtp])(?:[iI][bB])?)?$")]
    private static partial Regex SizePattern();
}
