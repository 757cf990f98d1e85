namespace VMetal.Bench;

/// <summary>Repeated samples of one figure, in milliseconds.</summary>
internal sealed class Series
{
    private readonly List<double> _values = [];

    public int Count => _values.Count;

    public void Add(double milliseconds)
    {
        if (!double.IsNaN(milliseconds))
            _values.Add(milliseconds);
    }

    public void Add(TimeSpan elapsed) => Add(elapsed.TotalMilliseconds);

    /// <summary>The middle sample; with an even count, the mean of the two middle ones.</summary>
    public double Median
    {
        get
        {
            if (_values.Count == 0)
                return double.NaN;
            var sorted = _values.Order().ToArray();
            var middle = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        }
    }

    public double Min => _values.Count == 0 ? double.NaN : _values.Min();

    public double Max => _values.Count == 0 ? double.NaN : _values.Max();

    /// <summary>"12.34 s (11.90-13.02)", or "-" without samples.</summary>
    public string Describe() => Count == 0 ? "-" : $"{Seconds(Median)} ({Seconds(Min)}-{Seconds(Max)})";

    public static string Seconds(double milliseconds) => double.IsNaN(milliseconds) ? "-" : $"{milliseconds / 1000:0.00} s";
}

/// <summary>Named series in the order they were first used (one table section each).</summary>
internal sealed class SeriesSet
{
    private readonly List<(string Name, Series Series)> _items = [];

    public Series this[string name]
    {
        get
        {
            foreach (var (existing, series) in _items)
            {
                if (existing == name)
                    return series;
            }
            var created = new Series();
            _items.Add((name, created));
            return created;
        }
    }

    public IEnumerable<(string Name, Series Series)> Items => _items;

    public void Add(IEnumerable<(string Name, double Milliseconds)> samples)
    {
        foreach (var (name, milliseconds) in samples)
            this[name].Add(milliseconds);
    }
}
