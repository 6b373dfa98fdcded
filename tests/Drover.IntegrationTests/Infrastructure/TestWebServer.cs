using System.Globalization;
using System.Net;

namespace Drover.IntegrationTests.Infrastructure;

/// <summary>
/// A web server on 127.0.0.1 that answers each request with the given function (the token fires when
/// the server is disposed): the base of the tests' web servers. A client that goes away is no error.
/// </summary>
public sealed class TestWebServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<HttpListenerContext, CancellationToken, Task> _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    public TestWebServer(Func<HttpListenerContext, CancellationToken, Task> answer)
    {
        _answer = answer;
        Url = new Uri($"http://127.0.0.1:{FreePort.Next().ToString(CultureInfo.InvariantCulture)}/");
        _listener.Prefixes.Add(Url.ToString());
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public Uri Url { get; }

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
            catch (Exception ex) when (ex is HttpListenerException or IOException)
            {
                // A client that dropped its connection before its request was read: serve the next.
                continue;
            }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        try
        {
            await _answer(context, _stop.Token);
        }
        catch (OperationCanceledException)
        {
            context.Response.Abort();
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
