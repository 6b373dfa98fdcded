using Drover.Model;
using Drover.Storage;

namespace Drover.Core.Tests;

/// <summary>Routing of published changes to followers (the stores' side is in the conformance suite).</summary>
public sealed class TaskEventsTests
{
    private static TaskRecord Task(string batch, string? group) =>
        new() { Id = Guid.NewGuid(), Batch = batch, Group = group, Status = TaskState.Queued, Submitted = DateTimeOffset.UnixEpoch };

    [Fact]
    public void A_change_reaches_followers_of_its_task_group_batch_or_everything_once_each()
    {
        var events = new TaskEvents();
        using var everything = events.Subscribe(100);
        everything.Follow(everything: true, [], [], []);
        using var both = events.Subscribe(100);
        both.Follow(everything: false, ["g"], ["b"], []);
        using var other = events.Subscribe(100);
        other.Follow(everything: false, ["h"], ["c"], []);
        var task = Task("b", "g");
        var byId = Task("c2", null);
        using var one = events.Subscribe(100);
        one.Follow(everything: false, [], [], [byId.Id]);

        events.Publish([task, byId], created: true);

        Assert.Equal([task.Id, byId.Id], everything.Take().Added.Select(t => t.Id));
        Assert.Equal([task.Id], both.Take().Added.Select(t => t.Id)); // by group and by batch: once
        Assert.True(other.Take().IsEmpty);
        Assert.Equal([byId.Id], one.Take().Added.Select(t => t.Id));
    }

    [Fact]
    public void Removed_tasks_stop_arriving_even_through_their_group_and_output_goes_only_to_followers_by_id()
    {
        var events = new TaskEvents();
        using var follower = events.Subscribe(100);
        var task = Task("b", "g");
        follower.Follow(everything: false, ["g"], [], [task.Id]);
        events.PublishOutput([new TaskOutputChunk(task.Id, task.Id, "hi", null)]);
        Assert.Equal("hi", follower.Take().Output.Single().Stdout);

        follower.Unfollow([task.Id]);
        events.Publish([task]);
        events.PublishOutput([new TaskOutputChunk(task.Id, task.Id, "again", null)]);
        Assert.True(follower.Take().IsEmpty);
    }

    [Fact]
    public void A_follower_takes_at_most_what_it_asks_and_the_rest_keeps_waiting_in_order()
    {
        var events = new TaskEvents();
        using var follower = events.Subscribe(100);
        follower.Follow(everything: true, [], [], []);
        var tasks = Enumerable.Range(0, 5).Select(_ => Task("b", null)).ToList();
        events.Publish(tasks);
        Assert.Equal(tasks.Take(3).Select(t => t.Id), follower.Take(3).Updated.Select(t => t.Id));
        events.Publish([tasks[4] with { Status = TaskState.Running }]); // coalesces with the one waiting
        var rest = follower.Take(3).Updated;
        Assert.Equal(tasks.Skip(3).Select(t => t.Id), rest.Select(t => t.Id));
        Assert.Equal(TaskState.Running, rest[^1].Status);
    }
}
