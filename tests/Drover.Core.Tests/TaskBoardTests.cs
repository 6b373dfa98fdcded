using Drover.Client;
using Drover.Model;

namespace Drover.Core.Tests;

public sealed class TaskBoardTests
{
    private static TaskRecord Task(string batch, TaskState status, long seq) =>
        new() { Id = Guid.NewGuid(), Batch = batch, Status = status, Submitted = DateTimeOffset.UnixEpoch, Seq = seq };

    [Fact]
    public void Counts_per_batch_follow_the_latest_state_of_each_task()
    {
        var board = new TaskBoard();
        var a = Task("a", TaskState.Queued, 1);
        board.Apply([a, Task("a", TaskState.Failed, 2), Task("a", TaskState.Running, 3), Task("b", TaskState.Pending, 4)]);
        Assert.Equal(new BatchProgress("a", Succeeded: 0, Failed: 1, Running: 1, Queued: 1), board.Batches[0]);
        Assert.Equal(new BatchProgress("b", 0, 0, 0, 1), board.Batches[1]);
        Assert.Single(board.Running);
        Assert.False(board.AllEnded);

        board.Apply([a with { Status = TaskState.Succeeded }]);
        Assert.Equal(new BatchProgress("a", 1, 1, 1, 0), board.Batches[0]);
        Assert.Equal(2.0 / 3, board.Batches[0].Fraction, 3);
    }

    [Fact]
    public void Everything_has_ended_only_when_there_are_tasks_and_none_is_live()
    {
        var board = new TaskBoard();
        Assert.False(board.AllEnded);
        var task = Task("a", TaskState.Running, 1);
        board.Apply([task]);
        Assert.False(board.AllEnded);
        board.Apply([task with { Status = TaskState.Canceled }]);
        Assert.True(board.AllEnded);
        Assert.False(board.AllSucceeded);
    }
}
