using System.Globalization;
using VMetal.Cli.Options;
using VMetal.Hosting;
using VMetal.Topology;

namespace VMetal.Cli.Commands;

/// <summary>How an infrared flag takes its value (infrared's argparse rules).</summary>
internal enum FlagShape
{
    /// <summary><c>--flag VALUE</c> or <c>--flag=VALUE</c>; given twice, the last one wins.</summary>
    Value,

    /// <summary>Like <see cref="Value"/>, but every occurrence counts (<c>-e</c>, <c>--host-address</c>).</summary>
    Repeated,

    /// <summary><c>--flag [yes|no|true|false]</c> in any case; a bare flag means yes.</summary>
    Bool,
}

internal sealed record InfraredFlag(string Name, FlagShape Shape, string? Alias = null);

/// <summary>
/// The flags <c>vmetal virsh</c> accepts: infrared's virsh plugin flags (plugin.spec and the shared
/// groups), and a few vmetal ones a migrated job needs (<c>--image</c>, ...). infrared's
/// <c>-v</c> and <c>-o</c> never get here: vmetal's global <c>--verbose</c> and <c>--output</c> take them.
/// </summary>
internal static class InfraredFlags
{
    public static readonly IReadOnlyList<InfraredFlag> All =
    [
        // Hypervisor
        new("--host-address", FlagShape.Repeated),
        new("--host-user", FlagShape.Value),
        new("--host-key", FlagShape.Value),
        new("--host-validate", FlagShape.Bool),
        new("--host-memory-overcommit", FlagShape.Bool),
        new("--host-mtu-size", FlagShape.Value),
        new("--host-network-mtu-size", FlagShape.Value),
        new("--host-network-multicast-querier", FlagShape.Bool),
        // Image
        new("--image-url", FlagShape.Value),
        new("--force-image-download", FlagShape.Bool),
        new("--disk-pool", FlagShape.Value),
        new("--pool-name", FlagShape.Value),
        new("--image-mirror-url", FlagShape.Value),
        new("--image-ssh_user", FlagShape.Value),
        new("--image-ansible_connection", FlagShape.Value),
        // Topology
        new("--prefix", FlagShape.Value),
        new("--net_subnet", FlagShape.Value, "--net-subnet"),
        new("--data_subnet", FlagShape.Value, "--data-subnet"),
        new("--topology-network", FlagShape.Value),
        new("--topology-net-url", FlagShape.Value),
        new("--topology-nodes", FlagShape.Value),
        new("--topology-username", FlagShape.Value),
        new("--topology-extend", FlagShape.Bool),
        new("--topology-timezone", FlagShape.Value),
        // Advanced settings, cleanup, boot mode, disk bus, virt-install, VNC, facts
        new("--serial-files", FlagShape.Bool),
        new("--cleanup", FlagShape.Bool),
        new("--kill", FlagShape.Bool),
        new("--remove-nodes", FlagShape.Value),
        new("--bootmode", FlagShape.Value),
        new("--disk-bus", FlagShape.Value),
        new("--virtopts", FlagShape.Value),
        new("--tls-ca", FlagShape.Value),
        new("--vnc-external", FlagShape.Bool),
        new("--vnc-password", FlagShape.Value),
        new("--collect-ansible-facts", FlagShape.Bool),
        // Snapshots
        new("--virsh-snapshot-create", FlagShape.Bool),
        new("--virsh-snapshot-restore", FlagShape.Bool),
        new("--virsh-snapshot-export", FlagShape.Bool),
        new("--virsh-snapshot-import", FlagShape.Bool),
        new("--virsh-snapshot-upload", FlagShape.Bool),
        new("--virsh-snapshot-download", FlagShape.Bool),
        new("--virsh-snapshot-cleanup", FlagShape.Bool),
        new("--virsh-snapshot-quiesce", FlagShape.Bool),
        new("--virsh-snapshot-name", FlagShape.Value),
        new("--virsh-snapshot-servers", FlagShape.Value),
        new("--virsh-snapshot-path", FlagShape.Value),
        new("--virsh-snapshot-container", FlagShape.Value),
        // BGP
        new("--bgp-topology-mode", FlagShape.Value),
        // infrared's shared groups (-v/--verbose and -o/--output are vmetal's global options)
        new("--extra-vars", FlagShape.Repeated, "-e"),
        new("--ansible-args", FlagShape.Value),
        new("--inventory", FlagShape.Value),
        new("--dry-run", FlagShape.Bool),
        new("--from-file", FlagShape.Value),
        new("--generate-answers-file", FlagShape.Value),
        // vmetal's own, for what infrared flags cannot say
        new("--image", FlagShape.Value),
        new("--image-sha256", FlagShape.Value),
        new("--topology-dir", FlagShape.Value),
        new("--domain-type", FlagShape.Value),
        new("--start", FlagShape.Bool),
        new("--no-wait", FlagShape.Bool),
        new("--bmc", FlagShape.Value),
        new("--bmc-address", FlagShape.Value),
        new("--bmc-port", FlagShape.Value),
    ];

