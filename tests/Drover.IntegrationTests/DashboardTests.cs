using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;
using Microsoft.Playwright;

namespace Drover.IntegrationTests;

/// <summary>
/// The dashboard in a real browser (see <see cref="DashboardBrowser"/>): logging in, a task's page
/// and its buttons, workers, batches, recruiters, a read token's view.
/// </summary>
public sealed class DashboardTests : DashboardBrowser
{
    [Fact]
    public async Task Log_in_watch_a_task_turn_succeeded_without_a_reload_and_read_its_output()
    {
        var page = await Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 800 } });
        await page.GotoAsync(Cluster.Url.ToString());

        // A wrong token is refused with a message; the right one logs in.
        await page.FillAsync("#token", "not-the-token");
        await page.ClickAsync("#login-form button");
        await Assertions.Expect(page.Locator("#login-error")).ToContainTextAsync("neither the admin token nor a named token");
        await page.FillAsync("#token", Cluster.AdminToken);
        await page.ClickAsync("#login-form button");
        await Assertions.Expect(page.Locator("#states")).ToBeVisibleAsync();
        await page.ClickAsync("nav a[data-view=tasks]");
        await Assertions.Expect(page.Locator("#tasks")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("live");
        // The session is an HTTP-only cookie: the page's script cannot read it.
        Assert.DoesNotContain("drover_session", await page.EvaluateAsync<string>("document.cookie"));
        // Marks this page load: a reload would lose it.
        await page.EvaluateAsync("window.sameLoad = true");

        using var client = Cluster.Client();
        var task = await client.CreateTaskAsync(Specs.Shell("echo hello-from-the-dashboard; sleep 1; echo bye") with { Name = "dashboard-task", Batch = "web" }, Token);
        var row = page.Locator($"tr[data-id='{task.Id}']");
        await Assertions.Expect(row).ToBeVisibleAsync();
        await Assertions.Expect(row).ToHaveAttributeAsync("data-status", "succeeded", new() { Timeout = 30_000 });
        Assert.True(await page.EvaluateAsync<bool>("window.sameLoad === true"));
        await ScreenshotAsync(page, "tasks");

        await row.Locator("a[href^=\"#/task/\"]").ClickAsync();
        await Assertions.Expect(page.Locator("#stdout")).ToContainTextAsync("hello-from-the-dashboard\nbye");
        await Assertions.Expect(page.Locator("#main h1")).ToContainTextAsync("succeeded");
        await ScreenshotAsync(page, "task");
        Assert.True(await page.EvaluateAsync<bool>("window.sameLoad === true"));
    }

    [Fact]
    public async Task Task_page_streams_output_and_its_buttons_act_on_the_task_and_workers_and_batches_pages_work()
    {
        var context = await Browser.NewContextAsync();
        using var client = Cluster.Client();
        // Logged in through the API: the cookie is what the browser keeps.
        var page = await context.NewPageAsync();
        await page.GotoAsync(Cluster.Url.ToString());
        await page.FillAsync("#token", Cluster.AdminToken);
        await page.ClickAsync("#login-form button");
        await Assertions.Expect(page.Locator("#states")).ToBeVisibleAsync();

        var task = await client.CreateTaskAsync(Specs.Shell("echo started; sleep 1.5; echo still-going; sleep 60") with { Name = "long", Batch = "web-long" }, Token);
        await page.GotoAsync($"{Cluster.Url}#/task/{task.Id}");
        await Assertions.Expect(page.Locator("#stdout")).ToContainTextAsync("still-going", new() { Timeout = 30_000 });
        await page.GetByRole(AriaRole.Button, new() { Name = "Kill" }).ClickAsync();
        await Assertions.Expect(page.Locator("#main h1")).ToContainTextAsync("canceled", new() { Timeout = 30_000 });
        Assert.Equal(TaskState.Canceled, (await client.GetTaskAsync(task.Id, Token))!.Status);
        await page.GetByRole(AriaRole.Button, new() { Name = "Resubmit" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("#/task/(?!" + task.Id + ")"));
        var again = (await client.GetTaskAsync(task.Id, Token))!.Resubmitted!.Value;
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Assertions.Expect(page.Locator("#main h1")).ToContainTextAsync("canceled", new() { Timeout = 30_000 });
        Assert.Equal(TaskState.Canceled, (await client.GetTaskAsync(again, Token))!.Status);

        await page.GotoAsync($"{Cluster.Url}#/workers");
        var worker = page.Locator("#workers tbody tr").First;
        await Assertions.Expect(worker).ToContainTextAsync("running");
        await worker.Locator("input[name=concurrency]").FillAsync("3");
        await worker.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#toast")).ToContainTextAsync("Saved");
        Assert.Equal(3, (await client.ListWorkersAsync(Token)).Single().Concurrency);
        await ScreenshotAsync(page, "workers");

        await page.GotoAsync($"{Cluster.Url}#/batches");
        var batch = page.Locator("#batches tr[data-batch='web-long']");
        await Assertions.Expect(batch).ToContainTextAsync("Pause");
        await batch.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Assertions.Expect(batch).ToContainTextAsync("paused");
        Assert.True((await client.ListBatchesAsync(Token)).Single(b => b.Name == "web-long").Paused);
        // Its bar is drawn (both tasks ended canceled: all grey, apart from failures) — widths survive the page's CSP.
        // The counts may reach the page a refresh after the pause does (on a busy machine): waited for.
        const string greyBar = "#batches tr[data-batch='web-long'] .bar span.idle";
        try
        {
            await page.WaitForFunctionAsync("s => (document.querySelector(s)?.getBoundingClientRect().width ?? 0) > 50", greyBar, new() { Timeout = 30_000 });
        }
        catch (TimeoutException)
        {
            var grey = await page.Locator(greyBar).EvaluateAsync<double>("e => e.getBoundingClientRect().width");
            Assert.Fail($"the batch's bar is {grey}px wide");
        }
        await ScreenshotAsync(page, "batches");

        // A recruiter's deploy shows on the workers page as a job, its log one click away (the worker
        // there serves one other batch from now on, so that the recruiter's batch waits).
        var serving = (await client.ListWorkersAsync(Token)).Single();
        await client.UpdateWorkerAsync(serving.Id, new WorkerSettings { Batch = "web-long" }, Token);
        await client.PutRecruiterAsync(new RecruiterSpec { Batch = "web-recruit", Rank = 1, Provider = "local", MaximumWorkers = 1, TasksPerWorker = 1 }, Token);
        await client.CreateTasksAsync([Specs.Command("true") with { Batch = "web-recruit" }], Token, wait: TimeSpan.FromSeconds(60));
        await page.GotoAsync($"{Cluster.Url}#/workers");
        await Assertions.Expect(page.Locator("#recruiters")).ToContainTextAsync("web-recruit");
        var job = page.Locator("#jobs tbody tr").First;
        await Assertions.Expect(job).ToContainTextAsync("deploy");
        await Assertions.Expect(job).ToContainTextAsync("succeeded");
        await job.Locator("summary").ClickAsync();
        await Assertions.Expect(job.Locator("pre")).ToContainTextAsync("its worker registered");
        await Assertions.Expect(page.Locator("#workers")).ToContainTextAsync("local/local");
        await ScreenshotAsync(page, "jobs");

        // Logging out ends the session for this browser.
        await page.ClickAsync("#logout");
        await Assertions.Expect(page.Locator("#login-form")).ToBeVisibleAsync();
        var response = await page.APIRequest.GetAsync($"{Cluster.Url}api/tasks");
        Assert.Equal(401, response.Status);
        await context.DisposeAsync();
    }

    [Fact]
    public async Task A_read_token_logs_in_sees_its_groups_tasks_only_and_no_buttons_it_may_not_use()
    {
        using var client = Cluster.Client();
        var secret = (await client.CreateTokenAsync(new TokenSpec { Name = "observer", Role = "read", Groups = ["seen"] }, Token)).Secret;
        var seen = await client.CreateTaskAsync(Specs.Command("echo", "seen") with { Group = "seen", Batch = "web" }, Token);
        var hidden = await client.CreateTaskAsync(Specs.Command("echo", "hidden") with { Group = "other", Batch = "web" }, Token);
        await client.WaitAsync([seen.Id, hidden.Id], TimeSpan.FromSeconds(30), Token);

        var page = await Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 800 } });
        await page.GotoAsync(Cluster.Url.ToString());
        await page.FillAsync("#token", secret);
        await page.ClickAsync("#login-form button");
        await Assertions.Expect(page.Locator("#who")).ToHaveTextAsync("observer (read: seen)");
        await page.ClickAsync("nav a[data-view=tasks]");
        await Assertions.Expect(page.Locator($"tr[data-id='{seen.Id}']")).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator($"tr[data-id='{hidden.Id}']").CountAsync());

        // A task's page shows no buttons to act on it; the workers page shows workers, not recruiters or their Save buttons.
        await page.Locator($"tr[data-id='{seen.Id}'] a[href^=\"#/task/\"]").ClickAsync();
        await Assertions.Expect(page.Locator("#main h1")).ToContainTextAsync("succeeded");
        await Assertions.Expect(page.Locator("#main .actions")).ToBeHiddenAsync();
        await page.GotoAsync(Cluster.Url + "#/workers");
        await Assertions.Expect(page.Locator("#workers tbody tr").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#recruiters")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#workers button").First).ToBeHiddenAsync();
        await ScreenshotAsync(page, "read-token");

        // The API browser offers Authorize: the OpenAPI document declares the bearer token.
        await page.GotoAsync(Cluster.Url + "swagger/index.html");
        await Assertions.Expect(page.Locator("button.authorize")).ToBeVisibleAsync(new() { Timeout = 20_000 });

        // Revoking the token ends its session at the next request.
        await client.RevokeTokenAsync("observer", Token);
        await page.GotoAsync(Cluster.Url + "#/tasks");
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#login")).ToBeVisibleAsync(new() { Timeout = 20_000 });
    }
}
