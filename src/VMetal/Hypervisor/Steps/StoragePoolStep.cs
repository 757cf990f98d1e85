namespace VMetal.Hypervisor.Steps;

/// <summary>
/// The dir pool for images and node disks, defined, built, running and autostarted. Like the
/// converge engine, it looks the pool up by name first and else by directory: libvirt refuses a
/// second dir pool on a directory another pool (e.g. virt-install's "default") already has.
/// </summary>
internal sealed class StoragePoolStep : PrepareStep
{
    public const string StepName = "storage-pool";

    /// <summary>Prints "did: …" for each change and "note: …" for what it found.</summary>
    private const string Script = """
        name=$1 path=$2
        v() { virsh -q -c qemu:///system "$@"; }
        has_path() { v pool-dumpxml "$1" 2>/dev/null | grep -qF -e "<path>$path</path>" -e "<path>$path/</path>"; }
        if ! v pool-info "$name" >/dev/null 2>&1; then
            for p in $(v pool-list --all --name); do
                if has_path "$p"; then echo "note: pool $p already has $path: using it"; name=$p; break; fi
            done
        fi
        if ! v pool-info "$name" >/dev/null 2>&1; then
            v pool-define-as "$name" dir --target "$path" >/dev/null || exit 1
            echo "did: defined dir pool $name on $path"
        elif ! has_path "$name"; then
            echo "note: pool $name exists with another directory: $(v pool-dumpxml "$name" | sed -n 's:.*<path>\(.*\)</path>.*:\1:p' | head -n 1)"
        fi
        if [ ! -d "$path" ] && has_path "$name"; then v pool-build "$name" >/dev/null || exit 1; echo "did: built $path"; fi
        info=$(v pool-info "$name") || exit 1
        state=$(printf '%s\n' "$info" | sed -n 's/^State:[[:space:]]*//p')
        autostart=$(printf '%s\n' "$info" | sed -n 's/^Autostart:[[:space:]]*//p')
        if [ "$state" != running ]; then v pool-start "$name" >/dev/null || exit 1; echo "did: started $name"; fi
        if [ "$autostart" != yes ]; then v pool-autostart "$name" >/dev/null || exit 1; echo "did: autostart $name"; fi
        """;

    public override string Name => StepName;

    public override IReadOnlyList<string> DependsOn => [LibvirtDaemonStep.StepName];

    public override async Task<StepOutcome> RunAsync(PrepareContext context, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var path = options.PoolPath.Length > 1 ? options.PoolPath.TrimEnd('/') : options.PoolPath;
        var result = await context.RunAsync(ShellScript.LockedAsRoot(Script, options.PoolName, path), cancellationToken);
        return ScriptOutcome.From(result, $"pool {options.PoolName} on {path}", $"pool on {path} is running and autostarts");
    }
}
