namespace Drover.Model;

/// <summary>When a run's <c>$OUTPUT</c> is uploaded to the task's <c>output</c>.</summary>
public enum OutputOn
{
    /// <summary>Only after a run that succeeded (the default): a failed run leaves nothing half-written.</summary>
    Success,
    /// <summary>After every run that got to start, failed or not (logs of a failure, partial results).</summary>
    Always,
}
