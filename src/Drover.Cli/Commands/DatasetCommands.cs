using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Drover.Client;
using Drover.Contracts;
using Drover.Datasets;
using Drover.Json;

namespace Drover.Cli.Commands;

/// <summary><c>drover dataset import|list|show|distribute|tickets|cancel</c> and <c>drover groupby</c>.</summary>
internal static class DatasetCommands
{
    public static Command Dataset()
    {
        var command = new Command("dataset", "Datasets: Parquet shards that workers serve (--data-dir) to group-by queries") { Import(), List(), Show(), Distribute(), Tickets(), CancelTicket() };
        return command;
    }

    private static Command Import()
    {
        var source = new Argument<string>("source") { Description = "A .csv, .csv.gz, .tsv or .parquet file" };
        var name = new Option<string>("--name") { Description = "The dataset's name", Required = true };
        var shards = new Option<int>("--shards") { Description = "How many shards to split it into", DefaultValueFactory = _ => 10 };
        var output = new Option<string>("--out") { Description = "The data directory the shards go to (OUT/<name>/part-NNNN.parquet)", Required = true };
        var memory = new Option<string>("--memory-limit") { Description = "DuckDB's memory limit while splitting (it spills to disk past it)", DefaultValueFactory = _ => "1GB" };
        var command = new Command("import", "Split a file into Parquet shards of a dataset, streaming (a file larger than memory is fine)")
        {
            source, name, shards, output, memory,
        };
        command.SetAction(parse =>
        {
            IReadOnlyList<ShardInfo> written;
            try
            {
                written = ShardImporter.Import(parse.GetValue(source)!, parse.GetValue(name)!, parse.GetValue(shards), parse.GetValue(output)!, parse.GetValue(memory)!);
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or DuckDB.NET.Data.DuckDBException)
            {
                throw new CliException(ex.Message);
            }
            var table = new TextTable("SHARD", "ROWS", "BYTES");
            foreach (var shard in written) table.Add(shard.Shard, Count(shard.Rows), Count(shard.Bytes));
            table.Write(Console.Out);
            Console.WriteLine($"{written.Count} shard(s), {Count(written.Sum(s => s.Rows))} rows, in {Path.Combine(Path.GetFullPath(parse.GetValue(output)!), parse.GetValue(name)!)}");
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "Every dataset connected workers hold");
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var table = new TextTable("DATASET", "GENERATION", "SHARDS", "ROWS", "BYTES", "WORKERS");
            foreach (var d in await client.ListDatasetsAsync(cancellationToken))
            {
                table.Add(d.Name, Count(d.Generation), Count(d.Shards.Count), Count(d.Rows), Count(d.Bytes),
                    Count(d.Shards.SelectMany(s => s.Workers).Distinct().Count()));
            }
            table.Write(Console.Out);
            return 0;
        });
        return command;
    }

    private static Command Show()
    {
        var name = new Argument<string>("name") { Description = "The dataset" };
        var command = new Command("show", "A dataset's schema and shards, and which workers hold each") { name };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var d = await client.GetDatasetAsync(parse.GetValue(name)!, cancellationToken);
            Console.WriteLine($"{d.Name}: generation {d.Generation}, {Count(d.Shards.Count)} shard(s), {Count(d.Rows)} rows, {Count(d.Bytes)} bytes");
            Console.WriteLine("columns: " + string.Join(", ", d.Schema.Select(c => $"{c.Name} {c.Type}")));
            var table = new TextTable("SHARD", "ROWS", "BYTES", "CHECKSUM", "WORKERS");
            foreach (var s in d.Shards) table.Add(s.Shard, Count(s.Rows), Count(s.Bytes), s.Checksum[..12], string.Join(",", s.Workers));
            table.Write(Console.Out);
            return 0;
        });
        return command;
    }

    private static Command Distribute()
    {
        var name = new Argument<string>("name") { Description = "The dataset" };
        var source = new Argument<string>("source") { Description = "Where the new generation's .parquet files are: file:///dir/, s3://bucket/prefix/ or https://host/dir/ (with --files)" };
        var files = new Option<string?>("--files") { Description = "The file names under an http(s) source (comma-separated)" };
        var workers = new Option<string?>("--workers") { Description = "Only these workers (comma-separated ids); default: every worker with a data directory" };
        var replicas = new Option<int?>("--replicas") { Description = "Each file on this many workers rather than on all" };
        var deadline = new Option<string?>("--deadline") { Description = "Fail the ticket if it has not switched by then (default 1h)" };
        var wait = new Option<bool>("--wait") { Description = "Wait until the ticket ends, printing progress; exit 1 if it fails" };
        var command = new Command("distribute", "Bring a new generation of a dataset to its workers: all switch to it, or none does")
        {
            name, source, files, workers, replicas, deadline, wait,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            TimeSpan? until = null;
            if (parse.GetValue(deadline) is { } text)
                until = Durations.TryParse(text, out var d) ? d : throw new CliException($"--deadline: '{text}' is not a duration such as 30m");
            var distribution = new Client.Distribution(parse.GetValue(source)!)
            {
                Files = parse.GetValue(files)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
                Workers = parse.GetValue(workers)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(w => Guid.TryParse(w, out var id) ? id : throw new CliException($"--workers: '{w}' is not a worker id")).ToList(),
                Replicas = parse.GetValue(replicas),
                Deadline = until,
            };
            using var client = CommonOptions.Client(parse);
            var ticket = await client.DistributeAsync(parse.GetValue(name)!, distribution, cancellationToken);
            Console.WriteLine($"ticket {ticket.Id}: generation {ticket.Generation} of {ticket.Dataset} to {ticket.Nodes.Count} worker(s)");
            if (!parse.GetValue(wait)) return 0;
            while (ticket.Ended is null)
            {
                ticket = await client.GetTicketAsync(ticket.Id, TimeSpan.FromSeconds(2), cancellationToken);
                if (ticket.Ended is null) Console.WriteLine($"{ticket.State}: {Progress(ticket)}");
            }
            WriteNodes(ticket);
            Console.WriteLine(ticket.State == "done" ? $"generation {ticket.Generation} serves" : $"{ticket.State}: {ticket.Reason}");
            return ticket.State == "done" ? 0 : 1;
        });
        return command;
    }

    private static Command Tickets()
    {
        var command = new Command("tickets", "Distribution tickets, newest first, with each worker's progress");
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var table = new TextTable("TICKET", "DATASET", "GENERATION", "STATE", "WORKERS", "PROGRESS", "REASON");
            foreach (var t in await client.ListTicketsAsync(cancellationToken))
                table.Add(t.Id.ToString(), t.Dataset, Count(t.Generation), t.State, Count(t.Nodes.Count), Progress(t), t.Reason ?? "");
            table.Write(Console.Out);
            return 0;
        });
        return command;
    }

    private static Command CancelTicket()
    {
        var id = new Argument<Guid>("ticket") { Description = "The ticket's id" };
        var command = new Command("cancel", "Cancel a running distribution ticket: its workers drop what they staged, the old generation keeps serving") { id };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var ticket = await client.CancelTicketAsync(parse.GetValue(id), cancellationToken);
            WriteNodes(ticket);
            Console.WriteLine($"{ticket.State}: {ticket.Reason}");
            return 0;
        });
        return command;
    }

    private static string Progress(DatasetTicket ticket)
    {
        var done = ticket.Nodes.Sum(n => n.BytesDone);
        return ticket.Nodes.All(n => n.Bytes is not null) ? $"{Count(done)}/{Count(ticket.Nodes.Sum(n => n.Bytes!.Value))} bytes" : $"{Count(done)} bytes";
    }

    private static void WriteNodes(DatasetTicket ticket)
    {
        var table = new TextTable("WORKER", "SHARDS", "BYTES", "STATE", "ERROR");
        foreach (var n in ticket.Nodes) table.Add(n.Worker.ToString(), Count(n.Shards.Count), Count(n.BytesDone), n.State, n.Error ?? "");
        table.Write(Console.Out);
    }

    public static Command GroupBy()
    {
        var dataset = new Argument<string>("dataset") { Description = "The dataset" };
        var by = new Option<string[]>("--by") { Description = "Group by these columns (comma-separated or repeated); none: one row", AllowMultipleArgumentsPerToken = true };
        var aggregate = new Option<string[]>("--agg")
        {
            Description = "COLUMN:OP[:NAME], OP one of sum mean std var std_pop var_pop count count_na count_distinct min max (repeatable)",
            Required = true,
        };
        var where = new Option<string[]>("--where") { Description = "A row filter such as 'passenger_count>1' or 'payment_type in 1,2' (repeatable: all must hold)" };
        var shards = new Option<string?>("--shards") { Description = "Only these shards (comma-separated)" };
        var noMerge = new Option<bool>("--no-merge") { Description = "Each shard's own rows, labelled by shard" };
        var csv = new Option<bool>("--csv") { Description = "Print CSV" };
        var json = new Option<bool>("--json") { Description = "Print the JSON answer" };
        var command = new Command("groupby", "Group a dataset by columns and aggregate, over every shard, merged exactly")
        {
            dataset, by, aggregate, where, shards, noMerge, csv, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var query = new GroupBy
            {
                By = [.. (parse.GetValue(by) ?? []).SelectMany(b => b.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))],
                Aggregate = [.. parse.GetValue(aggregate)!.Select(ParseAggregate)],
                Where = [.. (parse.GetValue(where) ?? []).Select(ParseWhere)],
                Shards = parse.GetValue(shards)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
                Merge = !parse.GetValue(noMerge),
            };
            using var client = CommonOptions.Client(parse);
            var result = await client.GroupByAsync(parse.GetValue(dataset)!, query, cancellationToken);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(result, DroverJson.Options));
            else if (parse.GetValue(csv)) Console.Write(Server.Datasets.GroupByFormats.ToCsv(result));
            else
            {
                var table = new TextTable([.. result.Columns.Select(c => c.Name)]);
                foreach (var row in result.Rows) table.Add([.. row.Select(Cell)]);
                table.Write(Console.Out);
            }
            return 0;
        });
        return command;
    }

    private static Aggregate ParseAggregate(string text)
    {
        var parts = text.Split(':');
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0)) throw new CliException($"--agg: '{text}' is not COLUMN:OP or COLUMN:OP:NAME (e.g. fare_amount:mean:avg)");
        return new Aggregate(parts[0], parts[1], parts.Length == 3 ? parts[2] : null);
    }

    private static Where ParseWhere(string text)
    {
        try
        {
            return WhereText.Parse(text);
        }
        catch (FormatException ex)
        {
            throw new CliException("--where: " + ex.Message);
        }
    }

    private static string Cell(object? value) => value switch
    {
        null => "",
        JsonElement { ValueKind: JsonValueKind.Null } => "",
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
        JsonElement e => e.GetRawText(),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private static string Count(long n) => n.ToString(CultureInfo.InvariantCulture);
}
