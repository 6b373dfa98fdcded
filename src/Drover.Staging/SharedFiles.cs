using System.Runtime.InteropServices;

namespace Drover.Staging;

/// <summary>
/// A cached resource given to a run without copying it: every file hard-linked into the run's folder
/// (a copy only where a link cannot be made, across file systems). The cache's files are made
/// read-only first, and a link shares its file's mode.
/// </summary>
public static partial class SharedFiles
{
    private const UnixFileMode ReadOnly = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Makes every file under <paramref name="folder"/> read-only (r--r--r--).</summary>
    public static void MarkReadOnly(string folder)
    {
        if (OperatingSystem.IsWindows()) return;
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            if (!new FileInfo(file).Attributes.HasFlag(FileAttributes.ReparsePoint)) File.SetUnixFileMode(file, ReadOnly);
        }
    }

    /// <summary>Links (or copies) the tree under <paramref name="source"/> into <paramref name="target"/>; a name already there is replaced.</summary>
    public static void Mirror(string source, string target)
    {
        foreach (var directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, directory)));
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            if (File.Exists(to)) File.Delete(to);
            var info = new FileInfo(file);
            if (info.LinkTarget is { } link) File.CreateSymbolicLink(to, link);
            else if (Link(file, to) != 0) File.Copy(file, to);
        }
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string created);
}
