using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Text;
using Drover.IntegrationTests.Infrastructure;
using Drover.Staging;

namespace Drover.IntegrationTests;

/// <summary>
/// Drover.Staging against real things: files and real archives (gzip, tar, tar.gz, zip) made here, a
/// real S3 API (s3rver), a web server that 404s and one that drops a download half way and then
/// answers a Range; archive entries and links that would leave their folder refused.
/// </summary>
public sealed class StagingTests : IAsyncDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("drover-staging-").FullName;
    private static readonly Fetcher Fetcher = new(new Resilience.BackoffPolicy(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(100)), attempts: 3);
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return ValueTask.CompletedTask;
    }

    private string PathOf(string name) => Path.Combine(_root, name);

    private string Run(string name) => Directory.CreateDirectory(PathOf(name)).FullName;

    private static Task<long> FetchAsync(string spec, string folder) => Fetcher.FetchAsync(StagingSpec.Parse(spec), folder, _ => { }, Token);

    private string FileUri(string name) => new Uri(PathOf(name)).AbsoluteUri;

    /// <summary>A tar (gzipped or not) of the given entries: name → content (null: a directory).</summary>
    private void WriteTar(string name, bool gzip, params (string Name, string? Content)[] entries)
    {
        using var file = File.Create(PathOf(name));
        using var stream = gzip ? new GZipStream(file, CompressionLevel.Fastest) : (Stream)file;
        using var tar = new TarWriter(stream, TarEntryFormat.Pax);
        foreach (var (entryName, content) in entries)
        {
            var entry = new PaxTarEntry(content is null ? TarEntryType.Directory : TarEntryType.RegularFile, entryName);
            if (content is not null) entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content));
            tar.WriteEntry(entry);
        }
    }

    [Fact]
    public async Task Inputs_are_fetched_and_unpacked_with_gunzip_untar_unzip_and_mv()
    {
        await using (var gz = new GZipStream(File.Create(PathOf("reads.fastq.gz")), CompressionLevel.Fastest))
            await gz.WriteAsync(Encoding.UTF8.GetBytes("@r1\nACGT\n"), Token);
        WriteTar("refs.tar.gz", gzip: true, ("refs/", null), ("refs/genome.fa", ">chr1\nACGT\n"), ("refs/index/a.idx", "idx"));
        WriteTar("plain.tar", gzip: false, ("notes.txt", "plain tar"));
        using (var zip = ZipFile.Open(PathOf("tools.zip"), ZipArchiveMode.Create))
        {
            using var writer = new StreamWriter(zip.CreateEntry("bin/tool.sh").Open());
            await writer.WriteAsync("echo tool");
        }
        Directory.CreateDirectory(PathOf("folder/sub"));
        await File.WriteAllTextAsync(PathOf("folder/a.txt"), "a", Token);
        await File.WriteAllTextAsync(PathOf("folder/sub/b.txt"), "bb", Token);

        var input = Run("input");
        await FetchAsync(FileUri("reads.fastq.gz") + "|gunzip", input);
        await FetchAsync(FileUri("refs.tar.gz") + "|untar", input);
        await FetchAsync(FileUri("plain.tar") + "|untar|mv:docs", input);
        await FetchAsync(FileUri("tools.zip") + "|unzip", input);
        Assert.Equal(3, await FetchAsync(FileUri("folder") + "/|mv:copied", input));

        Assert.Equal("@r1\nACGT\n", await File.ReadAllTextAsync(Path.Combine(input, "reads.fastq"), Token));
        Assert.Equal(">chr1\nACGT\n", await File.ReadAllTextAsync(Path.Combine(input, "refs/genome.fa"), Token));
        Assert.Equal("idx", await File.ReadAllTextAsync(Path.Combine(input, "refs/index/a.idx"), Token));
        Assert.Equal("plain tar", await File.ReadAllTextAsync(Path.Combine(input, "docs/notes.txt"), Token));
        Assert.Equal("echo tool", await File.ReadAllTextAsync(Path.Combine(input, "bin/tool.sh"), Token));
        Assert.Equal("bb", await File.ReadAllTextAsync(Path.Combine(input, "copied/sub/b.txt"), Token));
        // Archives are gone once unpacked, and no private fetch folder is left.
        Assert.Equal(["bin", "copied", "docs", "reads.fastq", "refs"], Directory.GetFileSystemEntries(input).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Archive_entries_and_links_that_would_leave_their_folder_are_refused_and_leave_nothing()
    {
        WriteTar("escape.tar", gzip: false, ("ok.txt", "fine"), ("../escaped.txt", "evil"));
        using (var file = File.Create(PathOf("link.tar")))
        using (var tar = new TarWriter(file, TarEntryFormat.Pax))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "etc") { LinkName = "/etc" });
        }
        using (var zip = ZipFile.Open(PathOf("escape.zip"), ZipArchiveMode.Create))
        {
            using var writer = new StreamWriter(zip.CreateEntry("../../zip-escaped.txt").Open());
            await writer.WriteAsync("evil");
        }
        var input = Run("input");
        foreach (var archive in new[] { "escape.tar|untar", "link.tar|untar", "escape.zip|unzip" })
        {
            var refused = await Assert.ThrowsAsync<StagingException>(() => FetchAsync(FileUri(archive.Split('|')[0]) + "|" + archive.Split('|')[1], input));
            Assert.Contains("outside its folder", refused.Message, StringComparison.Ordinal);
            Assert.Contains(archive.Split('|')[0], refused.Message, StringComparison.Ordinal);
        }
        Assert.Empty(Directory.GetFileSystemEntries(input));
        Assert.False(File.Exists(PathOf("escaped.txt")));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_root)!, "zip-escaped.txt")));
    }

    [Fact]
    public async Task S3_objects_and_prefixes_are_fetched_outputs_uploaded_and_refusals_name_the_uri()
    {
        await using var s3 = await S3Server.StartAsync("pipeline");
        foreach (var (key, value) in s3.Environment) Environment.SetEnvironmentVariable(key, value);
        await File.WriteAllTextAsync(PathOf("sample.txt"), "sample one", Token);
        await s3.PutAsync("samples/s1.txt", PathOf("sample.txt"), Token);
        await s3.PutAsync("samples/deep/s2.txt", PathOf("sample.txt"), Token);
        WriteTar("db.tgz", gzip: true, ("db/table", "rows"));
        await s3.PutAsync("resources/db.tgz", PathOf("db.tgz"), Token);

        var input = Run("input");
        Assert.Equal(10, await FetchAsync("s3://pipeline/samples/s1.txt", input));
        await FetchAsync("s3://pipeline/samples/|mv:all", input);
        await FetchAsync("s3://pipeline/resources/db.tgz|untar", input);
        Assert.Equal("sample one", await File.ReadAllTextAsync(Path.Combine(input, "s1.txt"), Token));
        Assert.Equal("sample one", await File.ReadAllTextAsync(Path.Combine(input, "all/deep/s2.txt"), Token));
        Assert.Equal("rows", await File.ReadAllTextAsync(Path.Combine(input, "db/table"), Token));

        var output = Run("output");
        Directory.CreateDirectory(Path.Combine(output, "plots"));
        await File.WriteAllTextAsync(Path.Combine(output, "result.csv"), "a,b\n1,2\n", Token);
        await File.WriteAllTextAsync(Path.Combine(output, "plots", "one plot.svg"), "<svg/>", Token);
        var uploaded = await new Uploader().UploadAsync(output, StagingSpec.ParseOutput("s3://pipeline/results/run-1"), _ => { }, Token);
        Assert.Equal(14, uploaded);
        using var client = s3.Client();
        var listed = await client.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = "pipeline", Prefix = "results/run-1/" }, Token);
        Assert.Equal(["results/run-1/plots/one plot.svg", "results/run-1/result.csv"], listed.S3Objects.Select(o => o.Key).Order(StringComparer.Ordinal));

        var missing = await Assert.ThrowsAsync<StagingException>(() => FetchAsync("s3://pipeline/samples/nope.txt", input));
        Assert.Equal("s3://pipeline/samples/nope.txt: 404 NoSuchKey", missing.Message);
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "WRONG");
        try
        {
            var forbidden = await Assert.ThrowsAsync<StagingException>(() => FetchAsync("s3://pipeline/samples/s1.txt", input));
            Assert.StartsWith("s3://pipeline/samples/s1.txt: 403", forbidden.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", s3.Environment["AWS_ACCESS_KEY_ID"]);
        }
    }

    [Fact]
    public async Task Http_inputs_resume_a_dropped_download_with_a_range_and_a_404_names_the_uri()
    {
        var body = Enumerable.Range(0, 300_000).Select(i => (byte)(i % 251)).ToArray();
        await using var flaky = new DroppingWebServer(body);
        var input = Run("input");
        Assert.Equal(body.Length, await FetchAsync(new Uri(flaky.Url, "data.bin").ToString(), input));
        Assert.Equal(body, await File.ReadAllBytesAsync(Path.Combine(input, "data.bin"), Token));
        Assert.Equal([null, $"bytes={DroppingWebServer.Half}-"], flaky.Ranges);

        await File.WriteAllTextAsync(PathOf("served.txt"), "served", Token);
        await using var web = new FileWebServer(_root);
        await FetchAsync(new Uri(web.Url, "served.txt").ToString(), input);
        Assert.Equal("served", await File.ReadAllTextAsync(Path.Combine(input, "served.txt"), Token));
        var missing = await Assert.ThrowsAsync<StagingException>(() => FetchAsync(new Uri(web.Url, "nope.txt").ToString(), input));
        Assert.Equal($"{new Uri(web.Url, "nope.txt")}: 404 Not Found", missing.Message);
        Assert.False(missing.Transient);
    }

    [Fact]
    public async Task A_resource_is_fetched_once_for_twenty_waiting_tasks_and_again_when_the_remote_changes()
    {
        WriteTar("db-v1.tgz", gzip: true, ("db/version", "one"));
        WriteTar("db-v2.tgz", gzip: true, ("db/version", "two"));
        await using var web = new VersionedWebServer(await File.ReadAllBytesAsync(PathOf("db-v1.tgz"), Token), "\"v1\"");
        var cache = new ResourceCache(PathOf("cache"), capBytes: 1 << 30, Fetcher);
        var spec = StagingSpec.Parse(new Uri(web.Url, "db.tgz") + "|untar");

        var leases = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => cache.AcquireAsync(spec, Token)));
        Assert.Equal(1, web.Gets);
        Assert.Single(leases.Select(l => l.Folder).Distinct());
        Assert.Equal("one", await File.ReadAllTextAsync(Path.Combine(leases[0].Folder, "db/version"), Token));
        Assert.Equal(20, Assert.Single(cache.Holdings).Holders);

        // The remote changes: the next task gets the new version; the old one goes once its last holder is done.
        web.Change(await File.ReadAllBytesAsync(PathOf("db-v2.tgz"), Token), "\"v2\"");
        using (var fresh = await cache.AcquireAsync(spec, Token))
        {
            Assert.Equal(2, web.Gets);
            Assert.Equal("two", await File.ReadAllTextAsync(Path.Combine(fresh.Folder, "db/version"), Token));
            Assert.True(Directory.Exists(leases[0].Folder));
            foreach (var lease in leases) lease.Dispose();
            Assert.False(Directory.Exists(leases[0].Folder));
        }
        using (var again = await cache.AcquireAsync(spec, Token)) Assert.Equal(2, web.Gets);
    }

    [Fact]
    public async Task The_least_recently_used_resource_goes_past_the_cap_but_never_one_a_task_holds()
    {
        foreach (var name in new[] { "a.bin", "b.bin", "c.bin" }) await File.WriteAllBytesAsync(PathOf(name), new byte[60], Token);
        var cache = new ResourceCache(PathOf("cache"), capBytes: 130, Fetcher);
        var held = await cache.AcquireAsync(StagingSpec.Parse(FileUri("a.bin")), Token);
        (await cache.AcquireAsync(StagingSpec.Parse(FileUri("b.bin")), Token)).Dispose();
        (await cache.AcquireAsync(StagingSpec.Parse(FileUri("c.bin")), Token)).Dispose();
        // 180 bytes over a 130-byte cap: b, the least recently used that no task holds, went.
        Assert.Equal([FileUri("c.bin"), FileUri("a.bin")], cache.Holdings.Select(h => h.Spec));
        held.Dispose();
        Assert.Equal(2, cache.Holdings.Count);
    }

    [Theory]
    [InlineData("s3:/bucket/key", "not an absolute URI")]
    [InlineData("ftp://host/file", "the scheme 'ftp'")]
    [InlineData("s3:///key", "names no bucket")]
    [InlineData("https://host/file|unrar", "|unrar is not an action")]
    [InlineData("https://host/file|mv:../up", "mv takes a relative folder")]
    [InlineData("s3://bucket/prefix/|untar", "applies to a file")]
    [InlineData("file:///data/../etc/passwd", "must not contain '..'")]
    public void Bad_staging_uris_are_refused_saying_why(string text, string why)
    {
        var refused = Assert.Throws<FormatException>(() => StagingSpec.Parse(text));
        Assert.Contains(why, refused.Message, StringComparison.Ordinal);
        Assert.Contains("takes no actions", Assert.Throws<FormatException>(() => StagingSpec.ParseOutput("s3://b/out/|gunzip")).Message, StringComparison.Ordinal);
    }

    /// <summary>Serves one body: the first GET gets half of it and a dropped connection, a GET with a Range the rest (206).</summary>
    private sealed class DroppingWebServer : IAsyncDisposable
    {
        public const int Half = 150_000;
        private readonly TestWebServer _server;
        private readonly byte[] _body;
        private readonly System.Collections.Concurrent.ConcurrentQueue<string?> _ranges = new();

        public DroppingWebServer(byte[] body)
        {
            _body = body;
            _server = new TestWebServer(AnswerAsync);
        }

        public Uri Url => _server.Url;

        public IReadOnlyList<string?> Ranges => [.. _ranges];

        private async Task AnswerAsync(HttpListenerContext context, CancellationToken stopping)
        {
            var range = context.Request.Headers["Range"];
            _ranges.Enqueue(range);
            var response = context.Response;
            if (range is null)
            {
                response.ContentLength64 = _body.Length;
                await response.OutputStream.WriteAsync(_body.AsMemory(0, Half), stopping);
                await response.OutputStream.FlushAsync(stopping);
                response.Abort();
                return;
            }
            var from = int.Parse(range["bytes=".Length..].TrimEnd('-'), System.Globalization.CultureInfo.InvariantCulture);
            response.StatusCode = 206;
            response.Headers["Content-Range"] = $"bytes {from}-{_body.Length - 1}/{_body.Length}";
            response.ContentLength64 = _body.Length - from;
            await response.OutputStream.WriteAsync(_body.AsMemory(from), stopping);
            response.Close();
        }

        public ValueTask DisposeAsync() => _server.DisposeAsync();
    }
}
