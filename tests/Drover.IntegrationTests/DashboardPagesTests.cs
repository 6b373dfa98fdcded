using Drover.IntegrationTests.Infrastructure;
using Drover.Model;
using Drover.Storage;
using Microsoft.Playwright;

namespace Drover.IntegrationTests;

/// <summary>
/// The dashboard's other pages in the browser: the submit form, a worker's page (stats over time,
/// its tasks, pause, resume, drain), batches (counts that link to their tasks, canceled apart from
/// failed, aligned rows), the favicon, and a narrow screen.
/// </summary>
public sealed class DashboardPagesTests : DashboardBrowser
{
    [Fact]
    public async Task A_task_submitted_from_the_form_runs_and_a_bad_one_is_refused_naming_its_field()
    {
        using var client = Cluster.Client();
        var page = await LogInAsync();
        await page.ClickAsync("nav a[data-view=submit]");
        await page.FillAsync("textarea[name=command]", "echo from-the-form; echo $((6 * 7))");
        await page.FillAsync("input[name=name]", "formed");
        await page.FillAsync("input[name=batch]", "forms");
        await page.FillAsync("input[name=retry]", "-1");
        await page.ClickAsync("#submit-form button[type=submit]");
        await Assertions.Expect(page.Locator("#submit-error")).ToContainTextAsync("retry");
        Assert.Empty(await client.ListTasksAsync(new TaskListFilter { Batch = "forms" }, Token));

        await page.FillAsync("input[name=retry]", "1");
        await page.FillAsync("input[name=timeout]", "5m");
        await ScreenshotAsync(page, "submit");
        await page.ClickAsync("#submit-form button[type=submit]");
        await Assertions.Expect(page.Locator("#stdout")).ToContainTextAsync("from-the-form\n42", new() { Timeout = 30_000 });
        var task = (await client.ListTasksAsync(new TaskListFilter { Batch = "forms" }, Token)).Single();
        Assert.Equal("formed", task.Name);
        Assert.Equal(1, task.Retry);
        Assert.Contains(task.Id.ToString(), page.Url);

        // A handler with arguments that are not JSON: refused in the page, nothing sent.
        await page.ClickAsync("nav a[data-view=submit]");
        await page.SelectOptionAsync("select[name=kind]", "handler");
        await page.FillAsync("input[name=handler]", "Some.Handler");
        await page.FillAsync("textarea[name=args]", "{not json");
        await page.ClickAsync("#submit-form button[type=submit]");
        await Assertions.Expect(page.Locator("#submit-error")).ToContainTextAsync("args: not valid JSON");
        Assert.Single(await client.ListTasksAsync(new TaskListFilter { Batch = "forms" }, Token));
        Assert.Empty(Errors);
    }

