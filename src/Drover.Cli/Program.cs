using System.CommandLine;
using Drover.Cli;
using Drover.Cli.Commands;
using Drover.Client;

var root = new RootCommand("Drover: a distributed task dispatcher with a queryable task database")
{
    CommonOptions.Ca,
    CommonOptions.Data,
    UpCommand.Create(),
    ServerCommand.Create(),
    WorkerCommand.Create(),
    SubmitCommand.Create(),
    TasksCommand.Create(),
    QueryCommand.Create(),
    ResubmitCommand.Create(),
    CancelCommand.Create(),
    SignalCommand.Create(),
    BatchCommands.List(),
    BatchCommands.Batch(),
    StatusCommand.Create(),
    PurgeCommand.Create(),
    ResultCommand.Create(),
    WaitCommand.Create(),
    WatchCommand.Create(),
    TrackerCommands.Create(),
    WorkersCommand.Create(),
    DatasetCommands.Dataset(),
    DatasetCommands.GroupBy(),
    AdminCommands.Admin(),
    RecruiterCommands.Recruiter(),
    TokenCommands.Token(),
    TokenCommands.Audit(),
    RecruiterCommands.Jobs(),
    RecruiterCommands.Job(),
    RecruiterCommands.Flavors(),
};

// --server and --token are for commands that talk to a server: not up and server (which are one), nor the local tracker.
foreach (var command in root.Subcommands.Where(c => c.Name is not ("up" or "server" or "tracker")))
{
    command.Options.Add(CommonOptions.Server);
    command.Options.Add(CommonOptions.Token);
}

try
{
    // Our own handlers: signals stop commands cleanly (see Shutdown), and errors print in one line.
    var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
    var parsed = root.Parse(args);
    if (parsed.Errors.Count > 0)
    {
        // One line per mistake in words, and where the help is, not the whole help with .NET type names.
        foreach (var error in parsed.Errors) Console.Error.WriteLine($"drover: {ParseErrors.Plain(error.Message)}");
        Console.Error.WriteLine($"drover: see '{ParseErrors.CommandLine(parsed.CommandResult)} --help'");
        return 2;
    }
    return await parsed.InvokeAsync(invocation);
}
catch (Drover.Tracker.TrackerFileException ex)
{
    Console.Error.WriteLine($"drover: {ex.Message}");
    return 2;
}
catch (CliException ex)
{
    Console.Error.WriteLine($"drover: {ex.Message}");
    return 2;
}
catch (DroverApiException ex)
{
    Console.Error.WriteLine($"drover: the server refused: {ex.Message}" + (ex.Status == System.Net.HttpStatusCode.Unauthorized ? TokenHint : ""));
    return 2;
}
catch (System.Net.WebSockets.WebSocketException ex) when (ex.Message.Contains("'401'", StringComparison.Ordinal))
{
    // A WebSocket (watch) refused at the upgrade: the token, not the network.
    Console.Error.WriteLine("drover: the server refused: 401 Unauthorized." + TokenHint);
    return 2;
}
catch (System.Net.WebSockets.WebSocketException ex)
{
    Console.Error.WriteLine($"drover: cannot reach the server: {(ex.InnerException ?? ex).Message}");
    return 3;
}
catch (HttpRequestException ex)
{
    // A TLS failure says why (an untrusted authority, a name mismatch) and what to do, not "see inner exception".
    Console.Error.WriteLine(ex.InnerException is System.Security.Authentication.AuthenticationException tls
        ? $"drover: cannot reach the server: its TLS certificate is not trusted ({tls.Message}); give --ca FILE (or $DROVER_CA) with the private authority that signed it"
        : $"drover: cannot reach the server: {ex.Message}");
    return 3;
}

/// <summary>Exit codes: 0 done; 1 a task failed (wait, result; submit --wait exits with the task's own code); 2 bad input or refused by the server; 3 the server cannot be reached; 4 wait --timeout ran out.</summary>
internal static partial class Program
{
    private const string TokenHint = " Give the token with --token, $DROVER_TOKEN, or --data pointing at the server's data directory (its admin.token).";
}