    public static readonly IReadOnlyList<string> SnapshotActions =
    [
        "--virsh-snapshot-create", "--virsh-snapshot-restore", "--virsh-snapshot-export", "--virsh-snapshot-import",
        "--virsh-snapshot-upload", "--virsh-snapshot-download", "--virsh-snapshot-cleanup", "--virsh-snapshot-quiesce",
    ];

    private static readonly Dictionary<string, InfraredFlag> ByName = All
        .SelectMany(flag => flag.Alias is null ? [(flag.Name, flag)] : new[] { (flag.Name, flag), (flag.Alias, flag) })
        .ToDictionary(entry => entry.Item1, entry => entry.flag, StringComparer.Ordinal);

    public static InfraredFlag Get(string name) =>
        ByName.TryGetValue(name, out var flag) ? flag : throw new ArgumentException($"'{name}' is not in the infrared flag table", nameof(name));

    /// <summary>infrared's Bool values: yes/no/true/false in any case.</summary>
    public static bool? ParseBool(string text) => text.ToLowerInvariant() switch
    {
        "yes" or "true" => true,
        "no" or "false" => false,
        _ => null,
    };

    /// <summary>Splits the tokens into flags and values; every problem is added to <paramref name="problems"/>.</summary>
    public static InfraredArguments Read(IReadOnlyList<string> tokens, List<string> problems)
    {
        var arguments = new InfraredArguments();
        for (var position = 0; position < tokens.Count; position++)
        {
            var token = tokens[position];
            string? next = position + 1 < tokens.Count && IsValue(tokens[position + 1]) ? tokens[position + 1] : null;
            if (!token.StartsWith('-') || token == "-")
            {
                problems.Add($"unexpected argument '{token}': vmetal virsh takes infrared's flags only (--flag value)");
                continue;
            }
            var (name, attached) = Split(token);
            if (!ByName.TryGetValue(name, out var flag))
            {
                var hint = Suggestions.DidYouMean(name, ByName.Keys.Where(known => known.StartsWith("--", StringComparison.Ordinal)));
                problems.Add($"unknown flag '{name}'{hint}; 'vmetal virsh --help' lists the infrared flags vmetal accepts");
                // Its value, if any, is not a second problem.
                if (attached is null && next is not null)
                    position++;
                continue;
            }
            if (flag.Shape == FlagShape.Bool)
            {
                var text = attached ?? next;
                if (attached is null && next is not null)
                    position++;
                if (text is null)
                    arguments.Add(flag, "true");
                else if (ParseBool(text) is { } value)
                    arguments.Add(flag, value ? "true" : "false");
                else
                    problems.Add($"{name}: expected yes, no, true or false, got '{text}'");
                continue;
            }
            var argument = attached ?? next;
            if (argument is null)
            {
                problems.Add($"{name} needs a value");
                continue;
            }
            if (attached is null)
                position++;
            if (flag.Name == "--extra-vars" && !argument.Contains('=', StringComparison.Ordinal) && !argument.StartsWith('@'))
                problems.Add($"-e '{argument}': expected key=value or @FILE, e.g. override.controller.memory=16384");
            else
                arguments.Add(flag, argument);
        }
        return arguments;
    }

    /// <summary>argparse's rule: a token is a value unless it starts with '-' (one with a space is a value: --virtopts "--cpu host").</summary>
    private static bool IsValue(string token) => !token.StartsWith('-') || token.Contains(' ', StringComparison.Ordinal);

