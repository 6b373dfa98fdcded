namespace Drover.Staging;

/// <summary>Paths that must stay inside a folder: archive entries, mv targets, object keys.</summary>
public static class SafePaths
{
    /// <summary>The full path of <paramref name="relative"/> under <paramref name="root"/>.</summary>
    /// <exception cref="StagingException">It would land outside the root.</exception>
    public static string Under(string root, string relative, string what)
    {
        var full = Path.GetFullPath(Path.Combine(root, relative));
        var inside = Path.GetFullPath(root).TrimEnd('/') + "/";
        if (!full.StartsWith(inside, StringComparison.Ordinal) && full + "/" != inside)
            throw new StagingException($"{what}: the entry '{relative}' would land outside its folder; refused");
        return full;
    }
}
