namespace Drover.Server.Hosting;

/// <summary>Where this server can be reached, known once it listens (with <c>--port 0</c>, only then).</summary>
public sealed class ServerAddress(DroverServerOptions options)
{
    private Uri? _listening;

    /// <summary>The address workers a provider starts are given: <c>--public-url</c>, else the one the server listens on.</summary>
    public Uri? ForWorkers => options.PublicUrl ?? _listening;

    public void Listening(Uri url) => _listening = url;
}
