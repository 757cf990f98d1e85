using System.Text;

namespace VMetal.Topology;

/// <summary>
/// Base images named by URL (<c>--image-url</c>, infrared's <c>import_url</c>): where each one lives on the hypervisor.
/// The path depends on the URL alone, so a plan can name it before anything is downloaded and every run and
/// workspace on the host shares one copy.
/// </summary>
public static class BaseImages
{
    /// <summary>
    /// Outside the libvirt pool on purpose: the pool holds what workspaces own and remove, while a base image
    /// outlives every lab built on it (a later `up` reuses it instead of downloading again).
    /// </summary>
    public const string CacheDirectory = "/var/lib/vmetal/images";

    private static readonly string[] Schemes = ["http", "https", "ftp", "file"];

    /// <summary>Reads an image URL; <paramref name="problem"/> says what is wrong (after the word "URL", e.g. "'x' is not ...").</summary>
    public static bool TryParseUrl(string text, out Uri url, out string problem)
    {
        url = null!;
        problem = "";
        // On Unix, .NET reads "/a/b" as file:///a/b: a URL must say its scheme.
        if (!text.Contains("://", StringComparison.Ordinal) || !Uri.TryCreate(text.Trim(), UriKind.Absolute, out var parsed)
            || !Schemes.Contains(parsed.Scheme))
        {
            problem = $"'{text}' is not an image URL: expected http://, https://, ftp:// or file:// followed by the path of a qcow2 or raw image";
            return false;
        }
        if (parsed.Scheme != "file" && string.IsNullOrEmpty(parsed.Host))
        {
            problem = $"'{text}' names no server";
            return false;
        }
        if (FileName(parsed) is null)
        {
            problem = $"'{text}' names no file (it ends with '/')";
            return false;
        }
        url = parsed;
        return true;
    }

    /// <summary>
    /// <c>/var/lib/vmetal/images/&lt;16 hex of SHA-256(URL)&gt;-&lt;file name&gt;.qcow2</c>: the hash keeps two
    /// URLs with one file name apart; the name is for people reading <c>qemu-img info</c>.
    /// </summary>
    public static string CachePath(Uri url)
    {
        var hash = Convert.ToHexStringLower(Hashing.Sha256("image", url.AbsoluteUri))[..16];
        var name = FileName(url) ?? "image";
        // Raw downloads are converted, so the cached file is always qcow2, whatever the URL says.
        if (!name.EndsWith(".qcow2", StringComparison.Ordinal))
            name += ".qcow2";
        return $"{CacheDirectory}/{hash}-{name}";
    }

    /// <summary>The URL's last path segment with every character a shell or a libvirt path could trip on replaced.</summary>
    private static string? FileName(Uri url)
    {
        var segment = Uri.UnescapeDataString(url.AbsolutePath.Split('/')[^1]);
        if (segment.Length == 0)
            return null;
        var safe = new StringBuilder(segment.Length);
        foreach (var character in segment)
            safe.Append(char.IsAsciiLetterOrDigit(character) || character is '.' or '_' or '-' ? character : '_');
        var name = safe.ToString().TrimStart('.');
        return name.Length == 0 ? "image" : name.Length > 80 ? name[^80..] : name;
    }
}
