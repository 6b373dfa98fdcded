namespace Drover.Client;

/// <summary>The server could not be reached (refused, unavailable, or too slow) for as long as the call was allowed to try.</summary>
public sealed class DroverUnavailableException(string message, Exception? inner) : Exception(message, inner);
