namespace Drover.Cli;

/// <summary>A mistake of the user's that the CLI reports in one line, without a stack trace.</summary>
internal sealed class CliException(string message) : Exception(message);
