// Enqueues work for the sample worker's .NET handlers and prints the results. The client is
// resilient: it picks the task ids, so if the server is restarting the work waits in its outbox
// and is sent when the server is back.
using Drover.Client;
using Drover.Contracts;
using Drover.Samples;

await using var client = new DroverClient(Connection.Server, Connection.Token("admin.token"), new DroverClientOptions());
using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
var batch = $"samples-{DateTimeOffset.UtcNow:HHmmss}";

var images = new[] { ("cat.png", 800), ("dog.png", 640), ("owl.png", 0) };
var resizes = new List<(string Image, TaskHandle Task)>();
foreach (var (image, width) in images)
    resizes.Add((image, await client.EnqueueAsync("resize", new ResizeArgs(image, width), new TaskSpec { Batch = batch }, stop.Token)));
var words = await client.EnqueueAsync("wordcount", new WordCountArgs("the owl and the cat and the dog"), new TaskSpec { Batch = batch }, stop.Token);

foreach (var (image, task) in resizes)
{
    try
    {
        var resized = await task.ResultAsync<ResizeResult>(stop.Token);
        Console.WriteLine($"resize {image}: {resized!.Width}x{resized.Height}");
    }
    catch (DroverTaskFailedException failed)
    {
        Console.WriteLine($"resize {image}: failed: {failed.Task.Error?.Split('\n')[0]}");
    }
}
var top = await words.ResultAsync<List<WordCount>>(stop.Token);
Console.WriteLine($"wordcount: {string.Join(", ", top!.Select(w => $"{w.Word}={w.Count}"))}");