    /// <summary><c>--name=value</c>, <c>-eKEY=VALUE</c> (argparse's attached short form) or a bare name.</summary>
    private static (string Name, string? Attached) Split(string token)
    {
        if (token.StartsWith("--", StringComparison.Ordinal))
        {
            var equals = token.IndexOf('=', StringComparison.Ordinal);
            return equals > 0 ? (token[..equals], token[(equals + 1)..]) : (token, null);
        }
        return token.Length > 2 && token.StartsWith("-e", StringComparison.Ordinal) ? ("-e", token[2..]) : (token, null);
    }
}

/// <summary>The flags of one command line, by canonical name; tracks which ones the translation used.</summary>
internal sealed class InfraredArguments
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public void Add(InfraredFlag flag, string value)
    {
        if (!_values.TryGetValue(flag.Name, out var values))
        {
            _values[flag.Name] = values = [];
            _order.Add(flag.Name);
        }
        values.Add(value);
    }

    public bool Has(string name) => Use(name).Count > 0;

    /// <summary>The value; argparse keeps the last one when a flag is repeated.</summary>
    public string? Value(string name) => Use(name) is { Count: > 0 } values ? values[^1] : null;

    public IReadOnlyList<string> Values(string name) => Use(name);

    /// <summary>A Bool flag: false when absent.</summary>
    public bool IsTrue(string name) => Value(name) == "true";

    /// <summary>Flags given but never looked at: they mean nothing for the chosen operation.</summary>
    public IReadOnlyList<string> Unused => _order.Where(name => !_used.Contains(name)).ToList();

    private List<string> Use(string name)
    {
        var flag = InfraredFlags.Get(name);
        _used.Add(flag.Name);
        return _values.TryGetValue(flag.Name, out var values) ? values : [];
    }
}

/// <summary>What infrared's dispatcher would run, and what vmetal runs for it.</summary>
internal enum VirshOperation
{
    /// <summary>No --cleanup/--kill/--remove-nodes: `vmetal up` (or `plan` with --dry-run).</summary>
    Provision,

    /// <summary>--topology-extend: the counts are added to the workspace's, and nothing that exists may change.</summary>
    Extend,

    /// <summary>--cleanup: `vmetal cleanup [--prefix]`.</summary>
    Cleanup,

    /// <summary>--kill: `vmetal down`.</summary>
    Kill,

    /// <summary>--remove-nodes: `vmetal remove-nodes`.</summary>
    RemoveNodes,
}

/// <summary>
/// An infrared <c>virsh</c> command line translated into the vmetal command that does its job.
/// <see cref="Parse"/> is pure: no host, no files.
/// </summary>
internal sealed record InfraredInvocation
{
    public required VirshOperation Operation { get; init; }

    /// <summary>The vmetal command: up, plan, cleanup, down or remove-nodes.</summary>
    public required string Command { get; init; }

    /// <summary>--topology-nodes (for an extend: what to add, until the command merges it with the lab's counts).</summary>
    public string? NodeCounts { get; init; }

    /// <summary>The command's other arguments and options.</summary>
    public IReadOnlyList<string> Options { get; init; } = [];

    /// <summary>--host and --key, from --host-address, --host-user and --host-key.</summary>
    public IReadOnlyList<string> HostOptions { get; init; } = [];

    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Flags that mean nothing here (as in infrared: e.g. topology flags with --kill).</summary>
    public IReadOnlyList<string> Ignored { get; init; } = [];

    /// <summary>--host-memory-overcommit: passed to `up`, whose hypervisor check applies infrared's memory rule.</summary>
    public bool HostMemoryOvercommit { get; init; }

    public IReadOnlyList<string> VmetalArguments =>
        [Command, .. NodeCounts is null ? [] : new[] { TopologyOptions.Nodes.Name, NodeCounts }, .. Options, .. HostOptions];

    /// <summary>The vmetal command line for humans, with the VNC password hidden.</summary>
    public static string Display(IReadOnlyList<string> arguments) =>
        "vmetal " + ShellQuote.Join(arguments.Select((argument, index) =>
            index > 0 && arguments[index - 1] == TopologyOptions.VncPassword.Name ? "***" : argument));

