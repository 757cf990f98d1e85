using VMetal.Converge;
using VMetal.Hosting;
using VMetal.Topology;

namespace VMetal.Hypervisor;

/// <summary>
/// An <c>--image</c> path names a base image already on the host. libvirt only reports a missing one when it
/// creates the overlay disk, after the networks were created. This check finds that before any change.
/// </summary>
public static class HostImages
{
    private const string Script = "for f in \"$@\"; do if [ -f \"$f\" ] && [ -r \"$f\" ]; then echo \"ok $f\"; else echo \"missing $f\"; fi; done";

    /// <summary>One sentence per host-path base image (not downloaded) of a disk the plan creates that is not a readable file.</summary>
    public static async Task<IReadOnlyList<string>> ProblemsAsync(IHostConnection host, LabTopology topology, Plan plan, CancellationToken cancellationToken)
    {
        var created = plan.Of(ResourceKind.Volume, ChangeAction.Create, ChangeAction.Replace).Select(change => change.Name).ToHashSet(StringComparer.Ordinal);
        var disks = topology.Nodes.SelectMany(node => node.Disks)
            .Where(disk => disk is { BackingImage: not null, BackingImageUrl: null } && created.Contains(disk.VolumeName))
            .GroupBy(disk => disk.BackingImage!, StringComparer.Ordinal).ToList();
        if (disks.Count == 0)
            return [];
        // As root: libvirt reads the image as root, and images under /var/lib/libvirt are often not readable by the login user.
        var result = await host.RunCheckedAsync(HostCommand.AsRoot(ShellScript.Inline(Script, disks.Select(group => group.Key))), cancellationToken);
        var readable = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith("ok ", StringComparison.Ordinal)).Select(line => line[3..]).ToHashSet(StringComparer.Ordinal);
        return [.. disks.Where(group => !readable.Contains(group.Key)).Select(group =>
            $"--image {group.Key} (the base image of {string.Join(", ", group.Select(disk => disk.VolumeName))}) is not a readable file on {host.Target}")];
    }

    /// <summary>The refusal for <see cref="ProblemsAsync"/>'s findings (bad input: nothing was changed).</summary>
    public static VMetalException Refusal(IReadOnlyList<string> problems) => new(FailureKind.BadInput,
        string.Join("; ", problems) + ". Give the path of a qcow2 image on the hypervisor, or --image-url to download one; nothing was changed");
}
