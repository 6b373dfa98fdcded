using System.Text.Json;
using Drover.Json;
using Drover.Model;

namespace Drover.Client;

/// <summary>
/// A task a write was made for: its id at once, its record when first read. When the write waited
/// in the outbox, reads first wait for it to be delivered (and fail if the server refused it).
/// </summary>
public sealed class TaskHandle
{
    private readonly DroverClient _client;
    private TaskRecord? _record;

    internal TaskHandle(DroverClient client, Guid id, Task delivered, TaskRecord? record)
    {
        _client = client;
        Id = id;
        Delivered = delivered;
        _record = record;
    }

    public Guid Id { get; }

    /// <summary>Completes when the server has the write; faults with <see cref="DroverApiException"/> if it refused it.</summary>
    public Task Delivered { get; }

    public bool IsDelivered => Delivered.IsCompletedSuccessfully;

    /// <summary>The record as last read, or null before the first read.</summary>
    public TaskRecord? Record => Volatile.Read(ref _record);

    /// <summary>The record: read once (after delivery), then as kept; <see cref="RefreshAsync"/> reads again.</summary>
    public async Task<TaskRecord> GetAsync(CancellationToken cancellationToken) => Record ?? await RefreshAsync(cancellationToken);

    public async Task<TaskRecord> RefreshAsync(CancellationToken cancellationToken)
    {
        await Delivered.WaitAsync(cancellationToken);
        var record = await _client.GetTaskAsync(Id, cancellationToken) ?? throw new InvalidOperationException($"task {Id} does not exist (purged, or the server keeps no history)");
        Volatile.Write(ref _record, record);
        return record;
    }

    /// <summary>Waits until the task has ended (following resubmissions up to <paramref name="retry"/> times); its final record.</summary>
    public async Task<TaskRecord> WaitAsync(CancellationToken cancellationToken, int retry = 0)
    {
        await Delivered.WaitAsync(cancellationToken);
        var ended = (await _client.WaitAllAsync([Id], cancellationToken, retry)).Single();
        Volatile.Write(ref _record, ended);
        return ended;
    }

    /// <summary>
    /// Waits for the task and returns its result (a handler's return value) as <typeparamref name="T"/>;
    /// throws <see cref="DroverTaskFailedException"/> when it did not succeed.
    /// </summary>
    public async Task<T?> ResultAsync<T>(CancellationToken cancellationToken, int retry = 0)
    {
        var ended = await WaitAsync(cancellationToken, retry);
        // A wait answers without the large fields (output, args, result): read the whole record.
        var task = await _client.GetTaskAsync(ended.Id, cancellationToken) ?? ended;
        Volatile.Write(ref _record, task);
        if (task.Status != TaskState.Succeeded) throw new DroverTaskFailedException(task);
        return task.Result is { } result ? result.Deserialize<T>(DroverJson.Options) : default;
    }
}
