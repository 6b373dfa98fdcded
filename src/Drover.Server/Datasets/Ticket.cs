using Drover.Contracts;

namespace Drover.Server.Datasets;

/// <summary>
/// One distribution as it runs: which worker gets which files, how far each is, and how it ended.
/// Changed only by its own run (under the ticket's lock); read as <see cref="DatasetTicket"/> snapshots.
/// </summary>
internal sealed class Ticket(Guid id, string dataset, string source, long generation, DateTimeOffset created, DateTimeOffset deadline, List<Ticket.Node> nodes)
{
    /// <summary>One worker's part: the handler its stage tasks go to, its files, its step.</summary>
    public sealed class Node(Guid worker, string handler, IReadOnlyList<StageFile> files)
    {
        public Guid Worker { get; } = worker;
        public string Handler { get; } = handler;
        public IReadOnlyList<StageFile> Files { get; } = files;
        public string State { get; set; } = TicketStates.Downloading;
        public string? Error { get; set; }
        public Guid? Task { get; set; }
        public long BytesDone { get; set; }

        /// <summary>The sum of the files' sizes when the source told them all (an http source does not).</summary>
        public long? Bytes => Files.All(f => f.Bytes is not null) ? Files.Sum(f => f.Bytes!.Value) : null;
    }

    private readonly Lock _lock = new();

    public Guid Id { get; } = id;
    public string Dataset { get; } = dataset;
    public long Generation { get; } = generation;
    public DateTimeOffset Deadline { get; } = deadline;
    public IReadOnlyList<Node> Nodes { get; } = nodes;
    /// <summary>Canceled by <c>DELETE /api/datasets/tickets/{id}</c>.</summary>
    public CancellationTokenSource Canceled { get; } = new();
    /// <summary>The run, done when the ticket has ended and its staging has been dropped.</summary>
    public Task Run { get; set; } = Task.CompletedTask;

    private string _state = TicketStates.Downloading;
    private string? _reason;
    private DateTimeOffset? _ended;

    public bool HasEnded
    {
        get { lock (_lock) return _ended is not null; }
    }

    public void Update(Action<Ticket> change)
    {
        lock (_lock) change(this);
    }

    public void Set(string state) => Update(t => t._state = state);

    public void End(string state, string? reason, DateTimeOffset at) => Update(t =>
    {
        t._state = state;
        t._reason = reason;
        t._ended = at;
    });

    public DatasetTicket Snapshot()
    {
        lock (_lock)
        {
            return new DatasetTicket
            {
                Id = Id,
                Dataset = Dataset,
                Source = source,
                Generation = Generation,
                State = _state,
                Reason = _reason,
                Created = created,
                Deadline = Deadline,
                Ended = _ended,
                Nodes = [.. Nodes.Select(n => new TicketNode
                {
                    Worker = n.Worker,
                    Shards = [.. n.Files.Select(f => f.Shard)],
                    Bytes = n.Bytes,
                    BytesDone = n.BytesDone,
                    State = n.State,
                    Error = n.Error,
                    Task = n.Task,
                })],
            };
        }
    }
}

/// <summary>The states of a ticket and of its nodes, as the API spells them.</summary>
public static class TicketStates
{
    public const string Downloading = "downloading";
    public const string Staged = "staged";
    public const string Switching = "switching";
    public const string Switched = "switched";
    public const string Done = "done";
    public const string Failed = "failed";
    public const string Canceled = "canceled";
    public const string Dropped = "dropped";
}
