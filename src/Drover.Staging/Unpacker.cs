using System.Formats.Tar;
using System.IO.Compression;

namespace Drover.Staging;

/// <summary>
/// The actions after a download, with the base library (no shelling out): gunzip, untar (tar or
/// tar.gz, told apart by the gzip magic), unzip. Each works on the one file in a fetch's private
/// folder and leaves what it made there; an archive entry or link that would land outside is refused.
/// </summary>
internal static class Unpacker
{
    public static void Apply(StagingAction action, string folder, string what)
    {
        var entries = Directory.GetFileSystemEntries(folder);
        if (entries.Length != 1 || !File.Exists(entries[0])) throw new StagingException($"{what}: |{action} needs one file, and the fetch made {entries.Length} entries");
        var file = entries[0];
        try
        {
            switch (action.Name)
            {
                case "gunzip":
                    Gunzip(file);
                    break;
                case "untar":
                    Untar(file, folder, what);
                    File.Delete(file);
                    break;
                case "unzip":
                    Unzip(file, folder, what);
                    File.Delete(file);
                    break;
                default:
                    throw new ArgumentException($"|{action} is not an unpacking action");
            }
        }
        catch (InvalidDataException ex)
        {
            throw new StagingException($"{what}: |{action} failed: {ex.Message}", inner: ex);
        }
    }

    private static void Gunzip(string file)
    {
        var name = Path.GetFileName(file);
        var output = Path.Combine(Path.GetDirectoryName(file)!, name.EndsWith(".tgz", StringComparison.Ordinal) ? name[..^4] + ".tar"
            : name.EndsWith(".gz", StringComparison.Ordinal) && name.Length > 3 ? name[..^3] : name + ".out");
        var temporary = output + ".gunzip";
        using (var input = new GZipStream(File.OpenRead(file), CompressionMode.Decompress))
        using (var written = File.Create(temporary))
        {
            input.CopyTo(written);
        }
        File.Delete(file);
        File.Move(temporary, output);
    }

    private static void Untar(string file, string folder, string what)
    {
        using var raw = File.OpenRead(file);
        var gzipped = raw.ReadByte() == 0x1f && raw.ReadByte() == 0x8b;
        raw.Position = 0;
        using var stream = gzipped ? new GZipStream(raw, CompressionMode.Decompress) : (Stream)raw;
        using var reader = new TarReader(stream);
        var archive = Path.GetFileName(file);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.Name.Length == 0 || entry.Name is "./" or ".") continue;
            var path = SafePaths.Under(folder, entry.Name, what);
            if (path == file) throw new StagingException($"{what}: the entry '{entry.Name}' would overwrite the archive itself");
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(path);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    entry.ExtractToFile(path, overwrite: true);
                    break;
                case TarEntryType.SymbolicLink:
                    // The link may point only inside the folder, or a later entry could write through it.
                    SafePaths.Under(folder, Path.GetRelativePath(folder, Path.Combine(Path.GetDirectoryName(path)!, entry.LinkName)), what + $" (link {entry.Name} -> {entry.LinkName})");
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.CreateSymbolicLink(path, entry.LinkName);
                    break;
                case TarEntryType.HardLink:
                    var source = SafePaths.Under(folder, entry.LinkName, what);
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.Copy(source, path, overwrite: true);
                    break;
                default:
                    throw new StagingException($"{what}: {archive} holds '{entry.Name}' of type {entry.EntryType}, which is not unpacked; refused");
            }
        }
    }

    private static void Unzip(string file, string folder, string what)
    {
        using var zip = ZipFile.OpenRead(file);
        foreach (var entry in zip.Entries)
        {
            var path = SafePaths.Under(folder, entry.FullName, what);
            if (entry.FullName.EndsWith('/'))
            {
                Directory.CreateDirectory(path);
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            entry.ExtractToFile(path, overwrite: true);
        }
    }
}
