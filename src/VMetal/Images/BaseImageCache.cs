using System.Globalization;
using VMetal.Converge;
using VMetal.Hosting;
using VMetal.Topology;

namespace VMetal.Images;

/// <param name="Url">Where it was downloaded from (null for images cached before vmetal noted it).</param>
/// <param name="UsedBy">Volumes (<c>pool/name</c>) whose backing file it is: deleting it would break them.</param>
public sealed record CachedImage(string Path, string? Url, long Bytes, DateTimeOffset Modified, IReadOnlyList<string> UsedBy)
{
    public bool InUse => UsedBy.Count > 0;
}

/// <param name="Partial">Downloads that never finished (a run killed mid-download).</param>
public sealed record ImageCacheListing(IReadOnlyList<CachedImage> Images, IReadOnlyList<string> Partial);

/// <summary>
/// The hypervisor's cache of downloaded base images (<see cref="BaseImages.CacheDirectory"/>): what is
/// there, which volumes are overlays of each image, and pruning of the images no volume uses. `down`
/// never deletes cached images (other workspaces may use them); this is how they go.
/// </summary>
public sealed class BaseImageCache(IHostConnection host, IHypervisor hypervisor, string directory = BaseImages.CacheDirectory)
{
    // One line per file: kind, path, size, mtime, source URL (from the sidecar the fetcher writes).
    private const string ListScript = """
        dir=$1
        for f in "$dir"/*; do
            [ -f "$f" ] || continue
            case $f in
                *.part.*) printf 'partial\t%s\t%s\t%s\t\n' "$f" "$(stat -c %s "$f")" "$(stat -c %Y "$f")" ;;
                *.qcow2) printf 'image\t%s\t%s\t%s\t%s\n' "$f" "$(stat -c %s "$f")" "$(stat -c %Y "$f")" "$(head -n 1 "$f.url" 2>/dev/null)" ;;
            esac
        done
        """;

    /// <param name="refreshPools">Rescan the pools first, so overlays made behind libvirt's back count as users too.</param>
    public async Task<ImageCacheListing> ListAsync(bool refreshPools, CancellationToken cancellationToken)
    {
        var files = host.RunCheckedAsync(HostCommand.AsRoot($"sh -c {ShellQuote.Quote(ListScript)} list-images {ShellQuote.Quote(directory)}"),
            cancellationToken);
        var backed = await hypervisor.ListBackedVolumesAsync(refreshPools, cancellationToken);
        var images = new List<CachedImage>();
        var partial = new List<string>();
        foreach (var line in (await files).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split('\t');
            if (fields.Length < 5)
                continue;
            if (fields[0] == "partial")
            {
                partial.Add(fields[1]);
                continue;
            }
            var users = backed.Where(volume => volume.BackingPath == fields[1]).Select(volume => $"{volume.Pool}/{volume.Name}")
                .Order(StringComparer.Ordinal).ToList();
            images.Add(new CachedImage(fields[1], fields[4].Length > 0 ? fields[4] : null,
                long.Parse(fields[2], CultureInfo.InvariantCulture),
                DateTimeOffset.FromUnixTimeSeconds(long.Parse(fields[3], CultureInfo.InvariantCulture)), users));
        }
        return new ImageCacheListing(images, partial);
    }

    /// <summary>
    /// Deletes every cached image no volume is backed by, and unfinished downloads. Call it holding the
    /// host lock: `up` downloads images and creates overlays under that lock, so none appears meanwhile.
    /// </summary>
    /// <returns>What the cache holds afterwards, and the deleted files.</returns>
    public async Task<(ImageCacheListing Remaining, IReadOnlyList<string> Removed)> PruneAsync(CancellationToken cancellationToken)
    {
        var listing = await ListAsync(refreshPools: true, cancellationToken);
        var unused = listing.Images.Where(image => !image.InUse).ToList();
        var doomed = unused.Select(image => image.Path).Concat(listing.Partial).ToList();
        if (doomed.Count > 0)
        {
            var sidecars = unused.Select(image => image.Path + ".url");
            await host.RunCheckedAsync(HostCommand.AsRoot($"rm -f {ShellQuote.Join([.. doomed, .. sidecars])}"), cancellationToken);
        }
        return (new ImageCacheListing(listing.Images.Where(image => image.InUse).ToList(), []), doomed);
    }
}
