using VMetal.Hosting;
using VMetal.Testing;

namespace VMetal.Tests.Hosting;

public sealed class ShellQuoteTests
{
    public static TheoryData<string> NastyArguments =>
    [
        "plain", "", "two words", "it's", "\"double\"", "$HOME", "`id`", "$(id)", "a;b", "a|b", "a&&b", "*", "~",
        "back\\slash", "new\nline", "tab\there", "'''", "-n", "naïve ☃",
    ];

    [Theory]
    [MemberData(nameof(NastyArguments))]
    public async Task A_quoted_argument_reaches_the_program_unchanged_through_a_real_shell(string argument)
    {
        var result = await ProcessRunner.RunAsync("/bin/sh", "-c", $"printf '%s' {ShellQuote.Quote(argument)}");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(argument, result.Stdout);
    }

    [Fact]
    public async Task Join_keeps_argument_boundaries()
    {
        string[] arguments = ["one", "two words", "", "it's"];

        var result = await ProcessRunner.RunAsync("/bin/sh", "-c", $"for a in {ShellQuote.Join(arguments)}; do printf '[%s]' \"$a\"; done");

        Assert.Equal("[one][two words][][it's]", result.Stdout);
    }

    [Fact]
    public void Safe_words_are_left_bare()
    {
        Assert.Equal("/var/lib/libvirt/images", ShellQuote.Quote("/var/lib/libvirt/images"));
        Assert.Equal("'a b'", ShellQuote.Quote("a b"));
    }
}
