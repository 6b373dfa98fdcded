namespace Drover.IntegrationTests.Infrastructure;

/// <summary>
/// A plain web server on 127.0.0.1 that serves a directory's files (404 for others), for http(s)
/// sources. With <see cref="Stall"/> set it sends the first 64 KiB of each file and then holds the
/// rest back until disposed: a download that is under way, for as long as a test needs.
/// </summary>
public sealed class FileWebServer : IAsyncDisposable
{
    private readonly string _directory;
    private readonly TestWebServer _server;

    public FileWebServer(string directory)
    {
        _directory = directory;
        _server = new TestWebServer(AnswerAsync);
    }

    public Uri Url => _server.Url;

    public bool Stall { get; set; }

    private async Task AnswerAsync(System.Net.HttpListenerContext context, CancellationToken stopping)
    {
        var response = context.Response;
        var path = Path.Combine(_directory, Uri.UnescapeDataString(context.Request.Url!.AbsolutePath.TrimStart('/')));
        if (!File.Exists(path))
        {
            response.StatusCode = 404;
            response.Close();
            return;
        }
        var bytes = await File.ReadAllBytesAsync(path, stopping);
        response.ContentLength64 = bytes.Length;
        if (Stall)
        {
            await response.OutputStream.WriteAsync(bytes.AsMemory(0, Math.Min(bytes.Length, 1 << 16)), stopping);
            await response.OutputStream.FlushAsync(stopping);
            await Task.Delay(Timeout.Infinite, stopping);
        }
        await response.OutputStream.WriteAsync(bytes, stopping);
        response.Close();
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
