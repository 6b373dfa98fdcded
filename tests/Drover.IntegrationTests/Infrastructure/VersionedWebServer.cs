using System.Net;

namespace Drover.IntegrationTests.Infrastructure;

/// <summary>Serves one body with an ETag (HEAD and GET), counting the GETs; the body and tag can change.</summary>
public sealed class VersionedWebServer : IAsyncDisposable
{
    private readonly TestWebServer _server;
    private volatile byte[] _body;
    private volatile string _etag;
    private int _gets;

    public VersionedWebServer(byte[] body, string etag)
    {
        (_body, _etag) = (body, etag);
        _server = new TestWebServer(AnswerAsync);
    }

    public Uri Url => _server.Url;

    public int Gets => Volatile.Read(ref _gets);

    public void Change(byte[] body, string etag) => (_body, _etag) = (body, etag);

    private async Task AnswerAsync(HttpListenerContext context, CancellationToken stopping)
    {
        var (body, etag) = (_body, _etag);
        context.Response.Headers["ETag"] = etag;
        context.Response.ContentLength64 = body.Length;
        if (context.Request.HttpMethod == "GET")
        {
            Interlocked.Increment(ref _gets);
            await context.Response.OutputStream.WriteAsync(body, stopping);
        }
        context.Response.Close();
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
