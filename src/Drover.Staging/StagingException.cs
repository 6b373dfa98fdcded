namespace Drover.Staging;

/// <summary>
/// A transfer that failed with a reason naming its URI (<c>s3://b/k: 403 AccessDenied</c>). Transient
/// ones (a 5xx, a dropped connection) are tried again with backoff; the others are final at once.
/// </summary>
public sealed class StagingException(string message, bool transient = false, Exception? inner = null) : IOException(message, inner)
{
    public bool Transient { get; } = transient;
}
