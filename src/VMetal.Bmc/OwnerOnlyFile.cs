namespace VMetal.Bmc;

/// <summary>Files that hold secrets (configuration with passwords, TLS keys): written whole, readable by the owner only.</summary>
internal static class OwnerOnlyFile
{
    /// <summary>Writes through a temporary file and a rename, so a reader never sees half a file; mode 0600.</summary>
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        File.Delete(temporary); // a leftover would keep its old, possibly wider, mode
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(content);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
