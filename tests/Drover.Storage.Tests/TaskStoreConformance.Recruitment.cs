using Drover.Contracts;
using Drover.Model;

namespace Drover.Storage.Tests;

/// <summary>Recruiters, jobs and deployments: kept by every backend, <c>--store none</c> included (they are not tasks).</summary>
public abstract partial class TaskStoreConformance
{
    private IRecruitmentStore Recruitment => (IRecruitmentStore)Store;

    private RecruiterRecord Recruiter(string batch, int rank, int maximum = 4) => new()
    {
        Batch = batch, Rank = rank, Provider = "local", MaximumWorkers = maximum, TasksPerWorker = 50,
        WorkerConcurrency = 2, Created = Time.GetUtcNow(), Updated = Time.GetUtcNow(),
    };

    [Fact]
    public async Task Recruiters_are_kept_one_per_batch_and_rank_in_rank_order()
    {
        Assert.True(await Recruitment.PutRecruiterAsync(Recruiter("nightly", 2), Token));
        Assert.True(await Recruitment.PutRecruiterAsync(Recruiter("nightly", 1), Token));
        Assert.True(await Recruitment.PutRecruiterAsync(Recruiter("adhoc", 1), Token));
        var created = Time.GetUtcNow();
        Time.Advance(TimeSpan.FromMinutes(1));
        // The same rank again replaces it, keeping when it was first made.
        Assert.False(await Recruitment.PutRecruiterAsync(Recruiter("nightly", 1, maximum: 9) with { Flavor = "auto:cpus>=8", Updated = Time.GetUtcNow(), Created = Time.GetUtcNow() }, Token));

        var all = await Recruitment.ListRecruitersAsync(Token);
        Assert.Equal([("adhoc", 1), ("nightly", 1), ("nightly", 2)], all.Select(r => (r.Batch, r.Rank)));
        var replaced = all[1];
        Assert.Equal(9, replaced.MaximumWorkers);
        Assert.Equal("auto:cpus>=8", replaced.Flavor);
        Assert.Equal(created, replaced.Created);
        Assert.Equal(Time.GetUtcNow(), replaced.Updated);

        Assert.Equal(1, await Recruitment.DeleteRecruitersAsync("nightly", 2, Token));
        Assert.Equal(0, await Recruitment.DeleteRecruitersAsync("nightly", 2, Token));
        Assert.Equal(1, await Recruitment.DeleteRecruitersAsync("nightly", null, Token));
        Assert.Equal([("adhoc", 1)], (await Recruitment.ListRecruitersAsync(Token)).Select(r => (r.Batch, r.Rank)));
    }

    [Fact]
    public async Task Jobs_are_saved_whole_and_listed_newest_first()
    {
        var first = new JobRecord
        {
            Id = Validation.Ids.New(), Action = JobAction.Deploy, Target = "nightly-local-1", Provider = "local", Batch = "nightly",
            Status = JobState.Pending, Created = Time.GetUtcNow(),
        };
        await Recruitment.SaveJobAsync(first, Token);
        Time.Advance(TimeSpan.FromSeconds(1));
        var second = first with { Id = Validation.Ids.New(), Action = JobAction.Recycle, Target = "hand-1", Status = JobState.Succeeded, Created = Time.GetUtcNow() };
        await Recruitment.SaveJobAsync(second, Token);
        var failed = first with
        {
            Status = JobState.Failed, Started = first.Created, Ended = Time.GetUtcNow(), Log = "$ deploy\nno route to host\n",
            Reason = "the deploy command exited with code 255", Retry = 1,
        };
        await Recruitment.SaveJobAsync(failed, Token);

        Assert.Equal(failed, await Recruitment.GetJobAsync(first.Id, Token));
        Assert.Null(await Recruitment.GetJobAsync(Validation.Ids.New(), Token));
        Assert.Equal([second.Id, first.Id], (await Recruitment.ListJobsAsync(null, 10, Token)).Select(j => j.Id));
        Assert.Equal([first.Id], (await Recruitment.ListJobsAsync(JobState.Failed, 10, Token)).Select(j => j.Id));
        Assert.Equal([second.Id], (await Recruitment.ListJobsAsync(null, 1, Token)).Select(j => j.Id));
    }

    [Fact]
    public async Task Purging_deletes_ended_jobs_and_gone_deployments_made_before_the_cutoff()
    {
        JobRecord Job(JobState state) => new()
        {
            Id = Validation.Ids.New(), Action = JobAction.Destroy, Target = "w", Provider = "local", Status = state, Created = Time.GetUtcNow(),
        };
        DeploymentRecord Deployment(string name, DeploymentState state) => new()
        {
            Name = name, Provider = "local", Batch = "b", Status = state, Created = Time.GetUtcNow(),
        };
        var old = new[] { Job(JobState.Succeeded), Job(JobState.Failed), Job(JobState.Running) };
        foreach (var job in old) await Recruitment.SaveJobAsync(job, Token);
        await Recruitment.SaveDeploymentAsync(Deployment("gone", DeploymentState.Gone), Token);
        await Recruitment.SaveDeploymentAsync(Deployment("live", DeploymentState.Running), Token);
        Time.Advance(TimeSpan.FromHours(1));
        var cutoff = Time.GetUtcNow();
        var recent = Job(JobState.Succeeded);
        await Recruitment.SaveJobAsync(recent, Token);

        Assert.Equal(2, await Recruitment.PurgeJobsAsync(cutoff, Token));
        Assert.Equal([recent.Id, old[2].Id], (await Recruitment.ListJobsAsync(null, 10, Token)).Select(j => j.Id));
        Assert.Equal(["live"], (await Recruitment.ListLiveDeploymentsAsync(Token)).Select(d => d.Name));
        Assert.Equal(0, await Recruitment.PurgeJobsAsync(cutoff, Token));
    }

    [Fact]
    public async Task Only_live_deployments_are_listed()
    {
        var deploying = new DeploymentRecord
        {
            Name = "nightly-local-a", Provider = "local", Flavor = "local", Batch = "nightly", Concurrency = 4,
            Status = DeploymentState.Deploying, Created = Time.GetUtcNow(),
        };
        await Recruitment.SaveDeploymentAsync(deploying, Token);
        Time.Advance(TimeSpan.FromSeconds(1));
        var other = deploying with { Name = "nightly-local-b", Created = Time.GetUtcNow() };
        await Recruitment.SaveDeploymentAsync(other, Token);
        var running = deploying with { Status = DeploymentState.Running, WorkerId = Validation.Ids.New(), Registered = Time.GetUtcNow(), Handle = "4242" };
        await Recruitment.SaveDeploymentAsync(running, Token);
        Assert.Equal([running, other], await Recruitment.ListLiveDeploymentsAsync(Token));

        await Recruitment.SaveDeploymentAsync(other with { Status = DeploymentState.Failed, Ended = Time.GetUtcNow() }, Token);
        Assert.Equal([running], await Recruitment.ListLiveDeploymentsAsync(Token));
        Assert.True(await Recruitment.LeadsRecruitingAsync(Token));
    }

    [Fact]
    public async Task A_worker_says_whether_a_recruiter_may_move_it()
    {
        var mine = await Store.RegisterWorkerAsync(new WorkerRegistration { Name = "hand", Recyclable = true, Batch = "a" }, Token);
        var other = await Store.RegisterWorkerAsync(new WorkerRegistration { Name = "other" }, Token);
        Assert.True(mine.Recyclable);
        Assert.True((await Store.GetWorkerAsync(mine.Id, Token))!.Recyclable);
        Assert.False((await Store.GetWorkerAsync(other.Id, Token))!.Recyclable);
    }
}
