using System.CommandLine;
using Drover.Client;
using Drover.Server.Auth;

namespace Drover.Cli;

/// <summary>Options every client command shares, and how they become a <see cref="DroverClient"/>.</summary>
internal static class CommonOptions
{
    public static readonly Option<string?> Server = new("--server")
    {
        Description = "The server's URL (default: $DROVER_URL, else the one the server on --data recorded, else http://127.0.0.1:5000)",
        Recursive = true,
    };

    public static readonly Option<string?> Token = new("--token")
    {
        Description = "The admin token (default: $DROVER_TOKEN, else <data>/admin.token)",
        Recursive = true,
    };

    public static readonly Option<string?> Ca = new("--ca")
    {
        Description = "A PEM file of the private certificate authority an https:// server's certificate comes from (default: $DROVER_CA)",
        Recursive = true,
    };

    public static readonly Option<string> Data = new("--data")
    {
        Description = "The data directory: the server's database and tokens, where clients find the token and URL",
        DefaultValueFactory = _ => "drover-data",
        Recursive = true,
    };

    public static Uri ServerUrl(ParseResult parse)
    {
        var text = parse.GetValue(Server) ?? Environment.GetEnvironmentVariable("DROVER_URL") ?? RunningServer(parse) ?? "http://127.0.0.1:5000";
        if (!Uri.TryCreate(text.TrimEnd('/') + "/", UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new CliException($"--server: '{text}' is not an http(s) URL");
        return url;
    }

    /// <summary>
    /// The URL the server on the data directory recorded in <c>server.json</c> (so <c>up --port 0</c>
    /// is found), if that server's process is still there.
    /// </summary>
    private static string? RunningServer(ParseResult parse)
    {
        var info = Drover.Server.Hosting.DataDirectoryLock.ReadInfo(Path.Combine(parse.GetValue(Data)!, Drover.Server.Hosting.DataDirectoryLock.InfoFileName));
        return info is not null && Directory.Exists($"/proc/{info.Pid}") ? info.Url : null;
    }

    public static string FindToken(ParseResult parse, string fileName = TokenFiles.AdminFileName)
    {
        if (parse.GetValue(Token) is { Length: > 0 } token) return token;
        if (Environment.GetEnvironmentVariable("DROVER_TOKEN") is { Length: > 0 } fromEnvironment) return fromEnvironment;
        var path = Path.Combine(parse.GetValue(Data)!, fileName);
        if (File.Exists(path)) return File.ReadAllText(path).Trim();
        throw new CliException($"No token: pass --token, set DROVER_TOKEN, or point --data at the server's data directory ({path} does not exist).");
    }

    public static DroverClient Client(ParseResult parse) => new(ServerUrl(parse), FindToken(parse), ClientOptions(parse));

    /// <summary>One request per call (the CLI reports a failure at once), trusting <c>--ca</c> when given.</summary>
    public static DroverClientOptions ClientOptions(ParseResult parse) => DroverClientOptions.FailFast with { CaFile = CaFile(parse) };

    public static string? CaFile(ParseResult parse)
    {
        var path = parse.GetValue(Ca) ?? (Environment.GetEnvironmentVariable("DROVER_CA") is { Length: > 0 } fromEnvironment ? fromEnvironment : null);
        if (path is not null && !File.Exists(path)) throw new CliException($"--ca: {path} does not exist");
        return path;
    }

    /// <summary>An on/off option's value; one line naming the option when it is neither.</summary>
    public static bool OnOff(ParseResult parse, Option<string> option) => parse.GetValue(option) switch
    {
        "on" => true,
        "off" => false,
        var text => throw new CliException($"{option.Name} must be on or off, not '{text}'"),
    };
}
