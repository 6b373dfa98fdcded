namespace Drover.Cli;

/// <summary>A plain table with aligned columns: readable in a terminal, and easy to cut or grep.</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [headers];

    public void Add(params string[] cells) => _rows.Add(cells);

    public void Write(TextWriter output)
    {
        var widths = Enumerable.Range(0, headers.Length).Select(i => _rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in _rows)
            output.WriteLine(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
    }
}
