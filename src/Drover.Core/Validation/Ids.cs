namespace Drover.Validation;

public static class Ids
{
    /// <summary>A new time-ordered id (UUIDv7), as every id Drover makes.</summary>
    public static Guid New() => Guid.CreateVersion7();

    /// <summary>Accepts the canonical hyphenated form only ("0193a2b0-7c3e-7f00-8000-0123456789ab").</summary>
    public static bool TryParse(string? text, out Guid id) =>
        Guid.TryParseExact(text, "D", out id);
}
