namespace Drover.Client;

/// <summary>The parts of an RFC 9457 problem detail the client reads.</summary>
internal sealed record ProblemDetailsBody(string? Title, string? Detail, Dictionary<string, string[]>? Errors);
