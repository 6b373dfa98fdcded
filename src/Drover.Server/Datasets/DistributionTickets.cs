using System.Globalization;
using System.Text.Json;
using Drover.Contracts;
using Drover.Datasets;
using Drover.Json;
using Drover.Model;
using Drover.Server.Dispatch;
using Drover.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Datasets;

/// <summary>
/// Download tickets: a new generation of a dataset brought to its workers, switched on all of them or
/// on none. Every target first downloads its files into a staging area (a <c>fetch</c> stage task);
/// only when all have them does each switch (a <c>switch</c> task: one rename, then an announcement);
/// only when all have switched are queries routed to the new generation. Until then the old one is
/// pinned and serves. A node that fails, a worker the store declares lost, the deadline or a cancel
/// ends the ticket as failed or canceled, and every node that can is told to drop what it staged or
/// switched. Tickets are kept in memory (the last <see cref="KeptEnded"/> ended ones): a restarted
/// server has none, and its workers' staging areas are ignored by the scanner and replaced by the next fetch.
/// </summary>
internal sealed partial class DistributionTickets(ITaskStore store, TaskWaiter waiter, StoreOptions storeOptions, DatasetCatalogue catalogue,
    TimeProvider time, IHostApplicationLifetime lifetime, ILogger<DistributionTickets> logger)
{
    public const int KeptEnded = 100;
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromHours(1);
    public static readonly TimeSpan MaxDeadline = TimeSpan.FromDays(7);
    /// <summary>How long a failed ticket waits for its nodes to drop their staging before it leaves them be.</summary>
    private static readonly TimeSpan DropWait = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private readonly List<Ticket> _tickets = [];

    /// <summary>The ticket of the dataset that has not ended yet, if any: one at a time per dataset.</summary>
    public DatasetTicket? Active(string dataset)
    {
        lock (_lock) return _tickets.FirstOrDefault(t => t.Dataset == dataset && !t.HasEnded)?.Snapshot();
    }

    /// <summary>Every ticket kept, newest first, with each downloading node's bytes as its fetch task last reported them.</summary>
    public async Task<IReadOnlyList<DatasetTicket>> ListAsync(CancellationToken cancellationToken)
    {
        List<Ticket> tickets;
        lock (_lock) tickets = [.. _tickets];
        foreach (var ticket in tickets.Where(t => !t.HasEnded)) await ReadProgressAsync(ticket, cancellationToken);
        return [.. tickets.AsEnumerable().Reverse().Select(t => t.Snapshot())];
    }

    public async Task<DatasetTicket?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        if (Find(id) is not { } ticket) return null;
        if (!ticket.HasEnded) await ReadProgressAsync(ticket, cancellationToken);
        return ticket.Snapshot();
    }

    /// <summary>Until the ticket has ended (and dropped what it staged), or the wait is over.</summary>
    public async Task WaitAsync(Guid id, TimeSpan wait, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (Find(id) is not { } ticket) return;
        try
        {
            await ticket.Run.WaitAsync(wait, clock, cancellationToken);
        }
        catch (TimeoutException)
        {
        }
    }

    /// <summary>Starts a ticket. The caller checked that no other ticket of the dataset runs, and chose the nodes.</summary>
    public DatasetTicket Start(string dataset, string source, long generation, long? current, TimeSpan deadline, List<Ticket.Node> nodes)
    {
        var now = time.GetUtcNow();
        var ticket = new Ticket(Guid.CreateVersion7(), dataset, source, generation, now, now + deadline, nodes);
        lock (_lock)
        {
            _tickets.Add(ticket);
            var ended = _tickets.Where(t => t.HasEnded).ToList();
            foreach (var old in ended.Take(Math.Max(0, ended.Count - KeptEnded))) _tickets.Remove(old);
        }
        // What serves now keeps serving while nodes switch one by one: queries never see a mix.
        if (current is { } serving) catalogue.Route(dataset, serving);
        LogTicketStarted(logger, dataset, generation, nodes.Count, ticket.Id);
        ticket.Run = Task.Run(() => RunAsync(ticket, deadline));
        return ticket.Snapshot();
    }

    /// <summary>Cancels a running ticket and waits until its nodes have dropped what they staged; null when there is no such ticket.</summary>
    public async Task<DatasetTicket?> CancelAsync(Guid id)
    {
        if (Find(id) is not { } ticket) return null;
        await ticket.Canceled.CancelAsync();
        await ticket.Run;
        return ticket.Snapshot();
    }

    private Ticket? Find(Guid id)
    {
        lock (_lock) return _tickets.FirstOrDefault(t => t.Id == id);
    }

    private async Task RunAsync(Ticket ticket, TimeSpan deadline)
    {
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(ticket.Canceled.Token, lifetime.ApplicationStopping);
        ending.CancelAfter(deadline);
        var round = new TaskRound(store, waiter);
        string? failure = null;
        try
        {
            await StartStepAsync(round, ticket, "fetch");
            failure = await AwaitStepAsync(round, ticket, TicketStates.Staged, ending.Token);
            if (failure is null)
            {
                ticket.Set(TicketStates.Switching);
                await StartStepAsync(round, ticket, "switch");
                failure = await AwaitStepAsync(round, ticket, TicketStates.Switched, ending.Token);
            }
            if (failure is null)
            {
                catalogue.Route(ticket.Dataset, ticket.Generation);
                ticket.End(TicketStates.Done, null, time.GetUtcNow());
                LogTicketDone(logger, ticket.Dataset, ticket.Generation, ticket.Id);
                return;
            }
        }
        catch (OperationCanceledException) when (ending.IsCancellationRequested)
        {
            if (lifetime.ApplicationStopping.IsCancellationRequested && !ticket.Canceled.IsCancellationRequested)
            {
                // The server stops: nothing is routed to the new generation; the workers drop nothing now.
                await round.CancelPendingAsync("the server stopped");
                ticket.End(TicketStates.Failed, "the server stopped", time.GetUtcNow());
                return;
            }
            failure = ticket.Canceled.IsCancellationRequested ? null : $"the deadline of {Durations.Format(deadline)} passed";
        }
        catch (Exception ex)
        {
            failure = "the server could not go on: " + ex.Message;
        }
        var canceled = failure is null;
        await round.CancelPendingAsync(canceled ? "its ticket was canceled" : "its ticket failed");
        await DropAsync(ticket);
        ticket.End(canceled ? TicketStates.Canceled : TicketStates.Failed, canceled ? "canceled" : failure, time.GetUtcNow());
        LogTicketFailed(logger, ticket.Dataset, ticket.Generation, ticket.Id, failure ?? "canceled");
    }

    private async Task StartStepAsync(TaskRound round, Ticket ticket, string action)
    {
        var tasks = ticket.Nodes.Select(n => (Stage(ticket, n, action, ticket.Deadline - time.GetUtcNow()), n)).ToList();
        ticket.Update(_ =>
        {
            foreach (var (task, node) in tasks) node.Task = task.Id;
        });
        await round.StartAsync([.. tasks.Select(t => (t.Item1, t.n.Worker))]);
    }

    /// <summary>Waits for every node's task of this step; null when all succeeded, else why the ticket fails.</summary>
    private async Task<string?> AwaitStepAsync(TaskRound round, Ticket ticket, string succeeded, CancellationToken cancellationToken)
    {
        var look = TaskRound.LookInterval(storeOptions);
        var nodes = ticket.Nodes.ToDictionary(n => n.Worker);
        while (round.Pending.Count > 0)
        {
            if (await round.NextAsync(look, time, cancellationToken) is not { } end)
            {
                var lost = await round.GiveUpLostAsync(TakesStageWork, "its worker was lost; the ticket fails");
                if (lost.Count == 0) continue;
                ticket.Update(_ =>
                {
                    foreach (var (_, worker) in lost) Fail(nodes[worker], "the worker was lost");
                });
                return $"worker {lost[0].Worker} was lost";
            }
            var node = ticket.Nodes.First(n => n.Task == end.TaskId);
            if (end.Task is { Status: TaskState.Succeeded })
            {
                ticket.Update(_ =>
                {
                    node.State = succeeded;
                    if (succeeded == TicketStates.Staged) node.BytesDone = node.Bytes ?? DoneOf(end.Task) ?? node.BytesDone;
                });
                continue;
            }
            var why = TaskRound.Why(end.Task);
            ticket.Update(_ => Fail(node, why));
            return $"worker {node.Worker}: {why}";
        }
        return null;
    }

    private static void Fail(Ticket.Node node, string why)
    {
        node.State = TicketStates.Failed;
        node.Error = why;
    }

    /// <summary>
    /// Every node still there is told to drop the generation (staged or switched), the one that failed
    /// too (a failed switch may leave its staging); what does not answer in time is left be.
    /// </summary>
    private async Task DropAsync(Ticket ticket)
    {
        var round = new TaskRound(store, waiter);
        var workers = (await store.ListWorkersAsync(CancellationToken.None)).ToDictionary(w => w.Id);
        var nodes = ticket.Nodes.Where(n => workers.TryGetValue(n.Worker, out var w) && TakesStageWork(w)).ToList();
        var drops = nodes.Select(n => (Task: Stage(ticket, n, "drop", DropWait), Node: n)).ToList();
        await round.StartAsync([.. drops.Select(d => (d.Task, d.Node.Worker))]);
        using var wait = new CancellationTokenSource(DropWait);
        try
        {
            while (round.Pending.Count > 0)
            {
                if (await round.NextAsync(DropWait, time, wait.Token) is not { } end) break;
                var node = drops.First(d => d.Task.Id == end.TaskId).Node;
                ticket.Update(_ =>
                {
                    if (node.State == TicketStates.Failed) return;
                    if (end.Task is { Status: TaskState.Succeeded }) node.State = TicketStates.Dropped;
                    else Fail(node, "could not drop the staged files: " + TaskRound.Why(end.Task));
                });
            }
        }
        catch (OperationCanceledException) when (wait.IsCancellationRequested)
        {
        }
        await round.CancelPendingAsync("its worker did not drop the staged files in time");
        ticket.Update(_ =>
        {
            foreach (var node in ticket.Nodes.Where(n => n.State is not (TicketStates.Dropped or TicketStates.Failed)))
                Fail(node, "the worker could not be told to drop the staged files");
        });
    }

    /// <summary>A worker that may still lease its stage tasks: a paused one resumes; a lost, stopped or draining one will not.</summary>
    private static bool TakesStageWork(WorkerRecord worker) => worker.Status is WorkerState.Running or WorkerState.Paused;

    private static TaskDefinition Stage(Ticket ticket, Ticket.Node node, string action, TimeSpan timeout) => new()
    {
        Id = Guid.CreateVersion7(),
        Name = $"{ticket.Dataset}/gen-{ticket.Generation.ToString(CultureInfo.InvariantCulture)} {action}",
        Batch = GroupByRunner.BatchOf(ticket.Dataset),
        Handler = ShardHandlers.StageHandlerOf(node.Handler),
        Args = JsonSerializer.SerializeToElement(new StageOrder
        {
            Action = action,
            Dataset = ticket.Dataset,
            Generation = ticket.Generation,
            Files = action == "fetch" ? node.Files : null,
        }, DroverJson.Options),
        Timeout = timeout > TimeSpan.FromSeconds(1) ? timeout : TimeSpan.FromSeconds(1),
    };

    /// <summary>Each downloading node's bytes from its fetch task's status ("done/total bytes").</summary>
    private async Task ReadProgressAsync(Ticket ticket, CancellationToken cancellationToken)
    {
        foreach (var node in ticket.Nodes.Where(n => n.State == TicketStates.Downloading && n.Task is not null))
        {
            if (await store.GetTaskAsync(node.Task!.Value, cancellationToken) is { } task && DoneOf(task) is { } done)
                ticket.Update(_ => node.BytesDone = Math.Max(node.BytesDone, done));
        }
    }

    private static long? DoneOf(TaskRecord? task) =>
        task?.StatusMessage is { } message && message.Split('/', 2) is [var done, _]
            && long.TryParse(done, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? bytes : null;

    [LoggerMessage(EventId = 3110, Level = LogLevel.Information, Message = "Dataset {Dataset}: ticket {Ticket} distributes generation {Generation} to {Nodes} worker(s)")]
    private static partial void LogTicketStarted(ILogger logger, string dataset, long generation, int nodes, Guid ticket);

    [LoggerMessage(EventId = 3111, Level = LogLevel.Information, Message = "Dataset {Dataset}: generation {Generation} serves (ticket {Ticket})")]
    private static partial void LogTicketDone(ILogger logger, string dataset, long generation, Guid ticket);

    [LoggerMessage(EventId = 3112, Level = LogLevel.Warning, Message = "Dataset {Dataset}: ticket {Ticket} for generation {Generation} ended without switching: {Reason}")]
    private static partial void LogTicketFailed(ILogger logger, string dataset, long generation, Guid ticket, string reason);
}
