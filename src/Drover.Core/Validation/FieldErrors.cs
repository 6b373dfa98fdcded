namespace Drover.Validation;

/// <summary>Errors keyed by the field at fault, the shape of a problem detail's <c>errors</c> member.</summary>
public sealed class FieldErrors
{
    /// <summary>
    /// Messages kept; the rest are counted. An array of 300,000 bad tasks gets an answer of a few
    /// kilobytes that names the first ones, not 300,000 messages held in memory and sent back.
    /// </summary>
    public const int MaxKept = 100;

    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);
    private int _kept;

    public bool IsEmpty => Count == 0;

    /// <summary>How many messages in all, kept or not, so a caller can tell whether a step added any.</summary>
    public int Count { get; private set; }

    public void Add(string field, string message)
    {
        Count++;
        if (_kept == MaxKept) return;
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
        _kept++;
    }

    public Dictionary<string, string[]> ToDictionary()
    {
        var errors = _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
        if (Count > _kept)
        {
            var more = $"and {Count - _kept} more errors not listed (the first {MaxKept} are)";
            errors["body"] = errors.TryGetValue("body", out var body) ? [.. body, more] : [more];
        }
        return errors;
    }

    public override string ToString() =>
        string.Join("; ", ToDictionary().Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));
}
