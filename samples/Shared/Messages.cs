namespace Drover.Samples;

/// <summary>What the sample handlers take and give back: plain records, sent as the tasks' JSON args and results.</summary>
public sealed record ResizeArgs(string Image, int Width);

public sealed record ResizeResult(string Image, int Width, int Height);

public sealed record WordCountArgs(string Text);

public sealed record WordCount(string Word, int Count);

/// <summary>Where the samples find the server: DROVER_URL and DROVER_TOKEN, else a local <c>drover up</c> (its data directory).</summary>
public static class Connection
{
    public static Uri Server => new(Environment.GetEnvironmentVariable("DROVER_URL") ?? "http://127.0.0.1:5000/");

    public static string Token(string file) =>
        Environment.GetEnvironmentVariable("DROVER_TOKEN")
        ?? (File.Exists(Path.Combine(Data, file)) ? File.ReadAllText(Path.Combine(Data, file)).Trim()
            : throw new InvalidOperationException($"Set DROVER_TOKEN, or run from where `drover up` keeps {Data}/{file} (or set DROVER_DATA)."));

    private static string Data => Environment.GetEnvironmentVariable("DROVER_DATA") ?? "drover-data";
}
