using System.Net.Http;
using Drover.Resilience;

namespace Drover.Staging;

/// <summary>Transfers tried again with backoff while the failure may pass; a refusal (a 403, a 404) ends them at once.</summary>
internal static class Retry
{
    public static async Task<T> RunAsync<T>(Func<int, Task<T>> attempt, BackoffPolicy backoff, int attempts, CancellationToken cancellationToken)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                return await attempt(i);
            }
            catch (Exception ex) when (i + 1 < attempts && IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(backoff.Delay(i), cancellationToken);
            }
        }
    }

    private static bool IsTransient(Exception ex) => ex switch
    {
        StagingException staging => staging.Transient,
        HttpRequestException or IOException => true,
        Amazon.S3.AmazonS3Exception s3 => S3Clients.IsTransient(s3),
        _ => false,
    };
}
