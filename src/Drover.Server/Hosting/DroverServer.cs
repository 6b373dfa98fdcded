using Drover.Json;
using Drover.Server.Auth;
using Drover.Server.Endpoints;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Drover.Logging;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Hosting;

/// <summary>Builds and runs the Drover server: the REST API on Kestrel over the chosen task store.</summary>
public sealed class DroverServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DroverServer(WebApplication app, DroverServerOptions options)
    {
        _app = app;
        Options = options;
        Tokens = app.Services.GetRequiredService<TokenFiles>();
    }

    public DroverServerOptions Options { get; }

    public TokenFiles Tokens { get; }

    /// <summary>The address it listens on, known once started (with port 0, the port picked).</summary>
    public Uri Url { get; private set; } = new("http://127.0.0.1/");

    public IServiceProvider Services => _app.Services;

    public static DroverServer Create(DroverServerOptions options, Action<ILoggingBuilder>? logging = null)
    {
        // Drover reads no appsettings.json, so there is nothing to watch for changes.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        Observability.Telemetry.AddDroverLogFormat(builder.Logging, options);
        // One switch decides (drover admin loglevel turns it while the server runs): Drover's own logs
        // at Information, the libraries' at Warning.
        var logLevels = new LogLevelSwitch(LogLevel.Information);
        builder.Services.AddSingleton(logLevels);
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddFilter(logLevels.Allows);
        // Data protection comes with authentication; Drover keeps no protected data, so its key warning is noise.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        // A failure to start (port in use) is reported by the caller in one line, not as a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        logging?.Invoke(builder.Logging);

        var certificate = options.UsesTls ? LoadCertificate(options) : null;
        builder.WebHost.UseKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            k.AddServerHeader = false;
            if (certificate is not null) k.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
        });
        builder.WebHost.UseUrls($"{(certificate is null ? "http" : "https")}://{options.Host}:{options.Port}");
        builder.Services.ConfigureHttpJsonOptions(o => DroverJson.Configure(o.SerializerOptions));
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<Http.StorageFullHandler>();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer<Http.BearerSecurityScheme>());
        builder.Services.AddDroverServer(options);
        builder.Services.AddSingleton<IHostLifetime, CallerLifetime>();
        Observability.Telemetry.AddDroverTelemetry(builder.Services, options);
        Http.RateLimits.AddDroverRateLimits(builder.Services, options);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseWebSockets();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        Http.AuditLog.UseAuditLog(app);

        app.MapGet("/health", () => Results.Ok(new { status = "ok" })).AllowAnonymous().WithTags("health");
        // The API description holds no data, but tells a stranger what to try: public on loopback
        // (or with --public-docs on), else for callers with a token, and the browser for it off.
        var openApi = app.MapOpenApi();
        if (options.DocsArePublic)
        {
            // Only requests for /swagger pass through the UI's middleware, not every API call.
            app.UseWhen(context => context.Request.Path.StartsWithSegments("/swagger"), swagger => swagger.UseSwaggerUI(o =>
            {
                o.SwaggerEndpoint("/openapi/v1.json", "Drover API v1");
                o.RoutePrefix = "swagger";
            }));
        }
        else
        {
            openApi.RequireAuthorization(Roles.ReadPolicy);
        }
        app.MapTaskEndpoints();
        app.MapQueryEndpoints();
        app.MapBatchEndpoints();
        app.MapEventEndpoints();
        app.MapWorkerEndpoints();
        app.MapCacheEndpoints();
        app.MapDatasetEndpoints();
        app.MapDashboardEndpoints();
        app.MapOverviewEndpoints();
        app.MapScheduleEndpoints();
        Observability.Telemetry.MapMetricsEndpoint(app, options);
        app.MapAdminEndpoints();
        app.MapRecruiterEndpoints();
        app.MapTokenEndpoints();
        app.MapAuditEndpoints();
        return new DroverServer(app, options);
    }

    /// <exception cref="ArgumentException">The files are not a PEM certificate and its key, naming the option.</exception>
    private static System.Security.Cryptography.X509Certificates.X509Certificate2 LoadCertificate(DroverServerOptions options)
    {
        try
        {
            return System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(options.TlsCertificate!, options.TlsKey);
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException or ArgumentException)
        {
            throw new ArgumentException($"--tls-cert/--tls-key: cannot load a certificate and its key from {options.TlsCertificate} and {options.TlsKey}: {ex.Message}", ex);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _app.StartAsync(cancellationToken);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Url = new Uri(address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
        // Clients on the data directory find the server there (its port may have been picked): the
        // lock holder (SQLite) records it; with another store, the directory is still this server's.
        if (_app.Services.GetService<DataDirectoryLock>() is { } held) held.Announce(Url);
        else DataDirectoryLock.Record(Options.DataDirectory, Url);
        _app.Services.GetRequiredService<ServerAddress>().Listening(Url);
        Log.Listening(_app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Drover.Server"), Url.ToString(), Options.Store);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _app.StopAsync(cancellationToken);

    /// <summary>Fires when the server begins to stop, whether asked from outside or by <c>POST /api/admin/stop-all</c>.</summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>
    /// Disposes the container, and with it the task store, which finishes its last commit; only then
    /// is the data directory let go.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        var held = _app.Services.GetService<DataDirectoryLock>();
        await _app.DisposeAsync();
        held?.Dispose();
    }
}
