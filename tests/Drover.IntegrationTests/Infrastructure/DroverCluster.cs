using System.Net.Http.Headers;
using Drover.Client;
using Drover.Worker.Execution;

namespace Drover.IntegrationTests.Infrastructure;

/// <summary>
/// A real Drover server process on a free 127.0.0.1 port with its own data directory, plus real
/// worker processes. The server can be killed (SIGKILL) and started again on the same port and data.
/// </summary>
public sealed class DroverCluster : IAsyncDisposable
{
    private readonly List<DroverProcess> _workers = [];
    private readonly string[] _serverArgs;
    private readonly bool _ownsDataDirectory;

    /// <param name="dataDirectory">Another cluster's, to share its tokens (servers on one PostgreSQL database).</param>
    public DroverCluster(string store = "sqlite", string leaseTimeout = "10s", string? dataDirectory = null, params string[] extraServerArgs)
    {
        _ownsDataDirectory = dataDirectory is null;
        DataDirectory = dataDirectory ?? Directory.CreateTempSubdirectory("drover-it-").FullName;
        Port = FreePort.Next();
        _serverArgs = ["server", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", DataDirectory,
            "--store", store, "--lease-timeout", leaseTimeout, .. extraServerArgs];
    }

    public string DataDirectory { get; }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    public DroverProcess? Server { get; private set; }

    public string AdminToken => File.ReadAllText(Path.Combine(DataDirectory, "admin.token")).Trim();

    public string WorkerToken => File.ReadAllText(Path.Combine(DataDirectory, "worker.token")).Trim();

    public IReadOnlyList<DroverProcess> Workers => _workers;

    /// <summary>Variables the server and every worker started from now on get (an S3 endpoint and its keys).</summary>
    public Dictionary<string, string> Environment { get; } = [];

    /// <param name="extraArgs">Options for this start only (a restart may leave them out).</param>
    public async Task StartServerAsync(params string[] extraArgs)
    {
        Server = DroverProcess.Start([.. _serverArgs, .. extraArgs], Environment);
        await Server.WaitForLineAsync("server listening on", TimeSpan.FromSeconds(30));
    }

    /// <summary>kill -9: no chance to flush or say goodbye.</summary>
    public async Task KillServerAsync()
    {
        Server!.Signal(PosixProcess.SigKill);
        await Server.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await Server.DisposeAsync();
    }

    public async Task<DroverProcess> StartWorkerAsync(int concurrency = 2, params string[] extraArgs)
    {
        var worker = DroverProcess.Start(
            ["worker", "--server", Url.ToString(), "--concurrency", concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture), .. extraArgs],
            new Dictionary<string, string>(Environment) { ["DROVER_TOKEN"] = WorkerToken });
        _workers.Add(worker);
        await worker.WaitForLineAsync("registered as", TimeSpan.FromSeconds(30));
        return worker;
    }

    public DroverClient Client() => new(Url, AdminToken);

    public HttpClient Http(string? token = null)
    {
        var http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(120) };
        if (token is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    /// <summary>Runs a CLI command against this cluster with the admin token.</summary>
    public Task<(int ExitCode, string Output)> CliAsync(params string[] args) =>
        DroverProcess.RunAsync(args, new Dictionary<string, string> { ["DROVER_URL"] = Url.ToString(), ["DROVER_TOKEN"] = AdminToken });

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers) await worker.DisposeAsync();
        if (Server is not null) await Server.DisposeAsync();
        if (!_ownsDataDirectory) return;
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
