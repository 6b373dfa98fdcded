using System.Globalization;
using System.Text;

namespace Drover.Json;

/// <summary>Durations on the wire: "30s", "5m", "1h30m", "250ms", or a plain number of seconds.</summary>
public static class Durations
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            return TryFromSeconds(seconds, out value);

        var total = 0.0;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.')) i++;
            if (start == i) return false;
            if (!double.TryParse(text.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                return false;
            var unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i])) i++;
            double? unitSeconds = text[unitStart..i] switch
            {
                "ms" => 0.001,
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                "d" => 86400,
                _ => null,
            };
            if (unitSeconds is null) return false;
            total += number * unitSeconds.Value;
        }
        return TryFromSeconds(total, out value);
    }

    public static bool TryFromSeconds(double seconds, out TimeSpan value)
    {
        value = default;
        // Far past any real duration either way (-1e308 too): refused, never an OverflowException later.
        if (double.IsNaN(seconds) || double.IsInfinity(seconds) || Math.Abs(seconds) > TimeSpan.MaxValue.TotalSeconds / 2)
            return false;
        value = TimeSpan.FromSeconds(seconds);
        return true;
    }

    /// <summary>Formats as the shortest unit string that reads back to the same value ("1h30m", "2.5s").</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero) return "0s";
        var sb = new StringBuilder();
        if (value < TimeSpan.Zero)
        {
            sb.Append('-');
            value = value.Negate();
        }
        if (value.Days > 0) sb.Append(value.Days).Append('d');
        if (value.Hours > 0) sb.Append(value.Hours).Append('h');
        if (value.Minutes > 0) sb.Append(value.Minutes).Append('m');
        var seconds = value.Seconds + value.Milliseconds / 1000.0 + (value.Ticks % TimeSpan.TicksPerMillisecond) / (double)TimeSpan.TicksPerSecond;
        if (seconds > 0) sb.Append(seconds.ToString("0.######", CultureInfo.InvariantCulture)).Append('s');
        return sb.ToString();
    }
}
