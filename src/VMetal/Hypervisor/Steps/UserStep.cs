namespace VMetal.Hypervisor.Steps;

/// <summary>
/// The unprivileged account (stack) that may log in with a key and manage VMs. useradd leaves a
/// bare "!"/"!!" in the password field, which some sshd setups read as a locked account and
/// refuse even for keys; it becomes "*" (still no password login).
/// </summary>
internal sealed class UserStep : PrepareStep
{
    public const string StepName = "user";

    private const string Script = """
        u=$1
        if ! getent passwd "$u" >/dev/null; then
            shell=/bin/bash
            [ -x "$shell" ] || shell=/bin/sh
            useradd --create-home --shell "$shell" "$u" || exit 1
            echo "did: created user $u"
        fi
        password=$(getent shadow "$u" | cut -d: -f2)
        case $password in
            '!'|'!!'|'!*') usermod -p '*' "$u" || exit 1
                echo "did: allowed key logins for $u (password field '$password' became '*': still no password)" ;;
        esac
        home=$(getent passwd "$u" | cut -d: -f6)
        if [ ! -d "$home" ]; then
            mkdir -p "$home" && chown "$u:$(id -gn "$u")" "$home" && chmod 0700 "$home" || exit 1
            echo "did: created $home"
        fi
        echo "note: $(id "$u"), home $home"
        """;

    public override string Name => StepName;

    public override async Task<StepOutcome> RunAsync(PrepareContext context, CancellationToken cancellationToken)
    {
        var user = context.Options.UserName;
        var result = await context.RunAsync(ShellScript.LockedAsRoot(Script, user), cancellationToken);
        return ScriptOutcome.From(result, $"user {user}", "exists and accepts key logins");
    }
}
