// A .NET worker with two handlers, in an ordinary .NET host: it connects to the Drover server,
// offers "resize" and "wordcount", runs what it leases until Ctrl-C, then hands back what it runs.
using Drover.Samples;
using Drover.Worker;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddDroverWorker(o =>
{
    o.Server = Connection.Server;
    o.Token = Connection.Token("worker.token");
    o.Name = "samples-worker";
    o.Concurrency = 4;

    o.Handle<ResizeArgs, ResizeResult>("resize", async (args, ctx) =>
    {
        if (args.Width <= 0) throw new ArgumentOutOfRangeException(nameof(args), $"width must be positive, not {args.Width}");
        await ctx.Status($"resizing {args.Image}", 0.5);
        await Task.Delay(200, ctx.CancellationToken); // the real work would go here
        ctx.Logger.LogInformation("resized {Image} to {Width}", args.Image, args.Width);
        return new ResizeResult(args.Image, args.Width, args.Width * 3 / 4);
    });

    o.Handle<WordCountArgs, List<WordCount>>("wordcount", (args, ctx) =>
    {
        var counts = args.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .GroupBy(w => w.ToLowerInvariant().Trim('.', ',', ';', '!', '?'))
            .Select(g => new WordCount(g.Key, g.Count()))
            .OrderByDescending(c => c.Count).ThenBy(c => c.Word, StringComparer.Ordinal)
            .Take(3).ToList();
        ctx.Out.WriteLine($"counted {counts.Sum(c => c.Count)} of the top words");
        return Task.FromResult(counts);
    });
});
await builder.Build().RunAsync();
