using System.Globalization;
using System.Text.Json;

namespace Drover.Bench;

/// <summary>One scenario's figures: printed as a table, or as one JSON object with --json.</summary>
internal sealed class Result(string scenario)
{
    private readonly List<(string Name, object Value)> _figures = [];

    public Result Add(string name, object value)
    {
        _figures.Add((name, value));
        return this;
    }

    public void Print(bool json)
    {
        if (json)
        {
            var obj = new Dictionary<string, object> { ["scenario"] = scenario };
            foreach (var (name, value) in _figures) obj[name] = value;
            Console.WriteLine(JsonSerializer.Serialize(obj));
            return;
        }
        Console.WriteLine(scenario);
        var width = _figures.Max(f => f.Name.Length);
        foreach (var (name, value) in _figures)
            Console.WriteLine($"  {name.PadRight(width)}  {Format(value)}");
    }

    private static string Format(object value) => value switch
    {
        double d => d.ToString("#,0.###", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
