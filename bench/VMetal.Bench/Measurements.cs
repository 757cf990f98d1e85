using System.Diagnostics;

namespace VMetal.Bench;

/// <summary>Per-operation wall-clock samples and their summary.</summary>
internal sealed class Measurements(string name)
{
    private readonly List<double> _milliseconds = [];

    public string Name { get; } = name;

    public async Task TimeAsync(Func<Task> operation)
    {
        var clock = Stopwatch.StartNew();
        await operation();
        _milliseconds.Add(clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>A sample measured some other way (e.g. a total divided by the operations it covered).</summary>
    public void Add(double milliseconds) => _milliseconds.Add(milliseconds);

    public double Median => Percentile(0.5);

    public double P90 => Percentile(0.9);

    public int Count => _milliseconds.Count;

    private double Percentile(double fraction)
    {
        var sorted = _milliseconds.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(fraction * sorted.Length))];
    }
}
