namespace Drover.Staging;

/// <summary>What to do with a file once it has arrived: <c>|gunzip</c>, <c>|untar</c> (tar or tar.gz), <c>|unzip</c>, <c>|mv:SUB</c>.</summary>
public sealed record StagingAction(string Name, string? Argument = null)
{
    public override string ToString() => Argument is null ? Name : $"{Name}:{Argument}";
}

/// <summary>
/// A staging URI as scitq writes it: <c>s3://bucket/key|gunzip|mv:refs</c>. A URI ending in <c>/</c>
/// is a folder (a local directory, an S3 prefix). Schemes: <c>file</c>, <c>http</c>, <c>https</c>, <c>s3</c>.
/// </summary>
public sealed record StagingSpec(Uri Uri, IReadOnlyList<StagingAction> Actions)
{
    public static readonly string[] Schemes = ["file", "http", "https", "s3"];

    /// <summary>A folder: every file under it is fetched (or, for an output, uploaded under it).</summary>
    public bool IsFolder => Uri.AbsolutePath.EndsWith('/');

    /// <summary>The last segment of the URI's path: the name the fetched file gets.</summary>
    public string FileName => Uri.UnescapeDataString(Uri.AbsolutePath.TrimEnd('/').Split('/')[^1]);

    public override string ToString() => string.Concat(Uri.OriginalString, string.Concat(Actions.Select(a => "|" + a)));

    /// <summary>Reads an input or resource: a URI and its actions.</summary>
    /// <exception cref="FormatException">It is not one (the message says why, for a 400 naming the field).</exception>
    public static StagingSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('|');
        var uri = ParseUri(parts[0].Trim());
        var actions = parts.Skip(1).Select(p => ParseAction(p.Trim())).ToList();
        var spec = new StagingSpec(uri, actions);
        if (spec.IsFolder && actions.FirstOrDefault(a => a.Name != "mv") is { } archive)
            throw new FormatException($"|{archive} applies to a file, and {uri} is a folder");
        if (!spec.IsFolder && spec.FileName.Length == 0) throw new FormatException($"{uri} names no file");
        return spec;
    }

    /// <summary>Reads an output: a URI prefix that the run's <c>$OUTPUT</c> is uploaded under, with no actions.</summary>
    /// <exception cref="FormatException">It is not one.</exception>
    public static StagingSpec ParseOutput(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Contains('|', StringComparison.Ordinal)) throw new FormatException("an output takes no actions (|gunzip, |untar, ... apply to inputs and resources)");
        var uri = ParseUri(text.Trim());
        // An output is always a folder: what the run leaves in $OUTPUT goes under it.
        return new StagingSpec(uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri.OriginalString + "/"), []);
    }

    private static Uri ParseUri(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || !text.Contains("://", StringComparison.Ordinal))
            throw new FormatException($"'{text}' is not an absolute URI such as s3://bucket/key, https://host/file or file:///dir/file");
        if (!Schemes.Contains(uri.Scheme)) throw new FormatException($"'{text}': the scheme '{uri.Scheme}' is not one of {string.Join(", ", Schemes)}");
        if (uri.Scheme == "s3" && uri.Host.Length == 0) throw new FormatException($"'{text}' names no bucket (s3://bucket/key)");
        if (uri.Scheme == "file" && uri.Host.Length > 0) throw new FormatException($"'{text}': a file URI has no host (file:///dir/file)");
        // Checked on the text: Uri would quietly fold the '..' away.
        if (Uri.UnescapeDataString(text).Split('/', '\\').Contains("..")) throw new FormatException($"'{text}' must not contain '..'");
        return uri;
    }

    private static StagingAction ParseAction(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? text : text[..colon];
        var argument = colon < 0 ? null : text[(colon + 1)..];
        switch (name)
        {
            case "gunzip" or "untar" or "unzip" when argument is null:
                return new StagingAction(name);
            case "mv" when argument is { Length: > 0 } sub && IsRelative(sub):
                return new StagingAction(name, sub.Trim('/'));
            case "mv":
                throw new FormatException($"|{text}: mv takes a relative folder inside the run's folder, such as |mv:refs");
            default:
                throw new FormatException($"|{text} is not an action (gunzip, untar, unzip, mv:SUB)");
        }
    }

    /// <summary>A relative path with no <c>..</c> segment and no root.</summary>
    private static bool IsRelative(string path) =>
        path.Length > 0 && !Path.IsPathRooted(path) && !path.Replace('\\', '/').Split('/').Contains("..") && !path.Contains('\0', StringComparison.Ordinal);
}
