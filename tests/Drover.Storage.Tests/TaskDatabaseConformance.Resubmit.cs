using Drover.Model;
using Drover.Query;

namespace Drover.Storage.Tests;

/// <summary>Resubmission and purging.</summary>
public abstract partial class TaskDatabaseConformance
{
    [Fact]
    public async Task Resubmit_creates_a_new_task_with_the_same_definition_and_links_both()
    {
        var definition = Task(priority: 3, retry: 1) with { Name = "again", Args = System.Text.Json.JsonDocument.Parse("""{"x": 1}""").RootElement };
        await Store.CreateAsync([definition], Token);
        var worker = await WorkerAsync();
        var lease = (await Store.LeaseAsync(worker, 1, Token))[0];
        await ReportAsync(worker, Finished(lease, 0));

        var outcome = await Store.ResubmitAsync([definition.Id], Token);
        Assert.False(outcome.Refused);
        var copy = Assert.Single(outcome.Created);
        Assert.NotEqual(definition.Id, copy.Id);
        Assert.Equal(definition.Id, copy.ResubmittedFrom);
        Assert.Equal(TaskState.Queued, copy.Status);
        Assert.Equal(0, copy.Attempts);
        Assert.Equal(["echo", "hi"], copy.Command);
        Assert.Equal(("again", 3, 1), (copy.Name, copy.Priority, copy.Retry));
        Assert.Equal(definition.Id, (await Store.GetTaskAsync(copy.Id, Token))!.ResubmittedFrom);
        Assert.Equal(copy.Id, (await Store.GetTaskAsync(definition.Id, Token))!.Resubmitted);

        var again = Assert.Single(await Store.LeaseAsync(worker, 1, Token));
        Assert.Equal(copy.Id, again.TaskId);
        Assert.Equal(1, again.Args!.Value.GetProperty("x").GetInt32());
    }

    [Fact]
    public async Task Resubmit_refuses_unknown_and_unfinished_tasks_and_then_creates_nothing()
    {
        var done = Task();
        var waiting = Task();
        await Store.CreateAsync([done, waiting], Token);
        var worker = await WorkerAsync();
        var lease = (await Store.LeaseAsync(worker, 1, Token))[0];
        await ReportAsync(worker, Finished(lease, 1));
        var unknown = Guid.CreateVersion7();

        var outcome = await Store.ResubmitAsync([done.Id, waiting.Id, unknown], Token);
        Assert.True(outcome.Refused);
        Assert.Empty(outcome.Created);
        Assert.Equal([unknown], outcome.Unknown);
        Assert.Equal([waiting.Id], outcome.NotEnded);
        Assert.Equal(2, await Store.CountTasksAsync(Filter.All, Token));
        Assert.Null((await Store.GetTaskAsync(done.Id, Token))!.Resubmitted);
    }

    [Fact]
    public async Task Purge_deletes_the_ended_tasks_selected_with_their_executions_and_names_the_rest()
    {
        var names = await SeedAsync();
        var alpha = names.Single(n => n.Value == "alpha").Key;
        var execution = Assert.Single(await Store.ListExecutionsAsync(alpha, Token));

        var outcome = await Store.PurgeAsync(Parse("""{"filter": {"batch": {"$in": ["x", "y"]}}}""").Query.Filter, Token);
        Assert.Equal(3, outcome.Deleted);
        Assert.Equal(["gamma", "Delta"], outcome.Refused.Select(id => names[id]));
        Assert.Null(await Store.GetTaskAsync(alpha, Token));
        Assert.Null(await Store.GetExecutionAsync(execution.Id, Token));
        Assert.Empty(await Store.ListExecutionsAsync(alpha, Token));
        Assert.Equal(3, await Store.CountTasksAsync(Filter.All, Token));

        var nothing = await Store.PurgeAsync(Parse("""{"filter": {"status": "succeeded"}}""").Query.Filter, Token);
        Assert.Equal(0, nothing.Deleted);
        Assert.Empty(nothing.Refused);
    }
}
