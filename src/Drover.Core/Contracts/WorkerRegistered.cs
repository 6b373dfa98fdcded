using Drover.Model;

namespace Drover.Contracts;

/// <summary>The server's answer to a registration: the worker's record and how often to heartbeat.</summary>
public sealed record WorkerRegistered(WorkerRecord Worker, double HeartbeatSeconds, double LeaseTimeoutSeconds);
