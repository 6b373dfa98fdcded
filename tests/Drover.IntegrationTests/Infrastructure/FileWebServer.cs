using System.Globalization;
using System.Net;

namespace Drover.IntegrationTests.Infrastructure;

/// <summary>
/// A plain web server on 127.0.0.1 that serves a directory's files (404 for others), for http(s)
/// sources. With <see cref="Stall"/> set it sends the first 64 KiB of each file and then holds the
/// rest back until disposed: a download that is under way, for as long as a test needs.
/// </summary>
public sealed class FileWebServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _directory;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    public FileWebServer(string directory)
    {
        _directory = directory;
        var port = FreePort.Next();
        Url = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
        _listener.Prefixes.Add(Url.ToString());
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public Uri Url { get; }

    public bool Stall { get; set; }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var path = Path.Combine(_directory, Uri.UnescapeDataString(context.Request.Url!.AbsolutePath.TrimStart('/')));
            if (!File.Exists(path))
            {
                response.StatusCode = 404;
                response.Close();
                return;
            }
            var bytes = await File.ReadAllBytesAsync(path);
            response.ContentLength64 = bytes.Length;
            if (Stall)
            {
                await response.OutputStream.WriteAsync(bytes.AsMemory(0, Math.Min(bytes.Length, 1 << 16)));
                await response.OutputStream.FlushAsync();
                await Task.Delay(Timeout.Infinite, _stop.Token);
            }
            await response.OutputStream.WriteAsync(bytes);
            response.Close();
        }
        catch (OperationCanceledException)
        {
            response.Abort();
        }
        catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The client went away (a canceled download).
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _serving;
        _listener.Close();
        _stop.Dispose();
    }
}
