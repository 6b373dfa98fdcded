using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace Drover.Bench;

/// <summary>
/// What large bad request bodies cost the server's memory: resident size before, at its peak while
/// 15 MB bodies arrive one after another and then eight at once, and some seconds after (--settle; issue 13:
/// it used to climb to ~1 GiB and stay there).
/// </summary>
internal static class BadBodiesScenario
{
    public static async Task<Result> RunAsync(int count, TimeSpan settle)
    {
        await using var cluster = await LocalCluster.StartServerAsync("sqlite", Directory.CreateTempSubdirectory("drover-bench-").FullName);
        var pid = cluster.Server!.Id;
        using var http = new HttpClient { BaseAddress = cluster.Url, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", cluster.Token);
        var bodies = new[]
        {
            Encoding.UTF8.GetBytes("{\"command\": [\"echo\", \"" + new string('x', 15_000_000) + "\""), // cut short
            Encoding.UTF8.GetBytes("{\"command\": [\"echo\", \"" + new string('x', 15_000_000) + "\"], \"colour\": 1}"), // unknown field
            Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Repeat("{\"command\": []}", 90_000)) + "]"), // every task bad
        };
        var result = new Result("bad-bodies").Add("bodies_each_way", count).Add("rss_start_mib", Rss(pid));
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, Rss(pid));
                await Task.Delay(20);
            }
        });
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++) await SendAsync(http, bodies[i % bodies.Length]);
        result.Add("sequential_s", Math.Round(clock.Elapsed.TotalSeconds, 2)).Add("rss_after_sequential_mib", Rss(pid));
        clock.Restart();
        for (var round = 0; round < count / 8 + 1; round++)
            await Task.WhenAll(Enumerable.Range(0, 8).Select(i => SendAsync(http, bodies[(round + i) % bodies.Length])));
        result.Add("eight_at_once_s", Math.Round(clock.Elapsed.TotalSeconds, 2));
        await sampling.CancelAsync();
        await sampler;
        result.Add("rss_peak_mib", peak);
        await Task.Delay(settle);
        return result.Add("settle_s", settle.TotalSeconds).Add("rss_settled_mib", Rss(pid));
    }

    private static async Task SendAsync(HttpClient http, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync("api/tasks", content);
        if ((int)response.StatusCode != 400) throw new InvalidOperationException($"expected 400, got {(int)response.StatusCode}");
    }

    private static long Rss(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024).First();
}