    [Fact]
    public async Task A_task_page_whose_first_read_answers_late_shows_what_happened_meanwhile()
    {
        using var client = Cluster.Client();
        // Paused: the task waits queued until the page's first read has its answer.
        await client.BatchAsync("late", "pause", Token);
        var task = await client.CreateTaskAsync(Specs.Shell("echo after-the-read") with { Batch = "late" }, Token);
        var page = await LogInAsync();
        var answered = new TaskCompletionSource<IAPIResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The page's first read of the task is answered as the task was (queued), but only after it ran and
        // ended: its changes reach the page (on its socket) before that answer does.
        await page.RouteAsync($"**/api/tasks/{task.Id}", async route =>
        {
            answered.TrySetResult(await route.FetchAsync());
            await ended.Task;
            await route.FulfillAsync(new RouteFulfillOptions { Response = await answered.Task });
        }, new PageRouteOptions { Times = 1 });
        await GoAsync(page, $"#/task/{task.Id}");
        Assert.Equal(200, (await answered.Task).Status);
        await client.BatchAsync("late", "resume", Token);
        await client.WaitAsync([task.Id], TimeSpan.FromSeconds(30), Token);
        ended.SetResult();

        await Assertions.Expect(page.Locator("#stdout")).ToContainTextAsync("after-the-read", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#main h1")).ToContainTextAsync("succeeded");
        Assert.Empty(Errors);
    }

    [Fact]
    public async Task A_workers_page_shows_its_stats_over_time_and_tasks_and_pauses_resumes_and_drains_it()
    {
        using var client = Cluster.Client();
        var done = await client.CreateTaskAsync(Specs.Command("echo", "on-this-worker") with { Name = "worked" }, Token);
        await client.WaitAsync([done.Id], TimeSpan.FromSeconds(30), Token);
        var worker = (await client.ListWorkersAsync(Token)).Single();

        var page = await LogInAsync();
        await page.ClickAsync("nav a[data-view=workers]");
        // The page reads the workers every few seconds: it says it is live (it said "offline" before).
        await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("live");
        await page.Locator($"tr[data-worker='{worker.Id}'] a").ClickAsync();
        await Assertions.Expect(page.Locator("#main h1")).ToContainTextAsync(worker.Name);
        await Assertions.Expect(page.Locator("#worker-tasks")).ToContainTextAsync("worked");
        // Samples from its heartbeats draw a line (one point per heartbeat while the page is open).
        await Assertions.Expect(page.Locator("#load-chart circle")).Not.ToHaveCountAsync(0, new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#memory-chart circle")).Not.ToHaveCountAsync(0);

        // The state shown is the worker's own, told after it took the setting and read again by the page:
        // a round trip through the worker, given more than Playwright's 5 s on a loaded machine (a CI run
        // of the whole suite saw it still "running" at 5 s).
        var roundTrip = new LocatorAssertionsToContainTextOptions { Timeout = 20_000 };
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Assertions.Expect(page.Locator("#main h1")).ToContainTextAsync("paused", roundTrip);
        Assert.Equal(WorkerState.Paused, (await client.ListWorkersAsync(Token)).Single().Status);
        await page.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Assertions.Expect(page.Locator("#main h1")).ToContainTextAsync("running", roundTrip);
        await ScreenshotAsync(page, "worker");

        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Drain" }).ClickAsync();
        await Assertions.Expect(page.Locator("#main h1")).ToContainTextAsync(new System.Text.RegularExpressions.Regex("draining|stopped"));
        await Eventually.ValueAsync(async () => (await client.ListWorkersAsync(Token)).Single().Status, s => s == WorkerState.Stopped, TimeSpan.FromSeconds(30), "the drained worker stops");
        Assert.Empty(Errors);
    }

    [Fact]
    public async Task Batches_count_canceled_apart_from_failed_link_to_their_tasks_and_every_page_fits_a_phone()
    {
        using var client = Cluster.Client();
        var failed = await client.CreateTaskAsync(Specs.Command("false") with { Batch = "mixed" }, Token);
        await client.WaitAsync([failed.Id], TimeSpan.FromSeconds(30), Token);
        await client.BatchAsync("mixed", "pause", Token);
        var canceled = await client.CreateTaskAsync(Specs.Command("true") with { Batch = "mixed" }, Token);
        await client.CancelTaskAsync(canceled.Id, Token);
        await client.CreateTaskAsync(Specs.Command("true") with { Batch = "mixed", Name = "still-waiting" }, Token);

        var page = await LogInAsync();
        await page.ClickAsync("nav a[data-view=batches]");
        var row = page.Locator("#batches tr[data-batch=mixed]");
        var cells = row.Locator("td");
        await Assertions.Expect(cells.Nth(3)).ToHaveTextAsync("1"); // failed
        await Assertions.Expect(cells.Nth(4)).ToHaveTextAsync("1"); // canceled
        await Assertions.Expect(cells.Nth(6)).ToHaveTextAsync("1"); // waiting
        // Every cell of the row on one line with the header's cells: the buttons' cell is a cell, not a flex box.
        Assert.Equal(await page.Locator("#batches thead th").CountAsync(), await cells.CountAsync());
        var tops = await cells.EvaluateAllAsync<double[]>("cells => cells.map(c => c.getBoundingClientRect().top)");
        Assert.All(tops, top => Assert.Equal(tops[0], top, 1));
        await ScreenshotAsync(page, "batches-counts");
        await cells.Nth(4).Locator("a").ClickAsync();
        await Assertions.Expect(page.Locator("#range")).ToHaveTextAsync("1–1 of 1");
        await Assertions.Expect(page.Locator($"tr[data-id='{canceled.Id}']")).ToBeVisibleAsync();
        await page.ClickAsync("nav a[data-view=batches]");
        await row.Locator("td").First.Locator("a").ClickAsync();
        await Assertions.Expect(page.Locator("#range")).ToHaveTextAsync("1–3 of 3");

        // The favicon is served.
        var icon = await page.APIRequest.GetAsync(Cluster.Url + "ui/favicon.svg");
        Assert.Equal(200, icon.Status);
        Assert.Equal("image/svg+xml", icon.Headers["content-type"]);

        // On a phone's width nothing is cut off: wide tables scroll inside their box, the page itself does not.
        var phone = await LogInAsync(width: 390, height: 844);
        foreach (var hash in new[] { "#/overview", "#/tasks", "#/batches", "#/workers", "#/submit" })
        {
            await GoAsync(phone, hash);
            await Assertions.Expect(phone.Locator("#main h1")).ToBeVisibleAsync();
            await phone.WaitForLoadStateAsync(LoadState.NetworkIdle);
            var overflow = await phone.EvaluateAsync<double>("document.documentElement.scrollWidth - window.innerWidth");
            Assert.True(overflow <= 0, $"{hash} is {overflow}px wider than the screen");
        }
        await GoAsync(phone, "#/tasks");
        await Assertions.Expect(phone.Locator("#tasks tbody tr").First).ToBeVisibleAsync();
        await ScreenshotAsync(phone, "phone-tasks");
        Assert.Empty(Errors);
    }
}
