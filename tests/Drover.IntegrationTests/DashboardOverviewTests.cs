using System.Net;
using System.Text.Json;
using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;
using Microsoft.Playwright;

namespace Drover.IntegrationTests;

/// <summary>
/// The Overview page and <c>GET /api/overview</c> behind it: counts per state, tasks ended per step
/// and their run times, queue depth per batch, workers; live in the browser; limited to a scoped
/// token's tasks; bad <c>since</c> refused.
/// </summary>
public sealed class DashboardOverviewTests : DashboardBrowser
{
    [Fact]
    public async Task The_answer_counts_what_ran_and_a_scoped_token_sees_its_own_tasks_only()
    {
        using var client = Cluster.Client();
        var ok = await client.CreateTasksAsync([.. Enumerable.Range(0, 5).Select(_ => Specs.Command("true") with { Batch = "ov", Group = "mine" })], Token);
        var bad = await client.CreateTasksAsync([.. Enumerable.Range(0, 3).Select(_ => Specs.Command("false") with { Batch = "ov", Group = "theirs" })], Token);
        await client.WaitAsync([.. ok.Concat(bad).Select(t => t.Id)], TimeSpan.FromSeconds(60), Token);
        await client.BatchAsync("ov-held", "pause", Token);
        await client.CreateTasksAsync([.. Enumerable.Range(0, 4).Select(_ => Specs.Command("true") with { Batch = "ov-held", Group = "mine" })], Token);

        using var http = Cluster.Http(Cluster.AdminToken);
        var all = await ReadAsync(http, "api/overview");
        Assert.Equal(5, all.GetProperty("counts").GetProperty("succeeded").GetInt64());
        Assert.Equal(3, all.GetProperty("counts").GetProperty("failed").GetInt64());
        Assert.Equal(4, all.GetProperty("counts").GetProperty("queued").GetInt64() + all.GetProperty("counts").GetProperty("pending").GetInt64());
        var steps = all.GetProperty("ended").EnumerateArray().ToList();
        Assert.Equal(5, steps.Sum(s => s.GetProperty("succeeded").GetInt64()));
        Assert.Equal(3, steps.Sum(s => s.GetProperty("failed").GetInt64()));
        // Every ended task ran: each is in one run-time bin, all under 10 s.
        Assert.Equal(8, steps.Sum(s => s.GetProperty("durations").EnumerateArray().Take(3).Sum(d => d.GetInt64())));
        Assert.Equal(10, all.GetProperty("step_seconds").GetInt32());
        var held = all.GetProperty("batches").EnumerateArray().Single(b => b.GetProperty("name").GetString() == "ov-held");
        Assert.True(held.GetProperty("paused").GetBoolean());
        Assert.Equal(4, held.GetProperty("waiting").GetInt64());
        Assert.Equal(1, all.GetProperty("workers").GetProperty("idle").GetInt32());
        Assert.Equal(2, all.GetProperty("workers").GetProperty("slots").GetInt32());

        // From a step on: only the steps from there (the page asks again from its last one).
        var later = await ReadAsync(http, $"api/overview?since={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(5).ToString("O"))}");
        Assert.Empty(later.GetProperty("ended").EnumerateArray());

        // A token scoped to the group "mine": its counts and ended tasks only, and no batch's whole counts.
        var secret = (await client.CreateTokenAsync(new TokenSpec { Name = "mine-reader", Role = "read", Groups = ["mine"] }, Token)).Secret;
        using var scoped = Cluster.Http(secret);
        var mine = await ReadAsync(scoped, "api/overview");
        Assert.Equal(5, mine.GetProperty("counts").GetProperty("succeeded").GetInt64());
        Assert.Equal(0, mine.GetProperty("counts").GetProperty("failed").GetInt64());
        Assert.Equal(0, mine.GetProperty("ended").EnumerateArray().Sum(s => s.GetProperty("failed").GetInt64()));
        Assert.Empty(mine.GetProperty("batches").EnumerateArray());

        // Bad input: named, nothing else said.
        foreach (var since in new[] { "yesterday", "2026-13-45T00:00:00Z" })
        {
            using var response = await http.GetAsync($"api/overview?since={since}", Token);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("since", await response.Content.ReadAsStringAsync(Token));
        }
        using var anonymous = Cluster.Http();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("api/overview", Token)).StatusCode);
    }

    [Fact]
    public async Task The_overview_is_the_landing_page_and_its_tiles_and_charts_follow_the_work()
    {
        using var client = Cluster.Client();
        var first = await client.CreateTasksAsync([
            .. Enumerable.Range(0, 6).Select(_ => Specs.Command("true") with { Batch = "landing" }),
            .. Enumerable.Range(0, 2).Select(_ => Specs.Command("false") with { Batch = "landing" })], Token);
        await client.WaitAsync([.. first.Select(t => t.Id)], TimeSpan.FromSeconds(60), Token);
        await client.BatchAsync("waiting-room", "pause", Token);
        await client.CreateTasksAsync([.. Enumerable.Range(0, 7).Select(_ => Specs.Command("true") with { Batch = "waiting-room" })], Token);

        var page = await LogInAsync();
        await Assertions.Expect(page.Locator("nav a.active")).ToHaveTextAsync("Overview");
        await Assertions.Expect(page.Locator("[data-state=succeeded] .tile-count")).ToHaveTextAsync("6");
        await Assertions.Expect(page.Locator("[data-state=failed] .tile-count")).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("[data-state=queued] .tile-count")).ToHaveTextAsync("7");
        // The charts drew bars: green for succeeded, red for failed; run times in their bins.
        await Assertions.Expect(page.Locator("#ended-chart rect.ok").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#failures-chart rect.bad").First).ToBeVisibleAsync();
        Assert.Contains("< 0.1 s", await page.Locator("#runtime-chart").InnerTextAsync());
        await Assertions.Expect(page.Locator("#queue tr[data-batch=waiting-room]")).ToContainTextAsync("paused");
        await Assertions.Expect(page.Locator("#queue tr[data-batch=waiting-room] td").Nth(3)).ToHaveTextAsync("7");
        await Assertions.Expect(page.Locator("[data-workers=idle] .tile-count")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("live");
        await page.EvaluateAsync("window.sameLoad = true");

        // More work: the page follows without a reload.
        await client.BatchAsync("waiting-room", "resume", Token);
        await Assertions.Expect(page.Locator("[data-state=succeeded] .tile-count")).ToHaveTextAsync("13", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-state=queued] .tile-count")).ToHaveTextAsync("0");
        Assert.True(await page.EvaluateAsync<bool>("window.sameLoad === true"));
        var green = await page.Locator("#ended-chart rect.ok").EvaluateAllAsync<double>("rects => rects.reduce((a, r) => a + r.getBoundingClientRect().height, 0)");
        Assert.True(green > 5, $"the succeeded bars are {green}px tall in all");
        // Tasks ended within the last minute: the rate says so (the step still filling counts).
        await Assertions.Expect(page.Locator("#rate")).Not.ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^0 tasks/s"));
        await ScreenshotAsync(page, "overview");

        // A tile is a link to the tasks in that state.
        await page.ClickAsync("[data-state=failed]");
        await Assertions.Expect(page.Locator("#range")).ToHaveTextAsync("1–2 of 2");
        Assert.Equal(2, await page.Locator("#tasks tbody tr[data-status=failed]").CountAsync());
        Assert.Empty(Errors);
    }

    private static async Task<JsonElement> ReadAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path, Token);
        var text = await response.Content.ReadAsStringAsync(Token);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
