using System.Security.Cryptography;
using System.Text;

namespace Drover.Staging;

/// <summary>
/// A worker's resources (reference data every task of a kind reads): each staging URI fetched and
/// unpacked once per remote version, however many tasks wait for it at once, kept under
/// <c>DIR/&lt;key&gt;/</c> for tasks to share read-only, fetched again when the remote changed, and
/// evicted least recently used past the size cap, never while a task holds it.
/// </summary>
public sealed class ResourceCache
{
    private readonly string _directory;
    private readonly long _capBytes;
    private readonly Fetcher _fetcher;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Task<Entry>> _fetching = [];
    private readonly Dictionary<string, Entry> _entries = [];
    private long _clock;

    private readonly Action<ResourceCache>? _onChange;

    /// <param name="onChange">Called after a fetch added a resource (to show what the cache holds).</param>
    public ResourceCache(string directory, long capBytes, Fetcher? fetcher = null, Action<ResourceCache>? onChange = null)
    {
        _directory = Directory.CreateDirectory(directory).FullName;
        _onChange = onChange;
        _capBytes = capBytes;
        _fetcher = fetcher ?? new Fetcher();
        // What an earlier run left is not trusted: its versions are not known.
        foreach (var left in Directory.GetDirectories(_directory)) Directory.Delete(left, recursive: true);
    }

    public string Folder => _directory;

    /// <summary>What the cache holds now, most recently used first.</summary>
    public IReadOnlyList<(string Spec, long Bytes, int Holders)> Holdings
    {
        get
        {
            lock (_lock) return [.. _entries.Values.OrderByDescending(e => e.LastUsed).Select(e => (e.Spec, e.Bytes, e.Holders))];
        }
    }

    /// <summary>
    /// The resource's folder, fetched if this version is not held yet (one fetch for every caller
    /// waiting on it); dispose the lease when the task is done with it.
    /// </summary>
    /// <exception cref="StagingException">The remote could not be asked or fetched.</exception>
    public async Task<ResourceLease> AcquireAsync(StagingSpec spec, CancellationToken cancellationToken)
    {
        var version = await RemoteVersion.ProbeAsync(spec, cancellationToken);
        var key = KeyOf(spec.ToString() + "\n" + version);
        Task<Entry>? started = null;
        while (true)
        {
            Task<Entry> fetch;
            lock (_lock)
            {
                // The bytes go to the account of the caller whose call started the fetch.
                if (_entries.TryGetValue(key, out var held)) return Lease(held, started is { IsCompletedSuccessfully: true } ? held.Downloaded : 0);
                if (!_fetching.TryGetValue(key, out fetch!)) _fetching[key] = started = fetch = FetchAsync(spec, key);
            }
            // A caller that gives up leaves the fetch to the others. Once it is done the entry is
            // leased above (or, evicted in the instant between, fetched again).
            await fetch.WaitAsync(cancellationToken);
        }
    }

    private async Task<Entry> FetchAsync(StagingSpec spec, string key)
    {
        await Task.Yield();
        var partial = Path.Combine(_directory, key + ".partial");
        var folder = Path.Combine(_directory, key);
        try
        {
            if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
            var bytes = await _fetcher.FetchAsync(spec, Directory.CreateDirectory(partial).FullName, _ => { }, CancellationToken.None);
            // Tasks share these files by hard link: none may change them for the others.
            SharedFiles.MarkReadOnly(partial);
            Directory.Move(partial, folder);
            var entry = new Entry(spec.ToString(), key, folder, Math.Max(bytes, SizeOf(folder)), bytes);
            lock (_lock)
            {
                // An older version of the same URI is no longer handed out; it goes once no task holds it.
                foreach (var older in _entries.Values.Where(e => e.Spec == entry.Spec).ToList()) older.Stale = true;
                _entries[key] = entry;
                entry.LastUsed = ++_clock;
                Evict(keep: key);
            }
            _onChange?.Invoke(this);
            return entry;
        }
        catch
        {
            if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
            throw;
        }
        finally
        {
            lock (_lock) _fetching.Remove(key);
        }
    }

    private ResourceLease Lease(Entry entry, long fetchedBytes)
    {
        entry.Holders++;
        entry.LastUsed = ++_clock;
        return new ResourceLease(entry.Folder, fetchedBytes, () =>
        {
            lock (_lock)
            {
                entry.Holders--;
                Evict();
            }
        });
    }

    /// <summary>Stale entries no task holds go; then the least recently used until the total is under the cap (never <paramref name="keep"/>, just fetched for its waiters).</summary>
    private void Evict(string? keep = null)
    {
        foreach (var stale in _entries.Values.Where(e => e.Stale && e.Holders == 0).ToList()) Remove(stale);
        var total = _entries.Values.Sum(e => e.Bytes);
        foreach (var entry in _entries.Values.Where(e => e.Holders == 0 && e.Key != keep).OrderBy(e => e.LastUsed).ToList())
        {
            if (total <= _capBytes) break;
            total -= entry.Bytes;
            Remove(entry);
        }
    }

    private void Remove(Entry entry)
    {
        _entries.Remove(entry.Key);
        if (Directory.Exists(entry.Folder)) Directory.Delete(entry.Folder, recursive: true);
    }

    private static long SizeOf(string folder) => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    private static string KeyOf(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..24];

    private sealed class Entry(string spec, string key, string folder, long bytes, long downloaded)
    {
        /// <summary>What the fetch downloaded (Bytes is what it takes on disk, unpacked).</summary>
        public long Downloaded { get; } = downloaded;
        public string Spec { get; } = spec;
        public string Key { get; } = key;
        public string Folder { get; } = folder;
        public long Bytes { get; } = bytes;
        public int Holders { get; set; }
        public long LastUsed { get; set; }
        public bool Stale { get; set; }
    }
}

/// <summary>A task's hold on a cached resource: its folder stays while the lease is not disposed.</summary>
public sealed class ResourceLease(string folder, long fetchedBytes, Action release) : IDisposable
{
    private int _released;

    public string Folder { get; } = folder;

    /// <summary>The bytes downloaded for this acquisition: the resource's size for the one that fetched it, else 0 (it was cached).</summary>
    public long FetchedBytes { get; } = fetchedBytes;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) release();
    }
}
