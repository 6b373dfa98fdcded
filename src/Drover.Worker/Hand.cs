using System.Diagnostics;
using Drover.Contracts;
using Drover.Dispatch;
using Drover.Storage;
using Drover.Worker.Execution;

namespace Drover.Worker;

/// <summary>
/// The leases a worker holds: those waiting for a slot, in lease order, and those running. One lock
/// guards all of it. A slot that finishes a task takes the next waiting one on the same thread, so a
/// run of quick tasks costs no thread hops; the lease loop is woken only when it should lease again,
/// not once per finished task. The prefetch is a fixed number, or (null) sized from the run times
/// the slots observe (<see cref="AdaptivePrefetch"/>).
/// </summary>
internal sealed class Hand(int concurrency, int? prefetch, Func<LeasedTask, RunningTask, Task> run, Func<LeasedTask, RunningTask> open)
{
    private readonly Lock _lock = new();
    private int _concurrency = concurrency;
    private int _fixedPrefetch = prefetch ?? 0;
    private AdaptivePrefetch? _adaptive = prefetch is null ? new AdaptivePrefetch() : null;
    private bool _paused;
    private readonly Queue<LeasedTask> _waiting = new();
    private readonly Dictionary<Guid, RunningTask?> _held = [];
    private readonly List<Task> _slots = [];
    private readonly AsyncSignal _wantsMore = new();
    private int _busySlots;
    private int _runningSlots; // busy slots that have a task; the others are about to take one
    private bool _leaseLoopWaiting;
    private long _added;
    private bool _closed;

    public int Count
    {
        get
        {
            lock (_lock) return _held.Count;
        }
    }

    /// <summary>Tasks held beyond those running: the fixed number, or what the run times seen so far call for.</summary>
    private int Prefetch => _adaptive?.For(_concurrency) ?? _fixedPrefetch;

    /// <summary>The executions held now, waiting or running: their leases are the ones to renew.</summary>
    public List<Guid> HeldIds()
    {
        lock (_lock) return [.. _held.Keys];
    }

    public List<RunningTask> Running()
    {
        lock (_lock) return [.. _held.Values.OfType<RunningTask>()];
    }

    public bool TryGetRunning(Guid executionId, out RunningTask? task)
    {
        lock (_lock) return _held.TryGetValue(executionId, out task) && task is not null;
    }

    /// <summary>
    /// How many tasks to lease now; 0 means wait for <paramref name="wake"/>. Leases when a slot would
    /// otherwise sit idle or the hand is half empty: under load, not one lease request per task.
    /// </summary>
    public int Room(out Task wake) => Room(out wake, out _);

    /// <param name="added">How many tasks the hand has taken so far, counted with the room (the worker channel's "received").</param>
    public int Room(out Task wake, out long added)
    {
        lock (_lock)
        {
            added = _added;
            var room = _concurrency + Prefetch - _held.Count;
            if (!_paused && room > 0 && ShouldLease(room))
            {
                wake = Task.CompletedTask;
                return room;
            }
            _leaseLoopWaiting = true;
            wake = _wantsMore.WaitHandle;
            return 0;
        }
    }

    /// <summary>
    /// New settings from the server: more slots start at once on what waits; fewer take effect as
    /// running tasks end. Paused, the hand asks for no more tasks.
    /// </summary>
    public void Change(int concurrency, int? prefetch, bool paused)
    {
        lock (_lock)
        {
            _concurrency = concurrency;
            _fixedPrefetch = prefetch ?? 0;
            // Auto again keeps what it has learned; a fixed number forgets it.
            _adaptive = prefetch is null ? _adaptive ?? new AdaptivePrefetch() : null;
            _paused = paused;
            StartSlots();
            WakeLeaseLoopIfDue();
        }
    }

    /// <summary>Takes newly leased tasks and starts idle slots on them.</summary>
    public void Add(IReadOnlyList<LeasedTask> leases)
    {
        lock (_lock)
        {
            _added += leases.Count;
            foreach (var lease in leases)
            {
                _held[lease.ExecutionId] = null;
                _waiting.Enqueue(lease);
            }
            StartSlots();
        }
    }

    private void StartSlots()
    {
        // One more slot for each waiting task that no starting slot will take.
        while (!_closed && _busySlots < _concurrency && _busySlots - _runningSlots < _waiting.Count)
        {
            _busySlots++;
            _slots.RemoveAll(s => s.IsCompleted);
            _slots.Add(Task.Run(RunSlotAsync));
        }
    }

    /// <summary>
    /// Takes no more work: returns the leases that were still waiting (no longer held) and a task
    /// that completes when every slot has finished what it runs.
    /// </summary>
    public (List<LeasedTask> Unstarted, Task SlotsDone) Close()
    {
        lock (_lock)
        {
            _closed = true;
            var unstarted = _waiting.ToList();
            _waiting.Clear();
            foreach (var lease in unstarted) _held.Remove(lease.ExecutionId);
            return (unstarted, Task.WhenAll(_slots));
        }
    }

    private async Task RunSlotAsync()
    {
        while (true)
        {
            LeasedTask lease;
            RunningTask task;
            lock (_lock)
            {
                // A slot beyond a lowered concurrency ends instead of taking more.
                if (_closed || _runningSlots >= _concurrency || !_waiting.TryDequeue(out lease!))
                {
                    _busySlots--;
                    WakeLeaseLoopIfDue();
                    return;
                }
                task = open(lease);
                _held[lease.ExecutionId] = task;
                _runningSlots++;
            }
            var started = Stopwatch.GetTimestamp();
            try
            {
                await run(lease, task);
            }
            finally
            {
                var took = Stopwatch.GetElapsedTime(started);
                lock (_lock)
                {
                    _adaptive?.Observe(took);
                    _held.Remove(lease.ExecutionId);
                    _runningSlots--;
                    WakeLeaseLoopIfDue();
                }
            }
        }
    }

    private void WakeLeaseLoopIfDue()
    {
        if (!_leaseLoopWaiting || _paused || !ShouldLease(_concurrency + Prefetch - _held.Count)) return;
        _leaseLoopWaiting = false;
        _wantsMore.Pulse();
    }

    private bool ShouldLease(int room)
    {
        var waiting = _waiting.Count;
        var idleSlots = _concurrency - _runningSlots;
        return (idleSlots > 0 && waiting == 0) || room * 2 >= _concurrency + Prefetch;
    }
}
