namespace Drover.Storage;

/// <summary>
/// A pulse that wakes everyone waiting. Take <see cref="WaitHandle"/> before checking the condition,
/// then await it: a pulse between the check and the await is never missed.
/// </summary>
public sealed class AsyncSignal
{
    private TaskCompletionSource _next = NewSource();

    public Task WaitHandle => Volatile.Read(ref _next).Task;

    public void Pulse() => Interlocked.Exchange(ref _next, NewSource()).TrySetResult();

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