    /// <summary>Translates infrared's flags; every problem found is reported at once (exit 2).</summary>
    public static InfraredInvocation Parse(IReadOnlyList<string> tokens)
    {
        var problems = new List<string>();
        var flags = InfraredFlags.Read(tokens, problems);
        // What the flags mean is only worth checking once they read right.
        if (problems.Count > 0)
            throw Problems(problems);
        var warnings = new List<string>();
        var hostOptions = HostOptionsOf(flags, problems);
        RefuseUnsupported(flags, problems, warnings);

        var teardowns = new[] { "--cleanup", "--kill" }.Where(flags.IsTrue)
            .Concat(flags.Has("--remove-nodes") ? ["--remove-nodes"] : []).ToList();
        if (teardowns.Count > 1)
            problems.Add($"{string.Join(" and ", teardowns)}: give one of --cleanup, --kill and --remove-nodes per run");
        var noWait = flags.IsTrue("--no-wait") ? new[] { LabSession.NoWait.Name } : [];
        // `--prefix "$PREFIX"` with the variable unset: left out, --cleanup would remove every vmetal lab on the host.
        if (flags.Value("--prefix") is { } emptyPrefix && string.IsNullOrWhiteSpace(emptyPrefix))
        {
            problems.Add("--prefix is empty: give the lab's prefix, or leave --prefix out for a lab without one " +
                         "(with --cleanup, leaving it out removes every vmetal lab on the host)");
        }
        // --cleanup selects by prefix; --kill and --remove-nodes check it against the workspace's lab.
        string[] prefix = flags.Value("--prefix") is { Length: > 0 } given ? [TopologyOptions.Prefix.Name, given] : [];
        var invocation = teardowns.FirstOrDefault() switch
        {
            "--cleanup" => Teardown(VirshOperation.Cleanup, "cleanup", [.. prefix, .. noWait], flags, problems),
            "--kill" => Teardown(VirshOperation.Kill, "down", [.. prefix, .. noWait], flags, problems),
            "--remove-nodes" => Teardown(VirshOperation.RemoveNodes, "remove-nodes", [.. RemovedNodes(flags, problems), .. prefix, .. noWait], flags, problems),
            _ => Provision(flags, problems, warnings, noWait),
        };
        if (problems.Count > 0)
            throw Problems(problems);
        return invocation with { HostOptions = hostOptions, Warnings = warnings, Ignored = flags.Unused };
    }

    private static UsageException Problems(List<string> problems) =>
        new(problems.Count == 1 ? problems[0] : $"{problems.Count} problems:\n  " + string.Join("\n  ", problems));

