namespace Drover.Tracker;

/// <summary>The file at the path is not a Drover tracker (another kind of file, another SQLite database, or damaged).</summary>
public sealed class TrackerFileException(string message, Exception? inner = null) : Exception(message, inner);
