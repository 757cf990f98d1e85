using System.Text.Json;
using System.Text.Json.Nodes;
using VMetal.Cli.Output;
using VMetal.Sandbox;

namespace VMetal.Cli.Tests.Sandbox;

/// <summary>`vmetal sandbox status -o json` gives each component as fields, from the lines the sandbox script prints.</summary>
public sealed class SandboxStatusJsonTests
{
    /// <summary>The script's namespace lines: the netns line names the namespace, or says "absent".</summary>
    private static string Namespaces(string netns, string mount) =>
        $"netns     : {netns} (/run/netns/vmetal-sbx)\nmount ns  : {mount} (/run/vmetal-sandbox/mnt)\n";

    /// <summary>The script's daemon lines, pids from 100 up.</summary>
    private static string Daemons(Func<string, int, string> state) =>
        string.Concat(new[] { "virtlogd", "libvirtd", "polkitd", "sshd" }.Select((name, index) => $"{name,-10}: {state(name, 100 + index)}\n"));

    private static string Running(string name, int pid) => $"running (pid {pid}; /run/vmetal-sandbox/{name}.pid)";

    private static string Stopped(string name) => $"not running (/run/vmetal-sandbox/{name}.pid)";

    private static JsonObject Json(SandboxState state, string text) =>
        JsonNode.Parse(JsonSerializer.Serialize(SandboxStatus.Parse(state, text), ConsoleOutput.JsonOptions))!.AsObject();

    [Fact]
    public void An_up_sandbox_has_every_component_with_its_pid_and_paths()
    {
        var json = Json(SandboxState.Up, Namespaces("vmetal-sbx", "present") + Daemons((name, pid) => Running(name, pid)) +
                                         "ssh       : ok (vmadmin@198.18.90.2)\ndomains   : 2\nnetworks  : 11\n");

        Assert.Equal("up", json["state"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"present":true,"name":"vmetal-sbx","path":"/run/netns/vmetal-sbx"}"""), json["networkNamespace"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"present":true,"path":"/run/vmetal-sandbox/mnt"}"""), json["mountNamespace"]));
        Assert.Equal(["libvirtd", "polkitd", "sshd", "virtlogd"], json["daemons"]!.AsObject().Select(pair => pair.Key));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"running":true,"pid":101,"pidFile":"/run/vmetal-sandbox/libvirtd.pid"}"""), json["daemons"]!["libvirtd"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"ok":true,"target":"vmadmin@198.18.90.2"}"""), json["ssh"]));
        Assert.Equal(2, json["domains"]!.GetValue<int>());
        Assert.Equal(11, json["networks"]!.GetValue<int>());
    }

    [Fact]
    public void A_degraded_sandbox_says_which_daemon_is_down_and_leaves_out_what_was_not_checked()
    {
        var json = Json(SandboxState.Degraded, Namespaces("vmetal-sbx", "absent") +
                                               Daemons((name, pid) => name == "libvirtd" ? Stopped(name) : Running(name, pid)));

        Assert.Equal("degraded", json["state"]!.GetValue<string>());
        Assert.False(json["mountNamespace"]!["present"]!.GetValue<bool>());
        Assert.Equal("/run/vmetal-sandbox/mnt", json["mountNamespace"]!["path"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"running":false,"pidFile":"/run/vmetal-sandbox/libvirtd.pid"}"""), json["daemons"]!["libvirtd"]));
        Assert.True(json["daemons"]!["sshd"]!["running"]!.GetValue<bool>());
        Assert.False(json.ContainsKey("ssh"));
        Assert.False(json.ContainsKey("domains"));
    }

    [Fact]
    public void A_sandbox_that_is_down_has_no_namespace_and_no_daemon_running()
    {
        var json = Json(SandboxState.Down, Namespaces("absent", "absent") + Daemons((name, _) => Stopped(name)));

        Assert.Equal("down", json["state"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"present":false,"name":"vmetal-sbx","path":"/run/netns/vmetal-sbx"}"""), json["networkNamespace"]));
        Assert.All(json["daemons"]!.AsObject(), pair => Assert.False(pair.Value!["running"]!.GetValue<bool>()));
    }
}
