using System.CommandLine;
using System.Globalization;
using Drover.Contracts;
using Drover.Json;
using Drover.Model;

namespace Drover.Cli.Commands;

/// <summary><c>drover recruiter add|list|rm</c>, <c>drover jobs</c>, <c>drover job ID</c> and <c>drover flavors</c>.</summary>
internal static class RecruiterCommands
{
    public static Command Recruiter() => new("recruiter", "Recruiters: workers started and given back as a batch's tasks wait") { Add(), List(), Remove() };

    private static Command Add()
    {
        var batch = new Argument<string>("batch") { Description = "The batch it recruits for" };
        var rank = new Option<int>("--rank") { Description = "Its order among the batch's recruiters, lowest first (the same rank again replaces it)", DefaultValueFactory = _ => 1 };
        var provider = new Option<string>("--provider") { Description = "local, or a provider of the server's --providers file", DefaultValueFactory = _ => "local" };
        var flavor = new Option<string?>("--flavor") { Description = "A flavor of the provider, or auto:cpus>=8,memory>=16GB for the cheapest that fits" };
        var minimum = new Option<int>("--minimum-tasks") { Description = "Recruit nothing while fewer tasks than this wait", DefaultValueFactory = _ => 0 };
        var maximum = new Option<int>("--maximum-workers") { Description = "Recruit while the batch has fewer workers than this", DefaultValueFactory = _ => 4 };
        var perWorker = new Option<int>("--tasks-per-worker") { Description = "One worker for every this many waiting tasks", DefaultValueFactory = _ => 50 };
        var concurrency = new Option<int>("--worker-concurrency") { Description = "Each recruited worker's concurrency", DefaultValueFactory = _ => 1 };
        var prefetch = new Option<string>("--worker-prefetch") { Description = "Each recruited worker's prefetch: auto (sized from its run times) or a number", DefaultValueFactory = _ => "auto" };
        var command = new Command("add", "Create a batch's recruiter (or replace the one at its rank)")
        {
            batch, rank, provider, flavor, minimum, maximum, perWorker, concurrency, prefetch,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var recruiter = await client.PutRecruiterAsync(new RecruiterSpec
            {
                Batch = parse.GetValue(batch), Rank = parse.GetValue(rank), Provider = parse.GetValue(provider), Flavor = parse.GetValue(flavor),
                MinimumTasks = parse.GetValue(minimum), MaximumWorkers = parse.GetValue(maximum), TasksPerWorker = parse.GetValue(perWorker),
                WorkerConcurrency = parse.GetValue(concurrency), WorkerPrefetch = WorkerCommand.ParsePrefetch(parse.GetValue(prefetch), "--worker-prefetch"),
            }, cancellationToken);
            Console.WriteLine($"recruiter {recruiter.Batch}/{recruiter.Rank}: up to {recruiter.MaximumWorkers} {recruiter.Provider} worker(s), " +
                $"one per {recruiter.TasksPerWorker} waiting task(s)");
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "Every recruiter, by batch and rank");
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var table = new TextTable("BATCH", "RANK", "PROVIDER", "FLAVOR", "MIN TASKS", "MAX WORKERS", "TASKS/WORKER", "CONCURRENCY", "PREFETCH", "FAILED DEPLOYS", "NEXT DEPLOY");
            foreach (var r in await client.ListRecruitersAsync(cancellationToken))
            {
                table.Add(r.Batch, Number(r.Rank), r.Provider, r.Flavor ?? "", Number(r.MinimumTasks), Number(r.MaximumWorkers), Number(r.TasksPerWorker),
                    Number(r.WorkerConcurrency), r.WorkerPrefetch is { } p ? Number(p) : "auto", r.DeployFailures is > 0 and var f ? Number(f) : "",
                    r.NextDeploy is { } next ? Display.Time(next) : "");
            }
            table.Write(Console.Out);
            return 0;
        });
        return command;
    }

    private static Command Remove()
    {
        var batch = new Argument<string>("batch") { Description = "The batch" };
        var rank = new Argument<int>("rank") { Description = "The recruiter's rank", DefaultValueFactory = _ => 1 };
        var command = new Command("rm", "Delete a recruiter (its workers stay until they are idle)") { batch, rank };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            await client.DeleteRecruiterAsync(parse.GetValue(batch)!, parse.GetValue(rank), cancellationToken);
            Console.WriteLine($"recruiter {parse.GetValue(batch)}/{parse.GetValue(rank)} deleted");
            return 0;
        });
        return command;
    }

    public static Command Jobs()
    {
        var status = new Option<string?>("--status") { Description = "Only jobs in this state: pending, running, succeeded or failed" };
        var limit = new Option<int>("--limit") { Description = "How many, newest first", DefaultValueFactory = _ => 50 };
        var command = new Command("jobs", "Deploys, destroys and recycles of workers, newest first") { status, limit };
        command.SetAction(async (parse, cancellationToken) =>
        {
            JobState? state = null;
            if (parse.GetValue(status) is { } text)
            {
                if (!Enums.TryParse<JobState>(text, out var parsed)) throw new CliException($"--status must be pending, running, succeeded or failed, not '{text}'");
                state = parsed;
            }
            using var client = CommonOptions.Client(parse);
            var table = new TextTable("ID", "ACTION", "TARGET", "PROVIDER", "BATCH", "STATUS", "CREATED", "TOOK", "REASON");
            foreach (var j in await client.ListJobsAsync(state, parse.GetValue(limit), cancellationToken))
            {
                table.Add(j.Id.ToString(), Enums.Name(j.Action), j.Target, j.Provider, j.Batch ?? "", Enums.Name(j.Status), Display.Time(j.Created),
                    j.Started is { } s && j.Ended is { } e ? Display.Duration(e - s) : "", j.Reason ?? "");
            }
            table.Write(Console.Out);
            return 0;
        });
        return command;
    }

    public static Command Job()
    {
        var id = new Argument<string>("id") { Description = "The job's id" };
        var command = new Command("job", "One job and its log") { id };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!Guid.TryParse(parse.GetValue(id), out var jobId)) throw new CliException($"'{parse.GetValue(id)}' is not a job id");
            using var client = CommonOptions.Client(parse);
            var job = await client.GetJobAsync(jobId, cancellationToken) ?? throw new CliException($"there is no job with id {jobId}");
            Console.WriteLine($"{Enums.Name(job.Action)} {job.Target} through {job.Provider}{(job.Batch is null ? "" : $" for batch {job.Batch}")}: {Enums.Name(job.Status)}" +
                (job.Reason is null ? "" : $" ({job.Reason})"));
            Console.WriteLine($"created {Display.Time(job.Created)}, started {Display.Time(job.Started)}, ended {Display.Time(job.Ended)}, retried {job.Retry}");
            Console.Write(job.Log);
            return job.Status == JobState.Failed ? 1 : 0;
        });
        return command;
    }

    public static Command Flavors()
    {
        var command = new Command("flavors", "The flavors each provider can deploy");
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var table = new TextTable("PROVIDER", "FLAVOR", "CPUS", "MEMORY", "COST", "REGION");
            foreach (var f in await client.ListFlavorsAsync(cancellationToken))
                table.Add(f.Provider, f.Name, Number(f.Cpus), f.Memory > 0 ? Display.Bytes(f.Memory) : "", f.Cost.ToString(CultureInfo.InvariantCulture), f.Region ?? "");
            table.Write(Console.Out);
            return 0;
        });
        return command;
    }

    private static string Number(int n) => n.ToString(CultureInfo.InvariantCulture);
}
