using Drover.Model;
using Drover.Recruiting;

namespace Drover.Core.Tests;

public sealed class RecruitmentPlanTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static RecruiterRecord Recruiter(string batch = "nightly", int rank = 1, int maximum = 4, int perWorker = 50, int minimum = 0, string provider = "local") => new()
    {
        Batch = batch, Rank = rank, Provider = provider, MaximumWorkers = maximum, TasksPerWorker = perWorker, MinimumTasks = minimum, WorkerConcurrency = 4,
    };

    private static WorkerRecord Worker(string name, string? batch, int running = 0, string? provider = "local", bool recyclable = false, WorkerState status = WorkerState.Running) => new()
    {
        Id = Guid.NewGuid(), Name = name, Batch = batch, Running = running, Provider = provider, Recyclable = recyclable, Status = status,
        Concurrency = 1, Prefetch = 0, Registered = Now, LastSeen = Now,
    };

    private static RecruitmentView View(IReadOnlyList<RecruiterRecord> recruiters, Dictionary<string, long> waiting, IReadOnlyList<WorkerRecord>? workers = null, int deploying = 0) => new()
    {
        Recruiters = recruiters,
        Waiting = waiting,
        Workers = workers ?? [],
        Deploying = [.. Enumerable.Range(0, deploying).Select(i => new DeploymentRecord
        {
            Name = $"d{i}", Provider = "local", Batch = "nightly", Status = DeploymentState.Deploying, Created = Now,
        })],
    };

    [Fact]
    public void A_batch_gets_one_worker_per_tasks_per_worker_waiting_capped_at_the_maximum()
    {
        var (_, deploy) = RecruitmentPlan.Decide(View([Recruiter()], new() { ["nightly"] = 120 }), _ => true);
        Assert.Equal(3, Assert.Single(deploy).Count);
        (_, deploy) = RecruitmentPlan.Decide(View([Recruiter()], new() { ["nightly"] = 1000 }), _ => true);
        Assert.Equal(4, Assert.Single(deploy).Count);
    }

    [Fact]
    public void Workers_asked_for_but_not_registered_count_so_nothing_is_asked_twice()
    {
        var (_, deploy) = RecruitmentPlan.Decide(View([Recruiter()], new() { ["nightly"] = 1000 }, deploying: 3), _ => true);
        Assert.Equal(1, Assert.Single(deploy).Count);
        (_, deploy) = RecruitmentPlan.Decide(View([Recruiter()], new() { ["nightly"] = 1000 }, deploying: 4), _ => true);
        Assert.Empty(deploy);
    }

    [Fact]
    public void Nothing_happens_below_the_minimum_or_with_nothing_waiting()
    {
        Assert.Empty(RecruitmentPlan.Decide(View([Recruiter(minimum: 100)], new() { ["nightly"] = 99 }), _ => true).Deploy);
        Assert.Empty(RecruitmentPlan.Decide(View([Recruiter()], new() { ["nightly"] = 0 }), _ => true).Deploy);
        Assert.Empty(RecruitmentPlan.Decide(View([Recruiter()], new()), _ => true).Deploy);
    }

    [Fact]
    public void An_idle_worker_of_a_batch_with_nothing_waiting_is_recycled_before_anything_is_deployed()
    {
        var idle = Worker("idle", "other");
        var busy = Worker("busy", "other2", running: 1);
        var byHand = Worker("hand", "other3", provider: null);
        var byHandAllowing = Worker("hand-ok", "other4", provider: null, recyclable: true);
        var everyBatch = Worker("all", null);
        var (recycle, deploy) = RecruitmentPlan.Decide(
            View([Recruiter(maximum: 3)], new() { ["nightly"] = 500, ["other4"] = 0 }, [idle, busy, byHand, byHandAllowing, everyBatch]), _ => true);
        Assert.Equal(["idle", "hand-ok"], recycle.Select(r => r.Worker.Name));
        Assert.Equal(1, Assert.Single(deploy).Count);
    }

    [Fact]
    public void A_worker_whose_own_batch_waits_is_not_taken_from_it()
    {
        var (recycle, _) = RecruitmentPlan.Decide(View([Recruiter()], new() { ["nightly"] = 500, ["other"] = 1 }, [Worker("w", "other")]), _ => true);
        Assert.Empty(recycle);
    }

    [Fact]
    public void A_recruiter_that_may_not_deploy_leaves_the_rest_to_the_next_rank()
    {
        var first = Recruiter(rank: 1, maximum: 2);
        var second = Recruiter(rank: 2, maximum: 5, provider: "cloud");
        var (_, deploy) = RecruitmentPlan.Decide(View([first, second], new() { ["nightly"] = 1000 }), r => r.Rank == 2);
        Assert.Equal(("cloud", 5), (Assert.Single(deploy).Recruiter.Provider, deploy[0].Count));
        (_, deploy) = RecruitmentPlan.Decide(View([first, second], new() { ["nightly"] = 1000 }), _ => true);
        Assert.Equal([("local", 2), ("cloud", 3)], deploy.Select(d => (d.Recruiter.Provider, d.Count)));
    }

    [Fact]
    public void Idle_provider_workers_are_given_back_after_their_timeout_and_never_those_started_by_hand()
    {
        var clock = new IdleClock();
        var worked = Worker("worked", "nightly", running: 1);
        var never = Worker("never", "nightly");
        var byHand = Worker("hand", "nightly", provider: null);
        clock.Observe([worked, never, byHand], Now);
        worked = worked with { Running = 0 };
        clock.Observe([worked, never, byHand], Now.AddSeconds(10));
        var view = View([], new() { ["nightly"] = 0 }, [worked, never, byHand]);

        var idle = TimeSpan.FromSeconds(30);
        var firstTask = TimeSpan.FromSeconds(60);
        Assert.Empty(RecruitmentPlan.IdleToGiveBack(view, clock, Now.AddSeconds(39), idle, firstTask));
        Assert.Equal(["worked"], RecruitmentPlan.IdleToGiveBack(view, clock, Now.AddSeconds(40), idle, firstTask).Select(w => w.Name));
        Assert.Equal(["worked", "never"], RecruitmentPlan.IdleToGiveBack(view, clock, Now.AddSeconds(60), idle, firstTask).Select(w => w.Name));
        // While its batch has work waiting, ready or pending on requirements (a DAG's next stage), an idle worker stays.
        Assert.Empty(RecruitmentPlan.IdleToGiveBack(view with { Waiting = new Dictionary<string, long> { ["nightly"] = 3 } }, clock, Now.AddHours(1), idle, firstTask));
        Assert.Empty(RecruitmentPlan.IdleToGiveBack(view with { Pending = new Dictionary<string, long> { ["nightly"] = 3 } }, clock, Now.AddHours(1), idle, firstTask));
    }

    [Fact]
    public void Work_learned_of_afterwards_times_a_worker_by_the_idle_timeout_from_its_last_task()
    {
        var clock = new IdleClock();
        var quick = Worker("quick", "nightly");
        clock.Observe([quick], Now);
        clock.Observe([quick], Now.AddSeconds(40));
        Assert.Equal((TimeSpan.FromSeconds(40), false), clock.Of(quick.Id, Now.AddSeconds(40)));
        clock.SawWork(quick.Id, Now.AddSeconds(5));
        Assert.Equal((TimeSpan.FromSeconds(35), true), clock.Of(quick.Id, Now.AddSeconds(40)));
        var view = View([], new() { ["nightly"] = 0 }, [quick]);
        Assert.Equal(["quick"], RecruitmentPlan.IdleToGiveBack(view, clock, Now.AddSeconds(40), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10)).Select(w => w.Name));
    }

    [Theory]
    [InlineData(null, "small")]
    [InlineData("large", "large")]
    [InlineData("auto:cpus>=8", "large")]
    [InlineData("auto:cpus>=2,memory>=8GB", "medium")]
    [InlineData("auto:cost<=0.1", "small")]
    public void A_flavor_is_named_or_the_cheapest_that_fits(string? spec, string expected)
    {
        Flavor[] flavors =
        [
            new() { Name = "small", Provider = "cloud", Cpus = 2, Memory = 4L << 30, Cost = 0.05 },
            new() { Name = "large", Provider = "cloud", Cpus = 16, Memory = 64L << 30, Cost = 0.8 },
            new() { Name = "medium", Provider = "cloud", Cpus = 4, Memory = 16L << 30, Cost = 0.2 },
        ];
        Assert.Equal(expected, FlavorChoice.Pick(spec, flavors, out var error)?.Name);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("tiny", "is not a flavor")]
    [InlineData("auto:cpus>=64", "no flavor of provider cloud has cpus>=64")]
    [InlineData("auto:gpus>=1", "'gpus' is not cpus, memory or cost")]
    [InlineData("auto:memory>=lots", "'lots' is not a value for memory")]
    [InlineData("auto:cpus", "is not a condition")]
    public void A_flavor_that_does_not_fit_says_why(string spec, string expected)
    {
        Flavor[] flavors = [new() { Name = "small", Provider = "cloud", Cpus = 2 }];
        Assert.Null(FlavorChoice.Pick(spec, flavors, out var error));
        Assert.Contains(expected, error);
    }
}
