namespace Drover.Client;

/// <summary>The worker channel ended (the server stopped, the network broke): an I/O failure, so what was in flight is retried over HTTP.</summary>
public sealed class WorkerChannelClosedException(string message, Exception? inner = null) : IOException(message, inner);
