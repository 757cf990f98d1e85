using System.Globalization;
using VMetal.Hosting;

namespace VMetal.Hypervisor.Steps;

/// <summary>
/// A polkit rule granting <c>org.libvirt.unix.manage</c> to the user, so it can manage VMs over
/// qemu:///system without sudo: a JavaScript <c>.rules</c> file for polkit 0.106 and later, a
/// <c>.pkla</c> file (local authority) for older polkit. polkitd picks either up without a restart.
/// </summary>
internal sealed class PolkitStep : PrepareStep
{
    public const string StepName = "polkit";

    /// <summary>The first polkit that reads JavaScript rules (and no longer reads .pkla by itself).</summary>
    public static readonly Version JavaScriptRulesSince = new(0, 106);

    public override string Name => StepName;

    public override IReadOnlyList<string> DependsOn => [UserStep.StepName];

    public override async Task<StepOutcome> RunAsync(PrepareContext context, CancellationToken cancellationToken)
    {
        var version = context.Facts.PolkitVersion;
        if (version is null)
        {
            // Not there before the packages step, maybe there now (libvirt depends on polkit).
            var probe = await context.RunAsync(HostCommand.Of("pkaction --version"), cancellationToken);
            version = HostFacts.ParsePolkitVersion(probe.Stdout);
        }
        if (version is null)
            return StepOutcome.Failed("polkit is not installed (no pkaction): install polkit, then re-run");
        var (path, content) = RuleFor(context.Options.UserName, version);
        var existing = await context.RunAsync(HostCommand.AsRoot($"cat {ShellQuote.Quote(path)}"), cancellationToken);
        var kind = $"polkit {(version.Major > 0 ? version.Major.ToString(CultureInfo.InvariantCulture) : version.ToString())}: " +
                   (version >= JavaScriptRulesSince ? "JavaScript rule" : "local authority .pkla");
        if (existing.Succeeded && existing.Stdout == content)
            return StepOutcome.Unchanged($"{path} grants org.libvirt.unix.manage to {context.Options.UserName} ({kind})");
        await context.Host.WriteFileAsync(path, content, new FileWriteOptions { Sudo = true, Mode = Convert.ToInt32("644", 8) }, cancellationToken);
        return StepOutcome.Changed($"wrote {path}: org.libvirt.unix.manage for {context.Options.UserName} ({kind})");
    }

    /// <summary>The rule file for a user and polkit version: its path and exact content.</summary>
    public static (string Path, string Content) RuleFor(string user, Version polkitVersion)
    {
        if (polkitVersion >= JavaScriptRulesSince)
        {
            return ($"/etc/polkit-1/rules.d/50-vmetal-libvirt-{user}.rules",
                $$"""
                // Written by vmetal prepare: {{user}} may manage libvirt's system VMs without sudo.
                polkit.addRule(function(action, subject) {
                    if (action.id == "org.libvirt.unix.manage" && subject.user == "{{user}}") {
                        return polkit.Result.YES;
                    }
                });

                """);
        }
        return ($"/etc/polkit-1/localauthority/50-local.d/50-vmetal-libvirt-{user}.pkla",
            $"""
            [vmetal: libvirt management for {user}]
            Identity=unix-user:{user}
            Action=org.libvirt.unix.manage
            ResultAny=yes
            ResultInactive=yes
            ResultActive=yes

            """);
    }
}
