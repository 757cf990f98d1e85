using System.Text.RegularExpressions;
using VMetal.Hosting;

namespace VMetal.Hypervisor.Steps;

/// <summary>
/// Nested KVM where the CPU has vmx/svm: <c>options kvm_intel nested=1</c> (or kvm_amd) in
/// modprobe.d, and the module reloaded now, but only when no VM holds it (a reload would fail
/// under running VMs anyway; the option then applies at the next reload or boot).
/// </summary>
internal sealed partial class NestedKvmStep : PrepareStep
{
    public const string StepName = "nested-kvm";

    public const string ConfigFile = "/etc/modprobe.d/vmetal-nested-kvm.conf";

    public override string Name => StepName;

    public override async Task<StepOutcome> RunAsync(PrepareContext context, CancellationToken cancellationToken)
    {
        var facts = context.Facts;
        if (facts.CpuVirtualization is not { } flag)
            return StepOutcome.Unchanged("not applicable: the CPU has no vmx/svm (VMs run under software emulation)");
        var module = flag == "vmx" ? "kvm_intel" : "kvm_amd";
        var done = new List<string>();
        if (!IsPersistent(facts.NestedConfig, module))
        {
            await context.Host.WriteFileAsync(ConfigFile,
                $"# Written by vmetal prepare: VMs may run KVM themselves (nested virtualisation).\noptions {module} nested=1\n",
                new FileWriteOptions { Sudo = true, Mode = Convert.ToInt32("644", 8) }, cancellationToken);
            done.Add($"wrote 'options {module} nested=1' to {ConfigFile}");
        }

        var loaded = facts.KvmModules.FirstOrDefault(m => m.Name == module);
        string state;
        if (loaded?.Nested == true)
            state = $"{module} nested=Y";
        else if (!facts.Tools.ContainsKey("modprobe"))
            state = $"{module} is not reloaded: no modprobe (kmod) on the host; the option applies after a reboot";
        else if (loaded is { UseCount: > 0 })
            state = $"{module} is in use ({loaded.UseCount} users, i.e. running VMs): the option applies when it is next reloaded or after a reboot";
        else
        {
            var reload = await context.RunAsync(HostCommand.AsRoot(
                $"modprobe -r {module} 2>/dev/null; modprobe {module} && cat /sys/module/{module}/parameters/nested"), cancellationToken);
            var nested = reload.Stdout.Trim();
            if (!reload.Succeeded || nested is not ("Y" or "1"))
                return StepOutcome.Failed($"{string.Join("; ", done.Append(""))}reloading {module} did not enable nesting: " +
                                          HostCommandException.FirstLines(reload.Stderr + reload.Stdout));
            done.Add($"reloaded {module}: nested=Y");
            state = "";
        }
        var detail = string.Join("; ", done.Append(state).Where(part => part.Length > 0));
        return done.Count > 0 ? StepOutcome.Changed(detail) : StepOutcome.Unchanged(detail + ", kept by modprobe.d");
    }

    /// <summary>Some modprobe.d line (<c>file:options kvm_intel … nested=1</c>) enables nesting for the module.</summary>
    public static bool IsPersistent(IEnumerable<string> configLines, string module) =>
        configLines.Any(line =>
        {
            var match = OptionsLine().Match(line);
            return match.Success && match.Groups["module"].Value.Replace('-', '_') == module
                                 && match.Groups["value"].Value is "1" or "Y" or "y";
        });

    [GeneratedRegex(@"options\s+(?<module>kvm[-_](intel|amd))\s.*\bnested=(?<value>\S+)")]
    private static partial Regex OptionsLine();
}
