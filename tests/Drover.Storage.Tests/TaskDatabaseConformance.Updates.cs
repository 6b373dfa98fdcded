using Drover.Model;

namespace Drover.Storage.Tests;

public abstract partial class TaskDatabaseConformance
{
    [Fact]
    public async Task An_ended_task_takes_a_new_name_but_no_other_change()
    {
        var task = Task();
        await Store.CreateAsync([task], Token);
        await Store.CancelAsync(task.Id, "not needed", Token);
        var renamed = await Store.UpdateAsync(task.Id, new TaskEdit { SetsName = true, Name = "kept for the record" }, Token);
        Assert.Equal("kept for the record", renamed.Task!.Name);
        Assert.Equal("kept for the record", (await Store.GetTaskAsync(task.Id, Token))!.Name);
        var refused = await Store.UpdateAsync(task.Id, new TaskEdit { Priority = 3 }, Token);
        Assert.True(refused.TooLate);
        Assert.Equal(0, (await Store.GetTaskAsync(task.Id, Token))!.Priority);
    }
}
