using System.Globalization;
using System.Text.RegularExpressions;

namespace VMetal.Bench;

/// <summary>
/// Where the time of a vmetal command went, read back from what it prints with <c>-v</c>: the
/// engine's marks ("host lock taken (41 ms)": milliseconds since the converge began) and one
/// line per applied change, time-stamped when printed. Every phase list adds up to the total.
/// </summary>
internal static partial class VerbosePhases
{
    /// <summary>The converge engine's marks (regex group names), in the order it prints them.</summary>
    private static readonly (string Group, string Phase)[] EngineMarks =
    [
        ("topology", "topology load"),
        ("lock", "host lock"),
        ("records", "workspace records"),
        ("facts", "host facts"),
        ("observe", "observe"),
        ("plan", "plan"),
        ("check", "host checks"),
        ("apply", "apply"),
    ];

    public static IReadOnlyList<(string Phase, double Milliseconds)> Up(CliRun run)
    {
        var marks = new List<(string Phase, double Milliseconds, double At)>();
        foreach (var line in run.Lines)
        {
            var match = EngineMark().Match(line.Text.TrimStart());
            if (match.Success)
            {
                var phase = EngineMarks.First(mark => match.Groups[mark.Group].Success).Phase;
                marks.Add((phase, Milliseconds(match), line.At.TotalMilliseconds));
            }
        }
        var total = run.Elapsed.TotalMilliseconds;
        if (marks.Count == 0)
            return [("total (no engine marks printed)", total)];

        // The engine's clock starts at ConvergeAsync; each line is printed just after its reading.
        var engineStart = marks.Min(m => m.At - m.Milliseconds);
        var phases = Connection(run, engineStart);
        var previous = 0.0;
        foreach (var (phase, milliseconds, _) in marks)
        {
            if (phase == "apply")
                phases.AddRange(ApplySteps(run, engineStart + previous, engineStart + milliseconds));
            else
                phases.Add((phase, milliseconds - previous));
            previous = milliseconds;
        }
        phases.Add(("after the engine (BMCs, outputs, disconnect)", total - (engineStart + previous)));
        return phases;
    }

    public static IReadOnlyList<(string Phase, double Milliseconds)> Down(CliRun run)
    {
        var changes = Changes(run);
        var total = run.Elapsed.TotalMilliseconds;
        var domains = changes.Where(c => c.Kind == "domain").ToList();
        if (domains.Count == 0)
            return [("total (no changes printed)", total)];
        var first = domains.Min(c => c.At - c.Milliseconds);
        var domainsDone = domains.Max(c => c.At);
        var rest = changes.Where(c => c.Kind != "domain").Select(c => c.At).DefaultIfEmpty(domainsDone).Max();
        var phases = Connection(run, first);
        phases[^1] = (phases[^1].Phase + ", lock, records, observe", phases[^1].Milliseconds);
        phases.Add(("destroy + undefine domains", domainsDone - first));
        phases.Add(("delete volumes, networks", rest - domainsDone));
        phases.Add(("record, outputs, disconnect", total - rest));
        return phases;
    }

    /// <summary>Up to where the engine (or the first change) starts: start-up, SSH, libvirt.</summary>
    private static List<(string Phase, double Milliseconds)> Connection(CliRun run, double engineStart)
    {
        if (run.ConnectStart is { } started && run.ConnectEnd is { } connected)
        {
            return
            [
                ("command start, topology check", started.TotalMilliseconds),
                ("SSH connect", (connected - started).TotalMilliseconds),
                ("libvirt connect", engineStart - connected.TotalMilliseconds),
            ];
        }
        // A separate process: the command says when it starts connecting.
        var connecting = run.Lines.FirstOrDefault(line => line.Text.StartsWith("connecting to ", StringComparison.Ordinal));
        if (connecting is null)
            return [("process start to engine (incl. SSH, libvirt)", engineStart)];
        return
        [
            ("process start (.NET, JIT), topology check", connecting.At.TotalMilliseconds),
            ("SSH + libvirt connect", engineStart - connecting.At.TotalMilliseconds),
        ];
    }

    /// <summary>The executor's phases: networks and volumes together, then every define, then every start.</summary>
    private static IEnumerable<(string Phase, double Milliseconds)> ApplySteps(CliRun run, double from, double to)
    {
        var changes = Changes(run);
        var domains = changes.Where(c => c.Kind == "domain").Select(c => c.At).ToList();
        var storage = changes.Where(c => c.Kind != "domain").Select(c => c.At).DefaultIfEmpty(from).Max();
        if (domains.Count < 2)
            return [("apply", to - from)];
        // A started domain prints twice: once defined, once started (phases never overlap).
        var defined = domains[(domains.Count / 2) - 1];
        var started = domains[^1];
        return
        [
            ("apply: record, networks, volumes", storage - from),
            ("apply: define domains", defined - storage),
            ("apply: start domains", started - defined),
            ("apply: final record", to - started),
        ];
    }

    private static List<(string Kind, double Milliseconds, double At)> Changes(CliRun run) =>
        run.Lines.Select(line => (Line: line, Match: Change().Match(line.Text.TrimStart())))
            .Where(x => x.Match.Success)
            .Select(x => (x.Match.Groups["kind"].Value, Milliseconds(x.Match), x.Line.At.TotalMilliseconds))
            .ToList();

    private static double Milliseconds(Match match) => double.Parse(match.Groups["ms"].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(?:(?<topology>topology loaded)|(?<lock>host lock taken)|(?<records>\d+ workspace record\(s\) read)|(?<facts>host facts read)|(?<observe>observed .+)|(?<plan>planned)|(?<check>host checked)|(?<apply>applied)) \((?<ms>\d+) ms\)$")]
    private static partial Regex EngineMark();

    [GeneratedRegex(@"^(create|update|replace|delete) (?<kind>pool|network|volume|domain|dhcphost) \S+ \((?<ms>\d+) ms\)$")]
    private static partial Regex Change();
}
