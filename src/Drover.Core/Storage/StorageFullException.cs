namespace Drover.Storage;

/// <summary>
/// A write refused because the task database's disk (or its quota) is full. The store rolled it
/// back: nothing of it was written, and the same write can be sent again once there is space.
/// </summary>
public sealed class StorageFullException(Exception inner)
    : IOException("The task database's disk is full: nothing was written. Free some space; the write can be sent again.", inner);
