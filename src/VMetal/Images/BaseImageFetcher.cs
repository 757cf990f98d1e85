using System.Diagnostics;
using System.Globalization;
using VMetal.Hosting;
using VMetal.Topology;

namespace VMetal.Images;

/// <param name="Downloaded">False when the host already had the image (a previous run downloaded it).</param>
/// <param name="Bytes">Size of the cached qcow2 file.</param>
/// <param name="VirtualSize">Disk size the image presents to a guest; overlays must be at least this large.</param>
public sealed record FetchedImage(BaseImageSource Source, bool Downloaded, long Bytes, long VirtualSize, TimeSpan Elapsed);

/// <summary>
/// Puts the base images a topology names by URL onto the hypervisor, each once: downloaded there (curl, or wget)
/// to a temporary file, checked (SHA-256 when given; qemu-img must read it; no backing file of its own),
/// converted to qcow2 when it is raw, and only then renamed into place — so an interrupted run leaves no
/// half image that a later run would trust. A cached image is reused as is: overlays of running nodes
/// depend on it, so it is never replaced underneath them.
/// </summary>
public sealed class BaseImageFetcher(IHostConnection host)
{
    // Exit codes of the script below, so a failure says which step failed.
    private const int NoDownloader = 12;
    private const int ChecksumMismatch = 13;
    private const int NotAnImage = 14;
    private const int ConversionFailed = 15;

    private const string Script = """
        set -u
        url=$1 file=$2 sha=$3
        # qemu-img's text output: the image's own fields start at column 0 (newer versions indent child nodes).
        field() { printf '%s\n' "$1" | sed -n "s/^$2: //p" | head -n 1; }
        virtual_size() { field "$1" 'virtual size' | sed -n 's/.*(\([0-9]*\) bytes).*/\1/p'; }
        report() {
            info=$(qemu-img info "$file") || exit 14
            echo "$1 $(stat -c %s "$file") $(virtual_size "$info")"
        }
        if [ -s "$file" ]; then report cached; exit 0; fi
        install -d -m 0755 "${file%/*}" || exit 10
        chmod a+x "${file%/*/*}"    # qemu runs as its own user and must reach the image
        part="$file.part.$$"
        trap 'rm -f "$part" "$part.qcow2"' EXIT
        if command -v curl >/dev/null 2>&1; then
            curl --fail --silent --show-error --location --retry 4 --retry-delay 5 --connect-timeout 30 -o "$part" "$url" || exit 11
        elif command -v wget >/dev/null 2>&1; then
            wget --quiet --tries=5 --waitretry=5 --timeout=30 -O "$part" "$url" || exit 11
        else
            echo "neither curl nor wget is installed (vmetal prepare installs wget)" >&2; exit 12
        fi
        if [ -n "$sha" ]; then
            actual=$(sha256sum "$part" | cut -d ' ' -f 1)
            [ "$actual" = "$sha" ] || { echo "its SHA-256 is $actual, not $sha" >&2; exit 13; }
        fi
        info=$(qemu-img info "$part") || { echo "qemu-img cannot read it" >&2; exit 14; }
        # A backing file inside a downloaded image could make qemu read any file on the host.
        if [ -n "$(field "$info" 'backing file')" ]; then echo "it has a backing file of its own" >&2; exit 14; fi
        format=$(field "$info" 'file format')
        # qemu-img calls anything it does not recognise raw: an error page served with status 200 would pass.
        size=$(stat -c %s "$part")
        if [ "$format" = raw ] && { [ "$size" -lt 1048576 ] || [ $((size % 512)) -ne 0 ]; }; then
            echo "it is $size bytes of unrecognised data, not a disk image (an error page?)" >&2; exit 14
        fi
        case $format in
            qcow2) ;;
            raw|vmdk|vdi|vhdx|vpc)
                qemu-img convert -f "$format" -O qcow2 "$part" "$part.qcow2" && mv -f "$part.qcow2" "$part" || exit 15 ;;
            *) echo "it is not a disk image qemu can use (format '$format')" >&2; exit 14 ;;
        esac
        printf '%s\n' "$url" > "$file.url"   # for `vmetal images`
        chmod 0644 "$part" && mv -f "$part" "$file" || exit 10
        report downloaded
        """;

    /// <summary>Fetches every image (concurrently); the first failure is thrown once all have finished.</summary>
    /// <param name="sha256">Expected SHA-256 (hex) of the downloaded file, or null; applies to every image.</param>
    /// <exception cref="VMetalException">A download or check failed, or a disk is smaller than its image.</exception>
    public async Task<IReadOnlyList<FetchedImage>> FetchAsync(IReadOnlyList<BaseImageSource> images, string? sha256, CancellationToken cancellationToken)
    {
        // Awaiting WhenAll throws the first failure only after every fetch has ended.
        var fetched = await Task.WhenAll(images.Select(image => FetchOneAsync(image, sha256?.ToLowerInvariant() ?? "", cancellationToken)));
        CheckDiskSizes(fetched);
        return fetched;
    }

    private async Task<FetchedImage> FetchOneAsync(BaseImageSource image, string sha256, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var command = HostCommand.AsRoot($"sh -c {ShellQuote.Quote(Script)} fetch-image " +
                                         ShellQuote.Join(image.Url.AbsoluteUri, image.HostPath, sha256));
        var result = await host.RunAsync(command, cancellationToken);
        if (!result.Succeeded)
            throw new VMetalException(FailureKind.OperationFailed, $"base image {image.Url} could not be put on {host.Target}: {Reason(result)}");
        var fields = result.Stdout.Trim().Split(' ');
        if (fields.Length != 3 || !long.TryParse(fields[1], CultureInfo.InvariantCulture, out var bytes)
            || !long.TryParse(fields[2], CultureInfo.InvariantCulture, out var virtualSize))
            throw new VMetalException(FailureKind.OperationFailed, $"base image {image.Url}: unexpected answer from {host.Target}: '{result.Stdout.Trim()}'");
        return new FetchedImage(image, fields[0] == "downloaded", bytes, virtualSize, clock.Elapsed);
    }

    private static string Reason(CommandResult result)
    {
        var said = result.Stderr.Trim().Split('\n').LastOrDefault(line => line.Trim().Length > 0)?.Trim();
        var step = result.ExitCode switch
        {
            11 => "the download failed",
            NoDownloader => "nothing to download with",
            ChecksumMismatch => "the download is not the expected file",
            NotAnImage => "the download is not a usable disk image",
            ConversionFailed => "converting it to qcow2 failed",
            _ => $"exit code {result.ExitCode}",
        };
        return said is { Length: > 0 } ? $"{step}: {said}" : step;
    }

    /// <summary>A disk smaller than its base image would cut the guest's file systems off: refuse before creating it.</summary>
    private static void CheckDiskSizes(IReadOnlyList<FetchedImage> images)
    {
        var tooSmall = images.SelectMany(image => image.Source.Users
                .Where(user => user.SizeBytes < image.VirtualSize)
                .Select(user => $"{user.Disk} of {user.Node} is {Sizes.Format(user.SizeBytes)} but its base image {image.Source.Url} is {Sizes.Format(image.VirtualSize)}"))
            .ToList();
        if (tooSmall.Count > 0)
            throw new VMetalException(FailureKind.BadInput,
                $"disks smaller than their base image: {string.Join("; ", tooSmall)} (make them larger, e.g. -e override.<node type>.disks.disk1.size=...)");
    }
}
