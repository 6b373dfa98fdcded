using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Drover.Staging;

/// <summary>S3 clients for any S3-compatible store, configured the way the AWS tools are.</summary>
public static class S3Clients
{
    /// <summary>
    /// A client from the standard variables: <c>AWS_ENDPOINT_URL</c> (any S3-compatible store; path-style
    /// addressing when it is an IP address or localhost), <c>AWS_REGION</c>, <c>AWS_ACCESS_KEY_ID</c> and
    /// <c>AWS_SECRET_ACCESS_KEY</c> (else the SDK's own chain: profiles, instance roles).
    /// </summary>
    public static AmazonS3Client FromEnvironment()
    {
        // Checksums only where S3 requires them: many S3-compatible stores do not speak the SDK's
        // default aws-chunked trailing checksums.
        var config = new AmazonS3Config
        {
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        var region = Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? "us-east-1";
        if (Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL") is { Length: > 0 } endpoint)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = region;
            var host = new Uri(endpoint).Host;
            config.ForcePathStyle = host == "localhost" || IPAddress.TryParse(host, out _);
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region);
        }
        var key = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID");
        var secret = Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY");
        return key is { Length: > 0 } && secret is { Length: > 0 }
            ? new AmazonS3Client(new BasicAWSCredentials(key, secret), config)
            : new AmazonS3Client(config);
    }

    /// <summary>A GET or PUT of one object that any HTTP client can send, valid for a day.</summary>
    public static Task<string> PresignAsync(AmazonS3Client s3, string bucket, string key, HttpVerb verb) =>
        s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = bucket,
            Key = key,
            Verb = verb,
            Expires = DateTime.UtcNow.AddDays(1),
            Protocol = s3.Config.ServiceURL?.StartsWith("http://", StringComparison.OrdinalIgnoreCase) == true ? Protocol.HTTP : Protocol.HTTPS,
        });

    /// <summary>The error code of an S3 error answer (<c>&lt;Code&gt;NoSuchKey&lt;/Code&gt;</c>), else its reason phrase.</summary>
    public static async Task<string?> ErrorCodeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return System.Xml.Linq.XDocument.Parse(body).Root?.Element("Code")?.Value ?? response.ReasonPhrase;
        }
        catch (System.Xml.XmlException)
        {
            return response.ReasonPhrase;
        }
    }

    /// <summary>The bucket and key (or prefix) of an <c>s3://bucket/key</c> URI.</summary>
    public static (string Bucket, string Key) Split(Uri uri) => (uri.Host, Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')));

    /// <summary>An S3 failure as a reason that names the URI: <c>s3://b/k: 403 AccessDenied</c>.</summary>
    public static StagingException Failure(Uri uri, AmazonS3Exception ex) =>
        new($"{uri}: {(int)ex.StatusCode} {ex.ErrorCode ?? ex.StatusCode.ToString()}", IsTransient(ex), ex);

    /// <summary>Whether trying again may help: the store's own trouble, not a refusal.</summary>
    public static bool IsTransient(AmazonS3Exception ex) => (int)ex.StatusCode >= 500 || ex.StatusCode == HttpStatusCode.TooManyRequests;
}
