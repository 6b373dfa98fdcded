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

public static class WorkerStates
{
    /// <summary>Connected: running, paused or draining (not stopped or lost). Its handlers and shards count.</summary>
    public static bool IsConnected(this WorkerState state) => state is WorkerState.Running or WorkerState.Paused or WorkerState.Draining;
}
