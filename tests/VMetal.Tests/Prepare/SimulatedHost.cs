using System.Text;
using System.Text.RegularExpressions;
using VMetal.Hosting;
using VMetal.Hypervisor;

namespace VMetal.Tests.Prepare;

/// <summary>
/// A fake host for transcript tests: it answers the commands check and prepare send the way a
/// <see cref="HostProfile"/> system would, keeps the state those commands change (packages,
/// units, files, the user, keys, the pool), and records every command. Unknown commands throw,
/// so a test sees every command prepare sends.
/// </summary>
internal sealed partial class SimulatedHost(HostProfile profile) : IHostConnection
{
    public const string NestedConfigFile = "/etc/modprobe.d/vmetal-nested-kvm.conf";

    private static readonly string[] LibvirtUnits = ["libvirtd.service", "virtqemud.service", "virtnetworkd.service", "virtstoraged.service"];

    public HostProfile Profile { get; } = profile;

    public HostTarget Target { get; } = HostTarget.Parse("root@hypervisor.example");

    public bool IsRoot => true;

    public Dictionary<string, string> Installed { get; } = new(StringComparer.Ordinal);

    public bool RepositoriesConfigured { get; set; } = true;

    public Dictionary<string, (string Enabled, string Active)> Units { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Files { get; } = new(StringComparer.Ordinal);

    public bool NestedOn { get; set; }

    public int ModuleUseCount { get; set; }

    public bool PoolReady { get; set; }

    public bool UserExists { get; set; }

    public HashSet<string> AuthorizedKeys { get; } = new(StringComparer.Ordinal);

    public List<HostCommand> Commands { get; } = [];

    public List<string> Writes { get; } = [];

    /// <summary>Commands that change the host (everything but reads and probes).</summary>
    public IEnumerable<string> ChangingCommands =>
        Commands.Select(command => command.Text).Where(text =>
            text.Contains(" install ", StringComparison.Ordinal) || text.StartsWith("systemctl enable", StringComparison.Ordinal)
            || text.StartsWith("modprobe", StringComparison.Ordinal) || text.Contains("vmetal-write", StringComparison.Ordinal))
        .Concat(Writes);

    /// <summary>A host as installed, before vmetal: only the profile's base packages (wget, say).</summary>
    public static SimulatedHost Fresh(HostProfile profile, params string[] preinstalled)
    {
        var host = new SimulatedHost(profile);
        foreach (var name in preinstalled)
            host.Installed[name] = profile.Repository[name];
        return host;
    }

    public Task<CommandResult> RunAsync(HostCommand command, CancellationToken cancellationToken = default)
    {
        Commands.Add(command);
        var text = command.Text;
        var result =
            text.Contains("section os-release os_release", StringComparison.Ordinal) ? Ok(Facts(text))
            : text.Contains("section packages packages", StringComparison.Ordinal) ? Ok(Section("packages", 0, PackageLines(text)))
            : text.Contains("\nlibvirt_sections", StringComparison.Ordinal) ? Ok(LibvirtSections())
            : text.StartsWith($"{Profile.Installer} -y install ", StringComparison.Ordinal) || text.Contains("apt-get -y", StringComparison.Ordinal) ? Install(text)
            : text.StartsWith("systemctl enable --now ", StringComparison.Ordinal) ? Enable(text)
            : text.StartsWith("modprobe -r ", StringComparison.Ordinal) ? Reload()
            : text.StartsWith("cat ", StringComparison.Ordinal) ? Read(Unquote(text["cat ".Length..]))
            : text == "pkaction --version" ? Ok(Profile.PolkitVersion)
            : text.Contains("pool-define-as", StringComparison.Ordinal) ? Pool()
            : text.Contains("useradd --create-home", StringComparison.Ordinal) ? User()
            : text.Contains("authorized_keys", StringComparison.Ordinal) ? Authorize(text)
            : throw new InvalidOperationException($"{Profile.Name} was sent a command it does not know: {text}");
        return Task.FromResult(result);
    }

    public Task<IHostProcess> StartAsync(HostCommand command, CancellationToken cancellationToken = default)
    {
        Commands.Add(command);
        var marker = command.Text.IndexOf("vmetal-write ", StringComparison.Ordinal);
        if (marker < 0)
            throw new InvalidOperationException($"{Profile.Name} was asked to stream a command it does not know: {command.Text}");
        // Arguments: the quoted path, then the announced length.
        var arguments = command.Text[(marker + "vmetal-write ".Length)..];
        var path = Unquote(arguments[..arguments.LastIndexOf(' ')]);
        return Task.FromResult<IHostProcess>(new FileWrite(content =>
        {
            Files[path] = content;
            Writes.Add($"{path}\n{content}");
        }));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private bool LibvirtInstalled => Installed.ContainsKey("libvirt") || Installed.ContainsKey("libvirt-daemon-system");

    private bool LibvirtRunning => Units.Any(unit => unit.Key is "libvirtd.service" or "virtqemud.service" && unit.Value.Active == "active");

    private string Facts(string command)
    {
        var text = new StringBuilder();
        text.Append(Section("sudo", 0, "root"));
        text.Append(Section("os-release", 0, Profile.OsRelease));
        text.Append(Section("uname", 0, Profile.Uname));
        text.Append(Section("init", 0, "systemd\nsystemd-booted"));
        text.Append(Section("threads", 0, Profile.Threads));
        text.Append(Section("cpu", 0, Profile.Cpu));
        text.Append(Section("memory", 0, Profile.Memory));
        text.Append(Section("disk", 0, Profile.Disk));
        text.Append(Section("dev-kvm", 0, "crw-rw-rw- 1 root kvm 10, 232 Nov 23 10:02 /dev/kvm"));
        var nested = NestedOn ? Profile.NestedValues.On : Profile.NestedValues.Off;
        text.Append(Section("kvm-modules", 0, $"{Profile.KvmModule} nested={nested} refcnt={ModuleUseCount}"));
        text.Append(Section("nested-config", 0, string.Join('\n', Files
            .Where(file => file.Key.StartsWith("/etc/modprobe.d/", StringComparison.Ordinal))
            .SelectMany(file => file.Value.Split('\n').Where(line => line.StartsWith("options", StringComparison.Ordinal)).Select(line => $"{file.Key}:{line}")))));
        text.Append(Section("tools", 0, Tools()));
        text.Append(Section("packages", 0, PackageLines(command)));
        text.Append(Section("repos", 0, RepositoriesConfigured ? Profile.Repolist : Profile.Installer == "yum" ? "repolist: 0" : ""));
        if (Profile.PackageKind == "deb")
            text.Append(Section("apt-lists", 0, "4"));
        var ipxe = Profile.PackageKind == "deb" ? "ipxe-qemu" : "ipxe-roms-qemu";
        text.Append(Installed.ContainsKey(ipxe) && Profile.PackageKind == "rpm" ? Section("ipxe-candidate", 0, "")
            : RepositoriesConfigured ? Section("ipxe-candidate", 0, Profile.IpxeCandidate)
            : Section("ipxe-candidate", 1, "Error: No matching Packages to list"));
        text.Append(LibvirtSections());
        if (LibvirtRunning)
            text.Append(Section("libvirt-kvm", 0, ""));
        text.Append(Section("polkit", 0, Profile.PolkitVersion));
        text.Append(UserExists ? Section("user", 0, "stack:x:1000:1000::/home/stack:/bin/bash") : Section("user", 2, ""));
        text.Append(Section("firmware", 0, Installed.ContainsKey(Profile.FirmwarePackage) ? Profile.Firmware : ""));
        return text.ToString();
    }

    private string Tools()
    {
        var tools = Profile.BaseTools;
        if (LibvirtInstalled)
            tools += "\nvirsh /usr/bin/virsh\nlibvirtd /usr/sbin/libvirtd\nvirtlogd /usr/sbin/virtlogd";
        if (LibvirtInstalled && Profile.UnitsAfterInstall.ContainsKey("virtqemud.service"))
            tools += "\nvirtqemud /usr/sbin/virtqemud";
        return tools;
    }

    private string PackageLines(string command) =>
        string.Join('\n', QueryToken().Matches(command)
            .Where(match => match.Groups["kind"].Value == Profile.PackageKind)
            .Select(match => match.Groups["name"].Value)
            .Distinct(StringComparer.Ordinal)
            .Select(name => (name, version: Installed.GetValueOrDefault(name)))
            .Select(package => Profile.PackageKind == "deb"
                ? package.version is null ? $"{package.name}\tdeb\tdpkg-query: no packages found matching {package.name}" : $"{package.name}\tdeb\tii  {package.version}"
                : package.version is null ? $"{package.name}\trpm\tno package provides {package.name}"
                : $"{package.name}\trpm\t{Profile.ProvidedBy.GetValueOrDefault(package.name, package.name)} {package.version}"));

    private string LibvirtSections()
    {
        var text = new StringBuilder();
        text.Append(!LibvirtInstalled ? Section("libvirt", 127, "timeout: failed to run command 'virsh': No such file or directory")
            : LibvirtRunning ? Section("libvirt", 0, Profile.LibvirtVersion)
            : Section("libvirt", 1, "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory"));
        text.Append(LibvirtRunning ? Section("libvirt-processes", 0, "1187 libvirtd") : Section("libvirt-processes", 1, ""));
        text.Append(Section("systemd-units", 0, string.Join('\n', LibvirtUnits.Select(unit =>
            Units.TryGetValue(unit, out var state) ? $"{unit} {state.Enabled} {state.Active}" : $"{unit} not-found inactive"))));
        return text.ToString();
    }

    private CommandResult Install(string command)
    {
        var names = command[(command.IndexOf(" install ", StringComparison.Ordinal) + " install ".Length)..]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(word => !word.StartsWith('-')).ToList();
        var unavailable = names.Where(name => !RepositoriesConfigured || !Profile.Repository.ContainsKey(name)).ToList();
        if (Profile.Installer == "dnf" && unavailable.Count > 0)
        {
            return new CommandResult(1, "", string.Join('\n', unavailable.Select(name => $"No match for argument: {name}")) +
                                           $"\nError: Unable to find a match: {string.Join(' ', unavailable)}");
        }
        var installable = names.Except(unavailable).ToList();
        foreach (var name in installable)
            Installed[name] = Profile.Repository[name];
        if (LibvirtInstalled)
        {
            foreach (var (unit, enabled) in Profile.UnitsAfterInstall)
                Units.TryAdd(unit, (enabled, "inactive"));
        }
        var notices = string.Join('\n', unavailable.Select(name => Profile.Installer == "yum" ? $"No package {name} available." : $"E: Unable to locate package {name}"));
        if (Profile.Installer == "apt-get" && unavailable.Count > 0)
            return new CommandResult(100, "Reading package lists...", notices);
        // yum installs what it found and exits 0 even when some names were not found.
        return installable.Count > 0
            ? new CommandResult(0, $"{notices}\nInstalled:\n  {string.Join("\n  ", installable)}\n\nComplete!", "")
            : new CommandResult(1, notices, "Error: Nothing to do");
    }

    private CommandResult Enable(string command)
    {
        var stderr = new StringBuilder();
        foreach (var unit in command["systemctl enable --now ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Units.TryGetValue(unit, out var state))
                return new CommandResult(1, "", $"Failed to enable unit: Unit file {unit} does not exist.");
            if (state.Enabled != "enabled")
                stderr.AppendLine($"Created symlink /etc/systemd/system/multi-user.target.wants/{unit} → /usr/lib/systemd/system/{unit}.");
            Units[unit] = ("enabled", "active");
        }
        return new CommandResult(0, "", stderr.ToString());
    }

    private CommandResult Reload()
    {
        NestedOn = Files.GetValueOrDefault(NestedConfigFile)?.Contains("nested=1", StringComparison.Ordinal) == true;
        return Ok(NestedOn ? Profile.NestedValues.On : Profile.NestedValues.Off);
    }

    private CommandResult Read(string path) =>
        Files.TryGetValue(path, out var content) ? new CommandResult(0, content, "") : new CommandResult(1, "", $"cat: {path}: No such file or directory");

    private CommandResult Pool()
    {
        if (!LibvirtRunning)
            return new CommandResult(1, "", "error: failed to connect to the hypervisor");
        if (PoolReady)
            return Ok("note: pool images");
        PoolReady = true;
        return Ok("did: defined dir pool images on /var/lib/libvirt/images\ndid: built /var/lib/libvirt/images\ndid: started images\ndid: autostart images\nnote: pool images");
    }

    private CommandResult User()
    {
        const string Note = "note: uid=1000(stack) gid=1000(stack) groups=1000(stack), home /home/stack";
        if (UserExists)
            return Ok(Note);
        UserExists = true;
        return Ok($"did: created user stack\ndid: allowed key logins for stack (password field '!!' became '*': still no password)\n{Note}");
    }

    private CommandResult Authorize(string command)
    {
        var match = AuthorizeArguments().Match(command);
        var user = match.Groups["user"].Value;
        if (user != "root" && !UserExists)
            return new CommandResult(3, "", $"no user {user}");
        var entry = $"{user} {WorkspaceKeys.Blob(match.Groups["key"].Value)}";
        if (!AuthorizedKeys.Add(entry))
            return Ok("");
        var home = user == "root" ? "/root" : $"/home/{user}";
        return Ok($"did: created {home}/.ssh (mode 0700)\ndid: added the key to {home}/.ssh/authorized_keys");
    }

    private static CommandResult Ok(string stdout) => new(0, stdout, "");

    private static string Section(string name, int exitCode, string text) =>
        $"{FactScript.SectionMarker}{name} {exitCode}\n{(text.Length > 0 ? text.TrimEnd('\n') + "\n" : "")}";

    private static string Unquote(string text) => text.Trim().Trim('\'');

    [GeneratedRegex(@"(?<kind>rpm|deb):(?<name>[A-Za-z0-9._+-]+)")]
    private static partial Regex QueryToken();

    [GeneratedRegex(@"vmetal (?<user>\S+) '(?<key>ssh-rsa [^']+)'")]
    private static partial Regex AuthorizeArguments();

    /// <summary>A streamed file write: what the command's stdin received is the file's content.</summary>
    private sealed class FileWrite : IHostProcess
    {
        private readonly TaskCompletionSource<int> _completion = new();

        public FileWrite(Action<string> onClosed) =>
            StandardInput = new CapturingStream(content =>
            {
                onClosed(content);
                _completion.TrySetResult(0);
            });

        public Stream StandardInput { get; }

        public Stream StandardOutput { get; } = new MemoryStream();

        public string StandardErrorText => "";

        public Task<int> Completion => _completion.Task;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class CapturingStream(Action<string> onClosed) : MemoryStream
    {
        private bool _closed;

        protected override void Dispose(bool disposing)
        {
            if (!_closed)
            {
                _closed = true;
                onClosed(Encoding.UTF8.GetString(ToArray()));
            }
            base.Dispose(disposing);
        }
    }
}
