using Drover.Model;

namespace Drover.Client;

/// <summary>One message of the event stream.</summary>
public abstract record TaskEvent;

/// <summary>Tasks created (<c>add</c>) or changed (<c>update</c>; also the answer to a get), each in its latest state.</summary>
public sealed record TasksChanged(bool Added, IReadOnlyList<TaskRecord> Tasks) : TaskEvent;

/// <summary>New output of a task followed by id. The byte counts are each stream's total after this text.</summary>
public sealed record TaskOutput(Guid Task, Guid Execution, string? Stdout, string? Stderr, long? StdoutBytes, long? StderrBytes, bool Skipped) : TaskEvent;

/// <summary>The follower fell behind and changes were dropped: re-read what it follows.</summary>
public sealed record Resync : TaskEvent;

/// <summary>The server could not take a message the client sent.</summary>
public sealed record EventError(string Message) : TaskEvent;