    private static List<string> HostOptionsOf(InfraredArguments flags, List<string> problems)
    {
        var options = new List<string>();
        // infrared's help also allows a comma list for several hypervisors.
        var addresses = flags.Values("--host-address")
            .SelectMany(value => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Distinct(StringComparer.Ordinal).ToList();
        var user = flags.Value("--host-user");
        if (addresses.Count > 1)
        {
            problems.Add($"--host-address: vmetal drives one hypervisor per run, got {string.Join(", ", addresses)}; " +
                         "run vmetal virsh once per hypervisor, each with its own --workspace");
        }
        else if (addresses.Count == 1)
        {
            var host = $"{user ?? "root"}@{addresses[0]}";
            if (addresses[0].Contains('@', StringComparison.Ordinal))
                problems.Add($"--host-address '{addresses[0]}': give the address only; the user goes in --host-user");
            else if (TryParseHost(host) is { } problem)
                problems.Add($"--host-address: {problem}");
            else
                options.AddRange([GlobalOptions.Host.Name, host]);
        }
        else if (user is not null)
        {
            problems.Add("--host-user needs --host-address (without both, vmetal's --host or VMETAL_HOST applies)");
        }
        if (flags.Value("--host-key") is { Length: > 0 } key)
            options.AddRange([GlobalOptions.Key.Name, ExpandHome(key)]);
        return options;
    }

    private static string? TryParseHost(string host)
    {
        try
        {
            HostTarget.Parse(host);
            return null;
        }
        catch (FormatException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>Shells do not expand <c>~</c> in <c>--host-key=~/key</c>; infrared (Ansible) does.</summary>
    private static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + path[1..]
            : path;

    /// <summary>Flags that act in every operation in infrared (snapshots run after any of them).</summary>
    private static void RefuseUnsupported(InfraredArguments flags, List<string> problems, List<string> warnings)
    {
        var snapshots = InfraredFlags.SnapshotActions.Where(flags.IsTrue).ToList();
        if (snapshots.Count > 0)
        {
            problems.Add($"{string.Join(", ", snapshots)}: vmetal virsh takes, exports and restores no snapshots; " +
                         "use 'virsh snapshot-create-as' and 'virsh snapshot-revert' on the hypervisor");
        }
        if (flags.Has("--bgp-topology-mode"))
            problems.Add("--bgp-topology-mode: vmetal has no BGP topologies (infrared's provision_*_bgp playbooks)");
        foreach (var name in new[] { "--from-file", "--generate-answers-file" })
        {
            if (flags.Has(name))
                problems.Add($"{name}: answers files are not supported; give the flags on the command line");
        }
        if (flags.Has("--ansible-args"))
            warnings.Add("--ansible-args ignored: vmetal runs no Ansible playbooks, so tags and ansible-playbook arguments mean nothing");
        if (flags.Has("--inventory"))
            warnings.Add("--inventory ignored: vmetal writes the lab's inventory to the workspace directory (hosts)");
        if (flags.IsTrue("--collect-ansible-facts"))
            warnings.Add("--collect-ansible-facts ignored: vmetal runs no Ansible, so there are no facts to collect");
    }

    private static InfraredInvocation Teardown(VirshOperation operation, string command, IReadOnlyList<string> options,
        InfraredArguments flags, List<string> problems)
    {
        if (flags.IsTrue("--dry-run"))
            problems.Add($"--dry-run: vmetal can preview provisioning only (vmetal plan), not {OperationFlag(operation)}");
        return new InfraredInvocation { Operation = operation, Command = command, Options = options };
    }

    private static string OperationFlag(VirshOperation operation) => operation switch
    {
        VirshOperation.Cleanup => "--cleanup",
        VirshOperation.Kill => "--kill",
        _ => "--remove-nodes",
    };

    private static IReadOnlyList<string> RemovedNodes(InfraredArguments flags, List<string> problems)
    {
        var names = (flags.Value("--remove-nodes") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0)
            problems.Add("--remove-nodes: give node names, e.g. compute-2,compute-3");
        return [string.Join(',', names)];
    }

    private static InfraredInvocation Provision(InfraredArguments flags, List<string> problems, List<string> warnings, IReadOnlyList<string> noWait)
    {
        var options = new List<string>();
        void Pass(string infraredName, string vmetalName)
        {
            if (flags.Value(infraredName) is { Length: > 0 } value)
                options.AddRange([vmetalName, value]);
        }
        void PassBool(string infraredName, string vmetalName)
        {
            if (flags.IsTrue(infraredName))
                options.Add(vmetalName);
        }
        void Choice(string infraredName, string vmetalName, params string[] choices)
        {
            if (flags.Value(infraredName) is not { } value)
                return;
            if (choices.Contains(value, StringComparer.Ordinal))
                options.AddRange([vmetalName, value]);
            else
                problems.Add($"{infraredName}: '{value}' is not one of {string.Join(", ", choices)}");
        }
        void Octet(string infraredName, string vmetalName)
        {
            if (flags.Value(infraredName) is not { } value)
                return;
            if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var octet) && octet <= 255)
                options.AddRange([vmetalName, value]);
            else
                problems.Add($"{infraredName}: expected a third octet 0-255, got '{value}'");
        }

        var nodes = flags.Value("--topology-nodes");
        if (string.IsNullOrWhiteSpace(nodes))
        {
            problems.Add("provisioning needs --topology-nodes name:count[,name:count], e.g. undercloud:1,controller:3,compute:2 " +
                         "(infrared's run without nodes, which only prepares the hypervisor, has no vmetal virsh equivalent)");
        }
        Pass("--topology-network", TopologyOptions.Network.Name);
        Pass("--prefix", TopologyOptions.Prefix.Name);
        Octet("--net_subnet", TopologyOptions.NetOctet.Name);
        Octet("--data_subnet", TopologyOptions.DataNetOctet.Name);
        foreach (var extraVar in flags.Values("--extra-vars"))
            options.AddRange([TopologyOptions.ExtraVars.Name, extraVar]);
        Choice("--bootmode", TopologyOptions.BootMode.Name, "bios", "uefi");
        Choice("--disk-bus", TopologyOptions.DiskBus.Name, "virtio", "scsi");
        Pass("--disk-pool", TopologyOptions.DiskPool.Name);
        Pass("--pool-name", TopologyOptions.PoolName.Name);
        PassBool("--serial-files", TopologyOptions.SerialFiles.Name);
        PassBool("--vnc-external", TopologyOptions.VncExternal.Name);
        Pass("--vnc-password", TopologyOptions.VncPassword.Name);
        if (flags.IsTrue("--vnc-external") && flags.Value("--vnc-password") is not { Length: > 0 })
            problems.Add("--vnc-external needs --vnc-password, as in infrared: consoles listening on every address must have a password");
        Pass("--image", TopologyOptions.Image.Name);
        Pass("--topology-dir", TopologyOptions.Directory.Name);
        Choice("--domain-type", TopologyOptions.DomainTypeOption.Name, "kvm", "qemu");
        PassBool("--start", ConvergeOptions.Start.Name);
        options.AddRange(noWait);

        if (flags.Value("--image-url") is { } imageUrl)
        {
            if (flags.Has("--image"))
                warnings.Add($"--image-url {imageUrl} ignored: --image is used");
            else
                options.AddRange([TopologyOptions.ImageUrl.Name, imageUrl]);
        }
        if (flags.Value("--virtopts") is { Length: > 0 })
        {
            problems.Add("--virtopts: vmetal defines VMs from libvirt XML, not with virt-install; " +
                         "put the change in a node file (--topology-dir) or an -e override");
        }
        if (flags.Has("--topology-net-url"))
            problems.Add("--topology-net-url: vmetal downloads no layouts; download the file and pass --topology-network PATH");
        if (flags.Value("--host-network-mtu-size") is { } mtu)
        {
            problems.Add($"--host-network-mtu-size: not mapped; set the MTU of each network of the layout instead, " +
                         $"e.g. -e override.networks.net1.mtu={mtu} (net1, net2, net3 for 3_nets)");
        }
        Warn(flags, warnings, "--host-mtu-size", "vmetal attaches no physical NICs of the hypervisor to lab bridges");
        Warn(flags, warnings, "--topology-username", "OS nodes' cloud-init seed authorises the workspace key for root, which the inventory uses; no other user is created");
        Warn(flags, warnings, "--topology-timezone", "vmetal changes the timezone of neither the hypervisor nor the VMs");
        Warn(flags, warnings, "--image-mirror-url", "it serves only infrared's vQFX/vEOS switch images");
        Warn(flags, warnings, "--tls-ca", "only infrared's post-provisioning plays install CA certificates");
        if (flags.IsTrue("--force-image-download"))
        {
            warnings.Add($"--force-image-download ignored: a base image is downloaded once to {BaseImages.CacheDirectory} and never replaced, " +
                         "because the disks of existing nodes are overlays of it; to refresh it, tear the labs using it down and delete the file");
        }
        if (flags.IsTrue("--host-network-multicast-querier"))
            warnings.Add("--host-network-multicast-querier ignored: vmetal sets no multicast querier on lab bridges");

        var dryRun = flags.IsTrue("--dry-run");
        // `plan` takes up's options (and says which ones only `up` acts on), so --dry-run only swaps the command.
        if (flags.IsTrue("--host-memory-overcommit"))
            options.Add(CheckCommand.MemoryOvercommit.Name);
        if (flags.Value("--image-sha256") is { } sha256)
            options.AddRange([ConvergeOptions.ImageSha256.Name, sha256]);
        // The BMCs `up` deploys (both IPMI and Redfish unless told otherwise); `plan` shows them.
        Choice("--bmc", ConvergeOptions.Bmc.Name, "ipmi", "redfish", "both", "none");
        Pass("--bmc-address", ConvergeOptions.BmcAddress.Name);
        Pass("--bmc-port", ConvergeOptions.BmcPort.Name);
        var extend = flags.IsTrue("--topology-extend");
        return new InfraredInvocation
        {
            Operation = extend ? VirshOperation.Extend : VirshOperation.Provision,
            Command = dryRun ? "plan" : "up",
            NodeCounts = nodes,
            Options = options,
            HostMemoryOvercommit = flags.IsTrue("--host-memory-overcommit"),
        };
    }

    private static void Warn(InfraredArguments flags, List<string> warnings, string name, string why)
    {
        if (flags.Value(name) is { Length: > 0 } value)
            warnings.Add($"{name} {value} ignored: {why}");
    }
}
