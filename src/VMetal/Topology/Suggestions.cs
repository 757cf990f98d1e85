namespace VMetal.Topology;

/// <summary>"Did you mean …?" hints for misspelt names, by edit distance.</summary>
public static class Suggestions
{
    /// <summary>Returns <c>" (did you mean 'x'?)"</c> for the closest candidate within two edits, else "".</summary>
    public static string DidYouMean(string input, IEnumerable<string> candidates)
    {
        var best = candidates
            .Select(candidate => (candidate, distance: Distance(input.ToLowerInvariant(), candidate.ToLowerInvariant())))
            .Where(match => match.distance <= Math.Max(1, Math.Min(2, input.Length / 3)))
            .OrderBy(match => match.distance)
            .ThenBy(match => match.candidate, StringComparer.Ordinal)
            .Select(match => match.candidate)
            .FirstOrDefault();
        return best is null ? "" : $" (did you mean '{best}'?)";
    }

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }
            previous = current;
        }
        return previous[b.Length];
    }
}
