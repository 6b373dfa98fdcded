using System.Globalization;

namespace Drover.Text;

/// <summary>Byte counts for people: written as <c>512 B</c>, <c>3.2 GiB</c>; read from <c>20GB</c>, <c>512MiB</c>, <c>1.5G</c>, <c>4096</c>.</summary>
public static class ByteSizes
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB"];

    public static string Format(long bytes)
    {
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : $"{value.ToString("0.0", CultureInfo.InvariantCulture)} {Units[unit]}";
    }

    /// <summary>A size with an optional unit: K, M, G, T (also KB, KiB, ...), each a power of 1024, as <c>du</c> and docker read them.</summary>
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var t = text.Trim().ToUpperInvariant();
        var split = t.Length;
        while (split > 0 && char.IsLetter(t[split - 1])) split--;
        var unit = t[split..] switch
        {
            "" or "B" => 0,
            "K" or "KB" or "KIB" => 1,
            "M" or "MB" or "MIB" => 2,
            "G" or "GB" or "GIB" => 3,
            "T" or "TB" or "TIB" => 4,
            _ => -1,
        };
        if (unit < 0 || !double.TryParse(t[..split].Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)) return false;
        var value = number * Math.Pow(1024, unit);
        if (value is < 0 or >= long.MaxValue) return false;
        bytes = (long)value;
        return true;
    }
}
