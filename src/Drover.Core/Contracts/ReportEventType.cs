namespace Drover.Contracts;

public enum ReportEventType
{
    /// <summary>The task's process (or handler) has started.</summary>
    Started,
    /// <summary>More output; appended to the kept tail.</summary>
    Output,
    /// <summary>The run ended; carries the exit code and the kept output.</summary>
    Finished,
    /// <summary>The worker hands the task back unrun or interrupted (it is stopping); the task is queued again.</summary>
    Released,
    /// <summary>A task with data to move went from staging to running, or from running to uploading (<see cref="ReportEvent.Transfer"/>).</summary>
    Phase,
}
