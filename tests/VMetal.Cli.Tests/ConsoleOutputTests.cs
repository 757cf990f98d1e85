using VMetal.Cli.Output;

namespace VMetal.Cli.Tests;

public sealed class ConsoleOutputTests
{
    /// <summary>A CI log keeps `running vmetal up …` and long lists whole, so they can be copied and grepped.</summary>
    [Fact]
    public void Messages_longer_than_the_console_are_not_broken_in_logs()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var output = new ConsoleOutput(OutputFormat.Text, verbose: true, stdout, stderr, interactive: false);
        var command = "running vmetal up " + string.Join(' ', Enumerable.Range(0, 40).Select(i => $"--extra-vars override.n{i}.memory=512"));

        output.Info(command);
        output.Warning(command);
        output.Error(command);
        output.Detail(command);

        Assert.Equal(command + "\n", stdout.ToString());
        Assert.Equal($"warning: {command}\nerror: {command}\n{command}\n", stderr.ToString());
    }

    [Fact]
    public void Markup_characters_in_messages_are_written_as_they_are()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var output = new ConsoleOutput(OutputFormat.Json, verbose: false, stdout, stderr, interactive: false);

        output.Info("-e override.networks.[net1].mtu=9000");

        Assert.Empty(stdout.ToString());
        Assert.Equal("-e override.networks.[net1].mtu=9000\n", stderr.ToString());
    }
}
