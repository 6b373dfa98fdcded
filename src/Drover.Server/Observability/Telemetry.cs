using Drover.Observability;
using Drover.Server.Auth;
using Drover.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Drover.Server.Observability;

/// <summary>
/// OpenTelemetry for the server: Drover's meter (<see cref="TaskMetrics"/>), .NET's runtime metrics
/// and ASP.NET Core's request metrics, scraped by Prometheus at <c>/metrics</c> (admin token, or none with
/// <c>--public-metrics</c>) and sent to a collector with <c>--otlp URL</c>, which also receives the
/// request traces (tracing costs nothing when no collector is given); and the log format.
/// </summary>
public static class Telemetry
{
    public static void AddDroverTelemetry(this IServiceCollection services, DroverServerOptions options)
    {
        var telemetry = services.AddOpenTelemetry().ConfigureResource(r => r.AddService("drover-server"));
        telemetry.WithMetrics(metrics =>
        {
            // System.Runtime: .NET's own meter (collections, allocated bytes, heap sizes, thread pool, CPU).
            metrics.AddMeter(TaskMetrics.MeterName, "System.Runtime").AddAspNetCoreInstrumentation().AddPrometheusExporter();
            if (options.OtlpEndpoint is { } otlp) metrics.AddOtlpExporter(o => Collector(o, otlp, "v1/metrics"));
        });
        if (options.OtlpEndpoint is { } collector)
        {
            telemetry.WithTracing(tracing => tracing.AddSource(TaskTraces.SourceName).AddAspNetCoreInstrumentation().AddOtlpExporter(o => Collector(o, collector, "v1/traces")));
        }
        services.AddHostedService<GaugeSnapshot>();
    }

    /// <summary>
    /// Port 4318, or a URL with a path, means OTLP over HTTP/protobuf (the signal's path, such as
    /// <c>v1/traces</c>, appended to it as OTLP's endpoint variables do); anything else gRPC (4317).
    /// </summary>
    private static void Collector(OtlpExporterOptions exporter, Uri endpoint, string signalPath)
    {
        var http = endpoint.Port == 4318 || endpoint.AbsolutePath.Length > 1;
        exporter.Protocol = http ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        exporter.Endpoint = http ? new Uri(new Uri(endpoint.ToString().TrimEnd('/') + "/"), signalPath) : endpoint;
    }

    public static void MapMetricsEndpoint(this IEndpointRouteBuilder app, DroverServerOptions options)
    {
        var endpoint = app.MapPrometheusScrapingEndpoint("/metrics");
        if (options.PublicMetrics) endpoint.AllowAnonymous();
        else endpoint.RequireAuthorization(Roles.AdminPolicy);
    }

    public static void AddDroverLogFormat(this ILoggingBuilder logging, DroverServerOptions options) => AddDroverLogFormat(logging, options.LogFormat);

    /// <summary><c>simple</c>: one line each; <c>json</c>: one JSON object each, with its scopes (a task's id and its worker's).</summary>
    public static ILoggingBuilder AddDroverLogFormat(this ILoggingBuilder logging, string format)
    {
        if (format == "json")
        {
            logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            logging.AddSimpleConsole(o => o.SingleLine = true);
        }
        return logging;
    }
}
