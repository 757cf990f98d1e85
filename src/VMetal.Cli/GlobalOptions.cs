using System.CommandLine;
using VMetal.Cli.Output;

namespace VMetal.Cli;

/// <summary>Options every command accepts. Environment variables give their defaults.</summary>
public static class GlobalOptions
{
    public static readonly Option<string?> Host = new("--host")
    {
        Description = "Hypervisor to work on: user@address[:port], or 'local' for this machine [env: VMETAL_HOST; default: the sandbox when it is up]",
        HelpName = "user@address[:port]",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("VMETAL_HOST"),
    };

    public static readonly Option<string?> Key = new("--key")
    {
        Description = "SSH private key for the host [env: VMETAL_KEY; default: ssh-agent, then ~/.ssh/id_*]",
        HelpName = "path",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("VMETAL_KEY"),
    };

    public static readonly Option<string?> KnownHosts = new("--known-hosts")
    {
        Description = "OpenSSH known_hosts file used to verify the host key [env: VMETAL_KNOWN_HOSTS; default: ~/.ssh/known_hosts]",
        HelpName = "path",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("VMETAL_KNOWN_HOSTS"),
    };

    public static readonly Option<bool> AcceptNewHostKey = new("--accept-new-host-key")
    {
        Description = "Record the key of a host not yet in known_hosts (a changed key is still refused)",
        Recursive = true,
    };

    public static readonly Option<int> ConnectTimeout = new("--connect-timeout")
    {
        Description = "Seconds to wait for the SSH connection",
        HelpName = "seconds",
        Recursive = true,
        DefaultValueFactory = _ => 10,
    };

    // Defaults are described rather than set with DefaultValueFactory: help would print the value as well ("[default: Text]").
    public static readonly Option<string?> Workspace = new("--workspace")
    {
        Description = "Workspace name: keeps this lab's outputs and ownership apart from others [env: VMETAL_WORKSPACE; default: default]",
        HelpName = "name",
        Recursive = true,
    };

    public static readonly Option<string?> WorkspaceDir = new("--workspace-dir")
    {
        Description = "Directory for the workspace's outputs [default: ~/.vmetal/workspaces/<workspace>]",
        HelpName = "path",
        Recursive = true,
    };

    public static readonly Option<OutputFormat> Output = new("--output", "-o")
    {
        Description = "Output format: text for humans, json for machines (results on stdout, chatter on stderr) [default: text]",
        HelpName = "text|json",
        Recursive = true,
        // Our own message: the parser's default names the .NET enum type.
        CustomParser = result => ParseOutputFormat(result),
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Show more detail",
        Recursive = true,
    };

    private static OutputFormat ParseOutputFormat(System.CommandLine.Parsing.ArgumentResult result)
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (Enum.TryParse<OutputFormat>(token, ignoreCase: true, out var format) && Enum.IsDefined(format) && !char.IsDigit(token.FirstOrDefault()))
            return format;
        result.AddError($"--output '{token}': use text or json");
        return OutputFormat.Text;
    }

    public static IEnumerable<Option> All =>
        [Host, Key, KnownHosts, AcceptNewHostKey, ConnectTimeout, Workspace, WorkspaceDir, Output, Verbose];
}
