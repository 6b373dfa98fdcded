using System.Diagnostics.Metrics;
using Drover.Json;
using Drover.Model;

namespace Drover.Observability;

/// <summary>
/// Drover's metrics, on the .NET base library's <see cref="Meter"/> (no package): whoever listens
/// (the server's OpenTelemetry, <c>dotnet-counters</c>) gets them; with no listener an instrument
/// costs a flag check. Recorded where every backend passes: the stores' creates and the store
/// signals' ends, after their commits; the same batch of tasks is counted in one call per tag set.
/// </summary>
public static class TaskMetrics
{
    public const string MeterName = "Drover";

    private static readonly Meter Meter = new(MeterName);

    // Seconds, from a commit's half millisecond to a task's hour; and a commit's writes, by powers of two.
    private static readonly InstrumentAdvice<double> Seconds = new()
    {
        HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    };
    private static readonly InstrumentAdvice<long> Writes = new() { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096] };

    private static readonly Counter<long> CreatedCounter = Meter.CreateCounter<long>("drover.tasks.created", "{task}", "Tasks created, by batch");
    private static readonly Counter<long> EndedCounter = Meter.CreateCounter<long>("drover.tasks.ended", "{task}", "Tasks ended, by final state and batch");
    private static readonly Histogram<double> RunDuration = Meter.CreateHistogram<double>("drover.task.run.duration", "s", "From start to end of a task's last run, by final state and batch", advice: Seconds);
    private static readonly Histogram<double> LeaseWait = Meter.CreateHistogram<double>("drover.task.lease.wait", "s", "From submission to the lease of a task's last run, by batch", advice: Seconds);
    private static readonly Histogram<double> StagingDuration = Meter.CreateHistogram<double>("drover.task.staging.duration", "s", "Fetching a task's inputs and resources, by batch", advice: Seconds);
    private static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>("drover.store.commit.duration", "s", "A task database write transaction, from its start to its commit", advice: Seconds);
    private static readonly Histogram<long> CommitSize = Meter.CreateHistogram<long>("drover.store.commit.size", "{write}", "Writes carried by one task database transaction", advice: Writes);
    private static readonly Counter<long> EventsDelivered = Meter.CreateCounter<long>("drover.events.delivered", "{event}", "Task changes sent to followers (WebSocket and server-sent events)");
    private static readonly Counter<long> EventsDropped = Meter.CreateCounter<long>("drover.events.dropped", "{event}", "Task changes dropped for followers too slow to take them (they were told to re-read)");

    /// <summary>Gauges whose values the server reads when asked (queue depth, workers): registered once, by the server.</summary>
    public static void ObserveGauges(Func<IEnumerable<Measurement<long>>> queueDepth, Func<IEnumerable<Measurement<long>>> handlerDepth, Func<IEnumerable<Measurement<long>>> workers)
    {
        Meter.CreateObservableGauge("drover.queue.depth", queueDepth, "{task}", "Tasks waiting (pending and queued) and in hand (assigned, running, paused), by batch and state");
        Meter.CreateObservableGauge("drover.queue.handler.depth", handlerDepth, "{task}", "Queued tasks that name a .NET handler, by handler (one no worker offers waits until one does)");
        Meter.CreateObservableGauge("drover.workers", workers, "{worker}", "Workers by state");
    }

    /// <summary>
    /// Counts tasks that ended and records their spans, off the caller's thread: stores call this
    /// after a commit, often on their one writer thread, which has better things to do.
    /// </summary>
    public static void Ended(IReadOnlyCollection<TaskRecord> tasks)
    {
        if (!EndedCounter.Enabled && !RunDuration.Enabled && !LeaseWait.Enabled && !StagingDuration.Enabled && !TaskTraces.Source.HasListeners()) return;
        ThreadPool.UnsafeQueueUserWorkItem(static ended =>
        {
            Record(ended);
            TaskTraces.Ended(ended);
        }, tasks, preferLocal: false);
    }

    /// <summary>Counted off the caller's thread, as <see cref="Ended"/>.</summary>
    public static void Created(IReadOnlyCollection<TaskRecord> tasks)
    {
        if (!CreatedCounter.Enabled) return;
        ThreadPool.UnsafeQueueUserWorkItem(static created =>
        {
            foreach (var batch in created.GroupBy(t => t.Batch, StringComparer.Ordinal))
                CreatedCounter.Add(batch.Count(), new KeyValuePair<string, object?>("batch", batch.Key));
        }, tasks, preferLocal: false);
    }

    private static void Record(IReadOnlyCollection<TaskRecord> tasks)
    {
        if (EndedCounter.Enabled)
        {
            foreach (var group in tasks.GroupBy(t => (t.Status, t.Batch)))
                EndedCounter.Add(group.Count(), State(group.Key.Status), new("batch", group.Key.Batch));
        }
        if (!RunDuration.Enabled && !LeaseWait.Enabled && !StagingDuration.Enabled) return;
        foreach (var task in tasks)
        {
            var batch = new KeyValuePair<string, object?>("batch", task.Batch);
            if (task is { Started: { } started, Completed: { } completed }) RunDuration.Record((completed - started).TotalSeconds, State(task.Status), batch);
            if (task.Assigned is { } assigned) LeaseWait.Record(Math.Max(0, (assigned - task.Submitted).TotalSeconds), batch);
            if (task.Transfer?.StagingSeconds is { } staging) StagingDuration.Record(staging, batch);
        }
    }

    public static void Committed(TimeSpan took, int writes)
    {
        CommitDuration.Record(took.TotalSeconds);
        CommitSize.Record(writes);
    }

    public static void Delivered(int events) => EventsDelivered.Add(events);

    public static void Dropped(int events) => EventsDropped.Add(events);

    private static KeyValuePair<string, object?> State(TaskState state) => new("state", Enums.Name(state));
}
