namespace Drover.Model;

public enum WorkerState
{
    Running,
    /// <summary>Told to take no new work for now (<c>PATCH /api/workers/{id}</c>); what runs goes on.</summary>
    Paused,
    /// <summary>Takes no new work, lets what runs finish, then exits (SIGTERM, or <c>DELETE /api/workers/{id}</c>).</summary>
    Draining,
    Stopped,
    /// <summary>Silent past the lease timeout; its tasks went back to the queue.</summary>
    Lost,
}
