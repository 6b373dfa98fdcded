using System.CommandLine;
using Drover.Cli;
using Drover.Cli.Commands;
using Drover.Client;

var root = DroverCommands.Create();

try
{
    // Our own handlers: signals stop commands cleanly (see Shutdown), and errors print in one line.
    var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
    var parsed = root.Parse(args);
    // --help answers even when the rest of the line is incomplete (drover dataset import --help).
    if (parsed.Errors.Count > 0 && parsed.Action is not HelpWithExamples)
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
