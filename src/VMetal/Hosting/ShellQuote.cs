using System.Text;

namespace VMetal.Hosting;

/// <summary>
/// POSIX shell quoting. SSH sends a command as one string that the remote shell
/// parses again, so every argument we build must be quoted exactly once.
/// </summary>
public static class ShellQuote
{
    public static string Quote(string argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        if (argument.Length > 0 && argument.All(IsSafe))
            return argument;
        return "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    public static string Join(IEnumerable<string> arguments)
    {
        var builder = new StringBuilder();
        foreach (var argument in arguments)
        {
            if (builder.Length > 0)
                builder.Append(' ');
            builder.Append(Quote(argument));
        }
        return builder.ToString();
    }

    public static string Join(params string[] arguments) => Join((IEnumerable<string>)arguments);

    private static bool IsSafe(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '=' or '@' or ',' or '+' or '%';
}
