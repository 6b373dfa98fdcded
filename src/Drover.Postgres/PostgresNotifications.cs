using Drover.Storage;
using Npgsql;

namespace Drover.Postgres;

/// <summary>
/// What several Drover servers on one database tell each other, through LISTEN/NOTIFY: tasks became
/// ready (wake lease long-polls), tasks ended (wake waits), signals wait for a worker (wake its poll),
/// and tasks changed or output streamed (for followers, <see cref="PostgresEventRelay"/>). Notifications are sent inside the
/// writing transaction, so they arrive only if it commits. One connection per server listens.
/// </summary>
internal sealed class PostgresNotifications : IAsyncDisposable
{
    public const string Ready = "drover_ready";
    public const string Ended = "drover_ended";
    public const string Worker = "drover_worker";

    /// <summary>NOTIFY payloads must stay under 8,000 bytes: ended ids go in chunks of this many.</summary>
    private const int IdsPerNotification = 200;

    private readonly NpgsqlDataSource _dataSource;
    private readonly StoreSignals _signals;
    private readonly PostgresEventRelay _relay;
    /// <summary>How long a stop waits for the listener to end once its backend was ended.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _listening;
    // The listening connection's backend process, while there is one (0 otherwise).
    private volatile int _listener;

    public PostgresNotifications(NpgsqlDataSource dataSource, StoreSignals signals, PostgresEventRelay relay)
    {
        _dataSource = dataSource;
        _signals = signals;
        _relay = relay;
        _listening = ListenAsync(_stop.Token);
    }

    /// <summary>The NOTIFY commands for a transaction that made tasks ready and ended others.</summary>
    public static IEnumerable<NpgsqlBatchCommand> Commands(bool ready, IReadOnlyCollection<Guid> ended, IEnumerable<Guid> signaledWorkers)
    {
        if (ready) yield return PgRows.Command($"SELECT pg_notify('{Ready}', '')");
        foreach (var worker in signaledWorkers) yield return PgRows.Command($"SELECT pg_notify('{Worker}', $1)", worker.ToString());
        foreach (var chunk in ended.Chunk(IdsPerNotification))
            yield return PgRows.Command($"SELECT pg_notify('{Ended}', $1)", string.Join(',', chunk));
    }

    private async Task ListenAsync(CancellationToken stop)
    {
        var listened = false;
        for (var attempt = 0; !stop.IsCancellationRequested; attempt++)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(stop);
                // A full fence: a stop that has not seen this pid cancelled before the check below.
                Interlocked.Exchange(ref _listener, connection.ProcessID);
                stop.ThrowIfCancellationRequested();
                connection.Notification += (_, e) => OnNotification(e.Channel, e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Ready}; LISTEN {Ended}; LISTEN {Worker}; LISTEN {PostgresEventRelay.Changes}; LISTEN {PostgresEventRelay.Output}", connection))
                    await listen.ExecuteNonQueryAsync(stop);
                // Whatever was announced while not listening is unknown: let long-polls and workers look again.
                _signals.TasksReady.Pulse();
                _signals.SignalAllWorkers();
                // Followers here missed the other servers' changes only if this is not the first time.
                if (listened) _relay.Relisten();
                listened = true;
                attempt = 0;
                // Not given the token: Npgsql's WaitAsync does not always end when its token is cancelled
                // (npgsql/npgsql#5975; a CI run hung here). A stop ends the backend instead (DisposeAsync).
                while (true) await connection.WaitAsync(CancellationToken.None);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // Stopping: the connect or LISTEN was cancelled, or the backend ended by DisposeAsync.
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException)
            {
                _listener = 0;
                // The database went away; listen again once it is back.
                await Task.Delay(Resilience.BackoffPolicy.Default.Delay(attempt), stop).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task EndListenerBackendAsync()
    {
        if (_listener is not (> 0 and var pid)) return;
        try
        {
            using var timeout = new CancellationTokenSource(StopGrace);
            await using var connection = await _dataSource.OpenConnectionAsync(timeout.Token);
            await using var terminate = new NpgsqlCommand("SELECT pg_terminate_backend($1)", connection) { Parameters = { new() { Value = pid } } };
            await terminate.ExecuteScalarAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or OperationCanceledException)
        {
            // The database is gone: so is the listener's wait, or it will be once its socket sees it.
        }
    }

    private void OnNotification(string channel, string payload)
    {
        if (channel == Ready) _signals.TasksReady.Pulse();
        else if (channel == Worker && Guid.TryParse(payload, out var worker)) _signals.SignalWorker(worker);
        else if (channel == Ended)
            _signals.Ended(payload.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Guid.Parse));
        else _relay.OnNotification(channel, payload);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        // The wait for notifications ends with an error once its backend is ended. A listener that
        // still does not end (the database out of reach) is left behind rather than hold up the stop.
        await EndListenerBackendAsync();
        await Task.WhenAny(_listening, Task.Delay(StopGrace));
        await _relay.DisposeAsync();
    }
}
