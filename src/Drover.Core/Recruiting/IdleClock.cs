using Drover.Model;

namespace Drover.Recruiting;

/// <summary>
/// Since when each worker has held nothing, and whether it ever held something, as seen at each of
/// the recruitment loop's looks (every few seconds, and whenever tasks are submitted).
/// </summary>
public sealed class IdleClock
{
    private readonly Dictionary<Guid, (DateTimeOffset? Since, bool Worked)> _workers = [];

    public void Observe(IEnumerable<WorkerRecord> workers, DateTimeOffset now)
    {
        var seen = new HashSet<Guid>();
        foreach (var worker in workers.Where(w => w.Status.IsConnected()))
        {
            seen.Add(worker.Id);
            var (since, worked) = _workers.GetValueOrDefault(worker.Id);
            _workers[worker.Id] = worker.Running > 0 ? (null, true) : (since ?? now, worked);
        }
        foreach (var gone in _workers.Keys.Where(id => !seen.Contains(id)).ToList()) _workers.Remove(gone);
    }

    /// <summary>How long the worker has held nothing (zero while it holds something), and whether it ever had work.</summary>
    public (TimeSpan Idle, bool Worked) Of(Guid worker, DateTimeOffset now) =>
        _workers.TryGetValue(worker, out var state) ? (state.Since is { } since ? now - since : TimeSpan.Zero, state.Worked) : (TimeSpan.Zero, false);

    /// <summary>
    /// The worker had work after all (tasks that began and ended between two looks): idle since its last
    /// one ended, and timed by the idle timeout, not the first task's.
    /// </summary>
    public void SawWork(Guid worker, DateTimeOffset lastEnded)
    {
        if (_workers.TryGetValue(worker, out var state) && state.Since is not null) _workers[worker] = (lastEnded, true);
    }

    /// <summary>A worker moved to another batch starts its idle time afresh there.</summary>
    public void Restart(Guid worker, DateTimeOffset now) => _workers[worker] = (now, _workers.GetValueOrDefault(worker).Worked);
}
