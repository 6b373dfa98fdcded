using System.Text.Json;
using Drover.Contracts;
using Drover.Json;

namespace Drover.Client;

/// <summary>A group-by for <see cref="DroverClient.GroupByAsync"/>, typed: group keys, aggregations, where terms.</summary>
public sealed record GroupBy
{
    public IReadOnlyList<string> By { get; init; } = [];
    public required IReadOnlyList<Aggregate> Aggregate { get; init; }
    public IReadOnlyList<Where> Where { get; init; } = [];
    /// <summary>Only these shards; null for all.</summary>
    public IReadOnlyList<string>? Shards { get; init; }
    /// <summary>False: each shard's own rows, labelled by shard.</summary>
    public bool Merge { get; init; } = true;
    public TimeSpan? Timeout { get; init; }

    internal GroupByRequest ToRequest() => new()
    {
        By = [.. By],
        Aggregate = [.. Aggregate.Select(a => JsonSerializer.SerializeToElement(a.Name is null ? new[] { a.Column, a.Op } : [a.Column, a.Op, a.Name], DroverJson.Options))],
        Where = [.. Where.Select(w => JsonSerializer.SerializeToElement(new[] { w.Column, w.Op, w.Value }, DroverJson.Options))],
        Shards = Shards is null ? null : [.. Shards],
        Merge = Merge,
        Timeout = Timeout is { } t ? JsonSerializer.SerializeToElement(t.TotalSeconds) : null,
    };
}

/// <summary><c>sum mean std var std_pop var_pop count count_na count_distinct min max</c> of a column, named <paramref name="Name"/> in the answer.</summary>
public sealed record Aggregate(string Column, string Op, string? Name = null);

/// <summary>A row filter: <paramref name="Op"/> is one of <c>== != &gt; &gt;= &lt; &lt;= in nin</c> (in/nin take an array).</summary>
public sealed record Where(string Column, string Op, object Value);

/// <summary>Where terms as written on a command line: <c>passenger_count&gt;1</c>, <c>payment_type in card,cash</c>, <c>name == 'a b'</c>.</summary>
public static class WhereText
{
    private static readonly string[] Symbols = ["==", "!=", ">=", "<=", "=", ">", "<"];

    /// <exception cref="FormatException">The text is not <c>column op value</c>.</exception>
    public static Where Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var word in new[] { " nin ", " in " })
        {
            var at = text.IndexOf(word, StringComparison.OrdinalIgnoreCase);
            if (at > 0)
            {
                var values = text[(at + word.Length)..].Trim().Trim('[', ']', '(', ')').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                if (values.Length == 0) throw new FormatException($"'{text}': {word.Trim()} needs a comma-separated list of values");
                return new Where(Column(text[..at], text), word.Trim(), values.Select(Value).ToArray());
            }
        }
        foreach (var symbol in Symbols)
        {
            var at = text.IndexOf(symbol, StringComparison.Ordinal);
            if (at > 0)
                return new Where(Column(text[..at], text), symbol == "=" ? "==" : symbol, Value(text[(at + symbol.Length)..].Trim()));
        }
        throw new FormatException($"'{text}' is not a where term such as 'passenger_count>1' or 'payment_type in 1,2'");
    }

    private static string Column(string text, string whole) =>
        text.Trim() is { Length: > 0 } column ? column : throw new FormatException($"'{whole}' names no column");

    /// <summary>A number or true/false as such; anything else (quotes taken off) as text.</summary>
    private static object Value(string text)
    {
        if (text.Length >= 2 && (text[0] == '\'' || text[0] == '"') && text[^1] == text[0]) return text[1..^1];
        if (long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var l)) return l;
        if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d)) return d;
        if (text is "true" or "false") return text == "true";
        return text;
    }
}

/// <summary>
/// A distribution: where the files are (<c>file:///dir/</c>, <c>s3://bucket/prefix/</c>, or <c>https://host/dir/</c>
/// with <see cref="Files"/>), which workers get them (every data worker unless <see cref="Workers"/> or
/// <see cref="Replicas"/> says otherwise), and its deadline.
/// </summary>
public sealed record Distribution(string Source)
{
    public IReadOnlyList<string>? Files { get; init; }
    public IReadOnlyList<Guid>? Workers { get; init; }
    /// <summary>Each file on this many workers rather than on all of them.</summary>
    public int? Replicas { get; init; }
    public TimeSpan? Deadline { get; init; }

    internal DistributeRequest ToRequest() => new()
    {
        Source = Source,
        Files = Files is null ? null : [.. Files],
        Workers = Replicas is { } k ? JsonSerializer.SerializeToElement(new { replicas = k })
            : Workers is { } ids ? JsonSerializer.SerializeToElement(ids)
            : null,
        Deadline = Deadline is { } d ? JsonSerializer.SerializeToElement(d.TotalSeconds) : null,
    };
}
