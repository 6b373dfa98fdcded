using Microsoft.Playwright;

namespace Drover.IntegrationTests.Infrastructure;

/// <summary>
/// A dashboard test's world: a real server with one real worker, and Debian's Chromium, headless,
/// driven by Playwright. Screenshots are kept as test artifacts (bin/.../artifacts/dashboard-*.png).
/// </summary>
public abstract class DashboardBrowser : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private IPlaywright _playwright = null!;

    protected DroverCluster Cluster { get; } = new();
    protected IBrowser Browser { get; private set; } = null!;
    protected static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await Cluster.StartServerAsync();
        await Cluster.StartWorkerAsync(concurrency: 2);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        // Whatever of it started: a browser that failed to launch must not leave the server and worker running.
        try
        {
            if (Browser is not null) await Browser.DisposeAsync();
            _playwright?.Dispose();
        }
        finally
        {
            await Cluster.DisposeAsync();
        }
    }

    /// <summary>A page logged in with the admin token (or <paramref name="token"/>), showing the Overview.</summary>
    protected async Task<IPage> LogInAsync(string? token = null, int width = 1366, int height = 800)
    {
        var page = await Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        // Any uncaught error in the page's script fails the test that made it.
        page.PageError += (_, error) => Errors.Add(error);
        await page.GotoAsync(Cluster.Url.ToString());
        await page.FillAsync("#token", token ?? Cluster.AdminToken);
        await page.ClickAsync("#login-form button");
        await Assertions.Expect(page.Locator("#login")).ToBeHiddenAsync();
        return page;
    }

    /// <summary>Script errors seen by the pages this test opened.</summary>
    protected List<string> Errors { get; } = [];

    protected async Task GoAsync(IPage page, string hash)
    {
        await page.GotoAsync($"{Cluster.Url}{hash}");
    }

    protected static async Task ScreenshotAsync(IPage page, string name)
    {
        var directory = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "artifacts")).FullName;
        var bytes = await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, $"dashboard-{name}.png"), FullPage = true });
        TestContext.Current.AddAttachment($"dashboard-{name}.png", bytes, "image/png");
    }
}
