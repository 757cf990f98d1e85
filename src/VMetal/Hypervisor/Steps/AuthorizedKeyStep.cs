namespace VMetal.Hypervisor.Steps;

/// <summary>
/// Authorizes one of the workspace's public keys for a user on the host: ~/.ssh 0700 and
/// authorized_keys 0600 owned by the user, the key exactly once (a duplicate left by anything
/// else is removed), other lines untouched. The file is replaced atomically under a lock.
/// </summary>
internal sealed class AuthorizedKeyStep(string name, string keyName, Func<PrepareOptions, string> user, params string[] dependsOn) : PrepareStep
{
    public const string RootStepName = "root-key";

    public const string UserStepName = "user-key";

    private const string Script = """
        u=$1 key=$2
        entry=$(getent passwd "$u") || { echo "no user $u" >&2; exit 3; }
        home=$(printf '%s\n' "$entry" | cut -d: -f6)
        group=$(id -gn "$u") || exit 1
        dir=$home/.ssh file=$home/.ssh/authorized_keys
        blob=$(printf '%s\n' "$key" | awk '{ print $2 }')
        [ -n "$blob" ] || { echo "not an OpenSSH public key line" >&2; exit 2; }
        if [ ! -d "$dir" ]; then
            mkdir -m 0700 -p "$dir" && chown "$u:$group" "$dir" || exit 1
            echo "did: created $dir (mode 0700)"
        fi
        if [ "$(stat -c %U:%a "$dir")" != "$u:700" ]; then
            chown "$u:$group" "$dir" && chmod 0700 "$dir" || exit 1
            echo "did: $dir owned by $u, mode 0700"
        fi
        count=0
        if [ -f "$file" ]; then count=$(grep -cF -- "$blob" "$file"); fi
        if [ "$count" -ne 1 ]; then
            tmp=$(mktemp "$file.vmetal.XXXXXX") || exit 1
            trap 'rm -f "$tmp"' EXIT
            if [ -f "$file" ]; then
                awk -v blob="$blob" 'index($0, blob) { if (seen++) next } { print }' "$file" > "$tmp" || exit 1
                if [ -s "$tmp" ] && [ "$(tail -c 1 "$tmp" | wc -l)" -eq 0 ]; then echo >> "$tmp"; fi
            fi
            if [ "$count" -eq 0 ]; then
                printf '%s\n' "$key" >> "$tmp"
                echo "did: added the key to $file"
            else
                echo "did: removed $((count - 1)) duplicate line(s) of the key from $file"
            fi
            chown "$u:$group" "$tmp" && chmod 0600 "$tmp" && mv -f "$tmp" "$file" || exit 1
            trap - EXIT
        fi
        if [ "$(stat -c %U:%a "$file")" != "$u:600" ]; then
            chown "$u:$group" "$file" && chmod 0600 "$file" || exit 1
            echo "did: $file owned by $u, mode 0600"
        fi
        if command -v restorecon >/dev/null 2>&1; then restorecon -R "$dir" 2>/dev/null; fi
        """;

    public override string Name => name;

    public override IReadOnlyList<string> DependsOn => dependsOn;

    public static AuthorizedKeyStep ForRoot() =>
        new(RootStepName, WorkspaceKeys.RootKeyName, _ => "root", Steps.WorkspaceKeysStep.StepName);

    public static AuthorizedKeyStep ForUser() =>
        new(UserStepName, WorkspaceKeys.UndercloudKeyName, options => options.UserName, Steps.WorkspaceKeysStep.StepName, UserStep.StepName);

    public override async Task<StepOutcome> RunAsync(PrepareContext context, CancellationToken cancellationToken)
    {
        var publicKeyPath = Path.Combine(context.Options.WorkspaceDirectory, keyName + ".pub");
        if (!File.Exists(publicKeyPath))
            return StepOutcome.Failed($"{publicKeyPath} does not exist (the {WorkspaceKeysStep.StepName} step creates it)");
        var publicKey = (await File.ReadAllTextAsync(publicKeyPath, cancellationToken)).Trim();
        if (publicKey.Contains('\n', StringComparison.Ordinal) || WorkspaceKeys.Blob(publicKey) is null)
            return StepOutcome.Failed($"{publicKeyPath} is not one OpenSSH public key line");
        var account = user(context.Options);
        var result = await context.RunAsync(ShellScript.LockedAsRoot(Script, account, publicKey), cancellationToken);
        return ScriptOutcome.From(result, $"{keyName}.pub for {account}", $"{keyName}.pub authorized once for {account}, modes 0700/0600");
    }
}
