using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;
using Microsoft.Playwright;

namespace Drover.IntegrationTests;

/// <summary>
/// The task list in the browser: pages past 200, sortable columns, search by name or id, the
/// command column, a ticking run time, actions on many tasks, "resubmit all failed", a bad filter.
/// </summary>
public sealed class DashboardTaskListTests : DashboardBrowser
{
    [Fact]
    public async Task Pages_sort_and_search_through_hundreds_of_tasks()
    {
        using var client = Cluster.Client();
        // A paused batch: the tasks wait, so the list holds still.
        await client.BatchAsync("many", "pause", Token);
        var created = await client.CreateTasksAsync([.. Enumerable.Range(0, 450).Select(i => Specs.Command("echo", $"number-{i}") with { Batch = "many", Name = $"t-{i:000}" })], Token);

        var page = await LogInAsync();
        await GoAsync(page, "#/tasks?batch=many");
        await Assertions.Expect(page.Locator("#range")).ToHaveTextAsync("1–200 of 450");
        // Newest first; the command shows for each.
        await Assertions.Expect(page.Locator("#tasks tbody tr").First).ToContainTextAsync("t-449");
        await Assertions.Expect(page.Locator("#tasks tbody tr").First.Locator("td.command")).ToHaveTextAsync("echo number-449");
        await page.GetByRole(AriaRole.Button, new() { Name = "Next →" }).ClickAsync();
        await Assertions.Expect(page.Locator("#range")).ToHaveTextAsync("201–400 of 450");
        await Assertions.Expect(page.Locator("#tasks tbody tr").First).ToContainTextAsync("t-249");
        await page.GetByRole(AriaRole.Button, new() { Name = "Next →" }).ClickAsync();
        await Assertions.Expect(page.Locator("#range")).ToHaveTextAsync("401–450 of 450");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Next →" })).ToBeDisabledAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "← Previous" }).ClickAsync();
        await Assertions.Expect(page.Locator("#range")).ToHaveTextAsync("201–400 of 450");
        // A page is a cursor, not an offset: a new task counts, but does not shift the page being read.
        await client.CreateTaskAsync(Specs.Command("echo", "late") with { Batch = "many", Name = "t-late" }, Token);
        await Assertions.Expect(page.Locator("#range")).ToHaveTextAsync("201–400 of 451");
        await Assertions.Expect(page.Locator("#tasks tbody tr").First).ToContainTextAsync("t-249");
        await page.GetByRole(AriaRole.Button, new() { Name = "← Previous" }).ClickAsync();
        await Assertions.Expect(page.Locator("#tasks tbody tr").First).ToContainTextAsync("t-late");

        // Sorting by name: descending first, then ascending; back to the first page.
        await page.ClickAsync("th[data-sort=name] button");
        await Assertions.Expect(page.Locator("#range")).ToHaveTextAsync("1–200 of 451");
        await Assertions.Expect(page.Locator("th[data-sort=name]")).ToHaveAttributeAsync("aria-sort", "descending");
        await Assertions.Expect(page.Locator("#tasks tbody tr").First).ToContainTextAsync("t-late");
        await page.ClickAsync("th[data-sort=name] button");
        await Assertions.Expect(page.Locator("th[data-sort=name]")).ToHaveAttributeAsync("aria-sort", "ascending");
        await Assertions.Expect(page.Locator("#tasks tbody tr").First).ToContainTextAsync("t-000");
        // The next page by name starts where this one ended.
        await page.GetByRole(AriaRole.Button, new() { Name = "Next →" }).ClickAsync();
        await Assertions.Expect(page.Locator("#tasks tbody tr").First).ToContainTextAsync("t-200");
        await page.GetByRole(AriaRole.Button, new() { Name = "Next →" }).ClickAsync();
        await Assertions.Expect(page.Locator("#tasks tbody tr").First).ToContainTextAsync("t-400");
        await Assertions.Expect(page.Locator("#tasks tbody tr").Last).ToContainTextAsync("t-late");
        Assert.Contains("sort=name", page.Url);

        // Search: part of a name (any case), or a whole id.
        await page.FillAsync("input[name=q]", "T-12");
        await page.ClickAsync("form.filters button[type=submit]");
        await Assertions.Expect(page.Locator("#range")).ToHaveTextAsync("1–10 of 10"); // t-120 … t-129
        await page.FillAsync("input[name=q]", created[321].Id.ToString());
        await page.ClickAsync("form.filters button[type=submit]");
        await Assertions.Expect(page.Locator("#range")).ToHaveTextAsync("1–1 of 1");
        await Assertions.Expect(page.Locator($"tr[data-id='{created[321].Id}']")).ToContainTextAsync("t-321");
        await ScreenshotAsync(page, "task-search");

        // A bad JSON query: no rows, and the error names the field as it was written (not $and[0]).
        await page.FillAsync("input[name=q]", "");
        await page.FillAsync("textarea[name=filter]", "{\"nmae\": \"x\"}");
        await page.ClickAsync("form.filters button[type=submit]");
        await Assertions.Expect(page.Locator("#filter-error")).ToContainTextAsync("filter.nmae: is not a field");
        Assert.DoesNotContain("$and", await page.Locator("#filter-error").InnerTextAsync());
        Assert.Equal(0, await page.Locator("#tasks tbody tr").CountAsync());
        await page.FillAsync("textarea[name=filter]", "{\"name\": ");
        await page.ClickAsync("form.filters button[type=submit]");
        await Assertions.Expect(page.Locator("#filter-error")).ToContainTextAsync("not valid JSON");
        // The message stays with its page.
        await page.ClickAsync("nav a[data-view=batches]");
        await Assertions.Expect(page.Locator("#batches")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#toast")).ToBeHiddenAsync();
        Assert.Equal(0, await page.Locator("#filter-error").CountAsync());
        Assert.Empty(Errors);
    }

    [Fact]
    public async Task Many_tasks_are_canceled_resubmitted_and_deleted_at_once_and_every_failed_one_resubmitted()
    {
        using var client = Cluster.Client();
        await client.BatchAsync("bulk", "pause", Token);
        var waiting = await client.CreateTasksAsync([.. Enumerable.Range(0, 5).Select(i => Specs.Command("true") with { Batch = "bulk", Name = $"bulk-{i}" })], Token);
        var failing = await client.CreateTasksAsync([.. Enumerable.Range(0, 3).Select(i => Specs.Command("false") with { Batch = "fails", Name = $"fail-{i}" })], Token);
        await client.WaitAsync([.. failing.Select(t => t.Id)], TimeSpan.FromSeconds(60), Token);
        var running = await client.CreateTaskAsync(Specs.Command("sleep", "60") with { Batch = "ticking", Name = "ticking" }, Token);

        var page = await LogInAsync();
        // A running task's run time ticks without a reload.
        await GoAsync(page, "#/tasks?batch=ticking");
        var took = page.Locator($"tr[data-id='{running.Id}'] td.took");
        await Assertions.Expect(took).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+\.\d s$"), new() { Timeout = 30_000 });
        var before = await took.InnerTextAsync();
        await Assertions.Expect(took).Not.ToHaveTextAsync(before, new() { Timeout = 10_000 });
        // Its worker shows by name from the first draw (not an id).
        var worker = (await client.ListWorkersAsync(Token)).Single();
        await Assertions.Expect(page.Locator($"tr[data-id='{running.Id}'] td").Nth(6)).ToHaveTextAsync(worker.Name);

        await GoAsync(page, "#/tasks?batch=bulk");
        await Assertions.Expect(page.Locator("#range")).ToHaveTextAsync("1–5 of 5");
        foreach (var task in waiting.Take(3)) await page.Locator($"tr[data-id='{task.Id}'] input.pick").CheckAsync();
        await Assertions.Expect(page.Locator("#selection")).ToHaveTextAsync("3 selected");
        await page.Locator("#bulk").GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Assertions.Expect(page.Locator("#toast")).ToHaveTextAsync("Canceled 3 of 3.");
        foreach (var task in waiting.Take(3)) Assert.Equal(TaskState.Canceled, (await client.GetTaskAsync(task.Id, Token))!.Status);
        Assert.Equal(TaskState.Queued, (await client.GetTaskAsync(waiting[3].Id, Token))!.Status);

        // The three canceled ones: resubmitted, then deleted (the two waiting are refused: not ended).
        foreach (var task in waiting.Take(3)) await page.Locator($"tr[data-id='{task.Id}'] input.pick").CheckAsync();
        await page.Locator("#bulk").GetByRole(AriaRole.Button, new() { Name = "Resubmit", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#toast")).ToHaveTextAsync("Resubmitted 3 task(s).");
        await Assertions.Expect(page.Locator("#range")).ToHaveTextAsync("1–8 of 8");
        foreach (var task in waiting.Take(4)) await page.Locator($"tr[data-id='{task.Id}'] input.pick").CheckAsync();
        await page.Locator("#bulk").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Assertions.Expect(page.Locator("#toast")).ToHaveTextAsync("Deleted 3; 1 not ended, kept.");
        foreach (var task in waiting.Take(3)) Assert.Null(await client.GetTaskAsync(task.Id, Token));
        await Assertions.Expect(page.Locator("#range")).ToHaveTextAsync("1–5 of 5");
        await ScreenshotAsync(page, "task-bulk");

        // Every failed task of the filter, after a confirmation; once (not again for those resubmitted).
        await GoAsync(page, "#/tasks?batch=fails");
        await Assertions.Expect(page.Locator("#range")).ToHaveTextAsync("1–3 of 3");
        page.Dialog += async (_, dialog) =>
        {
            Assert.Equal("Resubmit 3 failed task(s)?", dialog.Message);
            await dialog.AcceptAsync();
        };
        await page.ClickAsync("#resubmit-failed");
        await Assertions.Expect(page.Locator("#toast")).ToHaveTextAsync("Resubmitted 3 failed task(s).");
        foreach (var task in failing) Assert.NotNull((await client.GetTaskAsync(task.Id, Token))!.Resubmitted);
        await Assertions.Expect(page.Locator("#range")).ToHaveTextAsync("1–6 of 6", new() { Timeout = 30_000 });
        Assert.Empty(Errors);
    }
}
