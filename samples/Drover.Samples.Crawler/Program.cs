// A crawler that resumes where it stopped: kill it (Ctrl-C, kill -9) and run it again. Its pages
// and its to-do list live in one tracker file; every write has returned only once it would survive
// the kill. The "web" is made up (page N links to 2N and 2N+1, up to --pages), so it runs offline.
using Drover.Tracker;

var path = args.Length > 0 ? args[0] : "crawl.pod";
var last = args.Length > 1 ? int.Parse(args[1]) : 2000;

using var pages = PersistentDictionary.Open<Page>(path);
using var todo = ProgressTracker.Open(path, maxTries: 3);
todo.AddIfAbsent("/1");
Console.WriteLine($"resuming: {todo.Counts().Done} pages done, {todo.Counts().Remaining} to do");

foreach (var url in todo.TryKeys())
{
    var page = Fetch(url, last);
    pages[url] = page;                                  // kept before the link list grows
    todo.AddManyIfAbsent(page.Links);
    todo.MarkDone(url);
    if (todo.Counts() is { Done: var done } && done % 250 == 0) Console.WriteLine($"{done} pages done");
}
Console.WriteLine($"finished: {pages.Count} pages, {todo.Counts().Done} done, {todo.Counts().Aborted} aborted");

static Page Fetch(string url, int last)
{
    Thread.Sleep(2); // the network
    var n = int.Parse(url[1..]);
    return new Page(url, $"page {n}", [.. new[] { 2 * n, 2 * n + 1 }.Where(m => m <= last).Select(m => $"/{m}")]);
}

internal sealed record Page(string Url, string Title, List<string> Links);
