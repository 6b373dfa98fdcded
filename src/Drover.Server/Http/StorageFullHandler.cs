using Drover.Storage;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Http;

/// <summary>
/// A write refused for want of disk space is a 503 that says so (and that nothing was written), with
/// Retry-After, not a bare 500: workers and resilient clients send it again, and it succeeds once
/// space is freed, without a restart.
/// </summary>
public sealed class StorageFullHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (Find(exception) is not { } full) return false;
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The disk is full.",
                Detail = full.Message,
            },
        });
    }

    private static StorageFullException? Find(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is StorageFullException full) return full;
        }
        return null;
    }
}
