using System.Text.Json.Nodes;
using VMetal.Testing;

namespace VMetal.Cli.Tests.Converge;

/// <summary>Every document vmetal defines is camelCase (Ironic-shaped files keep Ironic's names, see OutputWriterTests).</summary>
public sealed class JsonConventionTests
{
    private static IEnumerable<string> Keys(JsonNode? node) => node switch
    {
        JsonObject obj => obj.SelectMany(pair => Keys(pair.Value).Prepend(pair.Key)),
        JsonArray array => array.SelectMany(Keys),
        _ => [],
    };

    [Theory]
    [InlineData("render", "--topology-nodes", "controller:1,compute:1,undercloud:1", "--prefix", "ab")]
    [InlineData("catalog")]
    public async Task Json_results_have_camel_case_keys(params string[] args)
    {
        var result = await CliRunner.RunAsync([.. args, "-o", "json"]);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        var keys = Keys(JsonNode.Parse(result.Stdout)).Distinct().ToList();
        Assert.Contains(keys, key => key.Any(char.IsUpper));
        Assert.All(keys, key => Assert.Matches("^[a-z][a-zA-Z0-9]*$", key));
    }
}
