using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace VMetal.Topology.Yaml;

/// <summary>Parses YAML text into a <see cref="YamlValue"/> tree with file positions.</summary>
internal static class YamlTreeReader
{
    /// <summary>
    /// Reads one YAML document. Returns null and records an error (with position) when the text
    /// is not valid YAML; an empty document yields a null scalar.
    /// </summary>
    public static YamlValue? Read(string text, string file, Diagnostics diagnostics)
        => Read(text, mark => Origin.InFile(file, (int)mark.Line, (int)mark.Column), diagnostics);

    /// <summary>Reads a value given on the command line; every node gets the argument as origin.</summary>
    public static YamlValue? ReadArgumentValue(string text, string argument, Diagnostics diagnostics)
        => Read(text, _ => Origin.FromArgument(argument), diagnostics);

    private static YamlValue? Read(string text, Func<Mark, Origin> originOf, Diagnostics diagnostics)
    {
        var parser = new TrackingParser(new Parser(new StringReader(text)));
        try
        {
            parser.Consume<StreamStart>();
            if (parser.TryConsume<StreamEnd>(out var end))
                return new YamlScalar(originOf(end.Start), "", isPlain: true);
            parser.Consume<DocumentStart>();
            var errorsBefore = diagnostics.Errors.Count;
            var anchors = new Dictionary<string, YamlValue>(StringComparer.Ordinal);
            var root = ReadValue(parser, originOf, anchors, diagnostics);
            parser.Consume<DocumentEnd>();
            if (parser.Current is DocumentStart second)
            {
                diagnostics.Add(originOf(second.Start).Error("expected one YAML document, found a second one"));
                return null;
            }
            return diagnostics.Errors.Count > errorsBefore ? null : root;
        }
        catch (YamlException exception)
        {
            diagnostics.Add(originOf(exception.Start).Error($"YAML syntax error: {CleanMessage(exception)}"));
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this (without a position) on some malformed flow
            // collections; the last event it did parse is the best position there is.
            diagnostics.Add(originOf(parser.LastEnd).Error("YAML syntax error: cannot parse what follows (an unclosed '[' or '{'?)"));
            return null;
        }
    }

    private static YamlValue ReadValue(
        IParser parser, Func<Mark, Origin> originOf, Dictionary<string, YamlValue> anchors, Diagnostics diagnostics)
    {
        var origin = originOf(parser.Current!.Start);
        YamlValue value;
        string? anchor = null;
        switch (parser.Current)
        {
            case AnchorAlias alias:
                parser.MoveNext();
                if (anchors.TryGetValue(alias.Value.Value, out var target))
                    return target;
                diagnostics.Add(origin.Error($"unknown YAML alias '*{alias.Value.Value}'"));
                return new YamlScalar(origin, "", isPlain: true);
            case Scalar scalar:
                parser.MoveNext();
                anchor = AnchorOf(scalar);
                value = new YamlScalar(origin, scalar.Value, scalar.Style == ScalarStyle.Plain);
                break;
            case SequenceStart start:
                parser.MoveNext();
                anchor = AnchorOf(start);
                var items = new List<YamlValue>();
                while (!parser.TryConsume<SequenceEnd>(out _))
                    items.Add(ReadValue(parser, originOf, anchors, diagnostics));
                value = new YamlList(origin, items);
                break;
            case MappingStart start:
                parser.MoveNext();
                anchor = AnchorOf(start);
                value = ReadMapping(parser, origin, originOf, anchors, diagnostics);
                break;
            default:
                throw new YamlException(parser.Current.Start, parser.Current.End, $"unexpected {parser.Current.GetType().Name}");
        }
        if (anchor is not null)
            anchors[anchor] = value;
        return value;
    }

    private static YamlMap ReadMapping(
        IParser parser, Origin origin, Func<Mark, Origin> originOf, Dictionary<string, YamlValue> anchors, Diagnostics diagnostics)
    {
        var map = new YamlMap(origin);
        while (!parser.TryConsume<MappingEnd>(out _))
        {
            var keyOrigin = originOf(parser.Current!.Start);
            var key = ReadValue(parser, originOf, anchors, diagnostics);
            var value = ReadValue(parser, originOf, anchors, diagnostics);
            if (key is not YamlScalar { IsNull: false } scalarKey)
            {
                diagnostics.Add(keyOrigin.Error($"mapping keys must be plain text, got {key.Describe()}"));
                continue;
            }
            if (map.Find(scalarKey.Text) is { } existing)
            {
                diagnostics.Add(keyOrigin.Error(
                    $"duplicate key '{scalarKey.Text}' (first defined at line {existing.KeyOrigin.Line})"));
                continue;
            }
            map.Set(scalarKey.Text, keyOrigin, value);
        }
        return map;
    }

    private static string? AnchorOf(NodeEvent node) => node.Anchor.IsEmpty ? null : node.Anchor.Value;

    /// <summary>YamlDotNet prefixes messages with "(Line: x, Col: y, Idx: z) - (...): "; we print our own position.</summary>
    private static string CleanMessage(YamlException exception)
    {
        var message = exception.Message;
        var separator = message.LastIndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith('(') && separator >= 0 ? message[(separator + 3)..] : message;
    }

    /// <summary>Remembers where the last successfully parsed event ended.</summary>
    private sealed class TrackingParser(IParser inner) : IParser
    {
        public Mark LastEnd { get; private set; } = Mark.Empty;

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            if (inner.Current is { } current)
                LastEnd = current.End;
            return inner.MoveNext();
        }
    }
}
