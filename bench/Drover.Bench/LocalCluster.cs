using System.Diagnostics;
using System.Globalization;
using Drover.Client;

namespace Drover.Bench;

/// <summary>
/// A Drover server process and worker processes on this machine, started for one scenario: free
/// port on 127.0.0.1, temporary data directory, removed afterwards. Or a server given by --server.
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    private readonly List<Process> _processes = [];
    private readonly List<Process> _servers = [];
    private readonly List<Uri> _urls = [];
    private readonly string? _dataDirectory;

    private LocalCluster(Uri url, string token, Process? server, string? dataDirectory)
    {
        Token = token;
        _dataDirectory = dataDirectory;
        _urls.Add(url);
        if (server is not null)
        {
            _processes.Add(server);
            _servers.Add(server);
        }
    }

    /// <summary>The first server's URL (the only one unless --servers N).</summary>
    public Uri Url => _urls[0];

    /// <summary>Every server's URL: several servers share one PostgreSQL database (--servers N).</summary>
    public IReadOnlyList<Uri> Urls => _urls;

    public string Token { get; }
    public Process? Server => _servers.FirstOrDefault();

    /// <summary>What the database did meanwhile (PostgreSQL), or null.</summary>
    public PostgresStats? Database { get; set; }

    public static LocalCluster Existing(Uri url, string token) => new(url, token, null, null);

    /// <param name="workerArgs">More arguments for worker i (a data directory, say).</param>
    /// <param name="environment">More variables for the workers (an S3 endpoint and its keys, say).</param>
    /// <param name="prefetch">auto, or a number of tasks.</param>
    /// <param name="channel">on: the workers hold their channel (the default); off: they lease and report over HTTP.</param>
    /// <param name="servers">Servers on one database (PostgreSQL); worker i goes to server i mod N.</param>
    /// <param name="serverArgs">More arguments for every server (the PostgreSQL connection string, say).</param>
    public static async Task<LocalCluster> StartAsync(string store, int workers, int concurrency, string prefetch, Func<int, IEnumerable<string>>? workerArgs = null,
        IReadOnlyDictionary<string, string>? environment = null, string channel = "on", int servers = 1, IReadOnlyList<string>? serverArgs = null)
    {
        var cluster = await StartServerAsync(store, Directory.CreateTempSubdirectory("drover-bench-").FullName, [.. serverArgs ?? []]);
        var data = cluster._dataDirectory!;
        for (var s = 1; s < servers; s++)
        {
            var server = Start(["server", "--port", "0", "--data", data, "--store", store, .. Unlimited, .. serverArgs ?? []]);
            cluster._processes.Add(server);
            cluster._servers.Add(server);
            cluster._urls.Add(await WaitForServerAsync(server, data));
        }
        var workerToken = File.ReadAllText(Path.Combine(data, "worker.token")).Trim();
        for (var i = 0; i < workers; i++)
        {
            cluster._processes.Add(Start(
                ["worker", "--server", cluster._urls[i % cluster._urls.Count].ToString(), "--concurrency", Str(concurrency), "--prefetch", prefetch, "--name", $"bench-{i}", "--channel", channel,
                    .. workerArgs?.Invoke(i) ?? []],
                new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { ["DROVER_TOKEN"] = workerToken }));
        }
        await cluster.WaitForWorkersAsync(workers);
        return cluster;
    }

    /// <summary>Starts <paramref name="count"/> worker processes by hand and returns once every one has registered.</summary>
    public async Task StartWorkersAsync(int count, int concurrency, string prefetch)
    {
        using var client = Client();
        var before = (await client.ListWorkersAsync(CancellationToken.None)).Count;
        var workerToken = File.ReadAllText(Path.Combine(_dataDirectory!, "worker.token")).Trim();
        for (var i = 0; i < count; i++)
        {
            _processes.Add(Start(["worker", "--server", Url.ToString(), "--concurrency", Str(concurrency), "--prefetch", prefetch, "--name", $"bench-hand-{i}"],
                new Dictionary<string, string> { ["DROVER_TOKEN"] = workerToken }));
        }
        await WaitForWorkersAsync(before + count);
    }

    /// <summary>
    /// No requests-per-token limit: the bench measures dispatch, and one latency loop alone makes about
    /// 3,000 requests a second with the admin token (the default limit is 1,000).
    /// </summary>
    private static readonly string[] Unlimited = ["--rate-limit", "0"];

    /// <summary>A server alone, on a data directory the caller prepared (which it then owns and removes).</summary>
    public static async Task<LocalCluster> StartServerAsync(string store, string data, params string[] extraArgs)
    {
        var server = Start(["server", "--port", "0", "--data", data, "--store", store, .. Unlimited, .. extraArgs]);
        var url = await WaitForServerAsync(server, data);
        return new LocalCluster(url, File.ReadAllText(Path.Combine(data, "admin.token")).Trim(), server, data);
    }

    public DroverClient Client() => new(Url, Token);

    /// <summary>A client of server <paramref name="index"/> mod N.</summary>
    public DroverClient Client(int index) => new(_urls[index % _urls.Count], Token);

    /// <summary>A client of server <paramref name="index"/> mod N with the worker token (the worker protocol is not rate-limited).</summary>
    public DroverClient WorkerClient(int index) =>
        new(_urls[index % _urls.Count], File.ReadAllText(Path.Combine(_dataDirectory ?? throw new InvalidOperationException("a server this bench started"), "worker.token")).Trim());

    /// <summary>The server's peak resident set size (VmHWM), in MiB; null for a server we did not start.</summary>
    public double? ServerPeakRssMiB()
    {
        if (Server is null) return null;
        return _servers.Max(server =>
        {
            var line = File.ReadLines($"/proc/{server.Id}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? 0 : double.Parse(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        });
    }

    /// <summary>CPU seconds used so far by the servers and by all the workers (user + system), from /proc.</summary>
    public (double Server, double Workers)? CpuSeconds()
    {
        if (Server is null) return null;
        var ticksPerSecond = 100.0; // USER_HZ on Linux
        double Cpu(Process p)
        {
            var fields = File.ReadAllText($"/proc/{p.Id}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / ticksPerSecond;
        }
        return (_servers.Sum(Cpu), _processes.Where(p => !_servers.Contains(p)).Sum(Cpu));
    }

    /// <summary>
    /// Bytes the servers have allocated so far, from their <c>/metrics</c> (.NET's
    /// <c>dotnet.gc.heap.total_allocated</c>); null when a server does not report it.
    /// </summary>
    public Task<double?> ServerAllocatedBytesAsync() => ServerCounterAsync("dotnet_gc_heap_total_allocated_bytes_total");

    /// <summary>Seconds the servers' JIT has spent compiling so far (.NET's <c>dotnet.jit.compilation.time</c>).</summary>
    public Task<double?> ServerJitSecondsAsync() => ServerCounterAsync("dotnet_jit_compilation_time_seconds_total");

    /// <summary>A counter of the servers' <c>/metrics</c>, summed over them; null when one does not report it.</summary>
    private async Task<double?> ServerCounterAsync(string name)
    {
        double total = 0;
        foreach (var url in _urls)
        {
            using var http = new HttpClient { BaseAddress = url };
            http.DefaultRequestHeaders.Authorization = new("Bearer", Token);
            string scrape;
            try
            {
                scrape = await http.GetStringAsync("metrics");
            }
            catch (HttpRequestException)
            {
                return null; // a server of someone else's, whose metrics this token may not read
            }
            // "name{labels} value [timestamp]" or "name value [timestamp]"
            var line = scrape.Split('\n').FirstOrDefault(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal));
            if (line is null) return null;
            var value = line[(line.LastIndexOf('}') is var brace and >= 0 ? brace + 1 : name.Length)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            total += double.Parse(value, CultureInfo.InvariantCulture);
        }
        return total;
    }

    /// <summary>Leaves the data directory when disposed (a measurement that restarts the server on it).</summary>
    public void LeaveData() => _leaveData = true;

    private bool _leaveData;

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes.AsEnumerable().Reverse())
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }
        if (_dataDirectory is not null && !_leaveData) Directory.Delete(_dataDirectory, recursive: true);
    }

    private async Task WaitForWorkersAsync(int count)
    {
        using var client = Client();
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var workers = await client.ListWorkersAsync(CancellationToken.None);
            if (workers.Count >= count) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"{count} workers did not register within 30 s");
    }

    /// <summary>
    /// The address of a server started on port 0, from its data directory's server.json once that names
    /// this process, and once it answers. (A free port picked beforehand could be taken by another
    /// process before the server bound it, and the health check then answered by that one: the tests
    /// run many servers at once.)
    /// </summary>
    private static async Task<Uri> WaitForServerAsync(Process server, string data)
    {
        using var http = new HttpClient();
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if (server.HasExited) throw new InvalidOperationException($"the server exited with code {server.ExitCode}");
            try
            {
                if (Drover.Server.Hosting.DataDirectoryLock.ReadInfo(Path.Combine(data, Drover.Server.Hosting.DataDirectoryLock.InfoFileName)) is { Pid: var pid, Url: var url }
                    && pid == server.Id && (await http.GetAsync(new Uri(new Uri(url), "health"))).IsSuccessStatusCode)
                    return new Uri(url);
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("the server did not start within 30 s");
    }

    private static Process Start(IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "drover.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = Process.Start(start)!;
        // Drain output so a chatty process never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
