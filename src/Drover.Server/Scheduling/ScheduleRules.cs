using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cronos;
using Drover.Contracts;
using Drover.Json;
using Drover.Model;

namespace Drover.Server.Scheduling;

/// <summary>What is due now, for one schedule.</summary>
/// <param name="Fire">The firings to make now, oldest first.</param>
/// <param name="SkipTo">A missed firing to record as skipped (catch_up: skip), or null.</param>
/// <param name="Next">The next firing after now.</param>
public sealed record FiringPlan(IReadOnlyList<DateTimeOffset> Fire, DateTimeOffset? SkipTo, DateTimeOffset? Next);

/// <summary>
/// The pure rules of schedules: parsing cron expressions (five fields, or six with seconds) and
/// time zones, what is due at a given time, what a missed firing becomes, and each firing's task id.
/// </summary>
public static class ScheduleRules
{
    public static readonly string[] Overlaps = ["skip", "allow", "cancel-previous"];
    public static readonly string[] CatchUps = ["once", "skip"];

    /// <summary>A firing handled later than this after its time counts as missed (catch_up decides); sooner, it is simply late.</summary>
    public static readonly TimeSpan Lateness = TimeSpan.FromSeconds(30);

    /// <summary>At most this many firings are made at once (a seconds schedule after a stall).</summary>
    public const int MaxFiringsAtOnce = 100;

    public static CronExpression? ParseCron(string? text, out string? error)
    {
        error = null;
        var fields = text?.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length ?? 0;
        if (fields is not (5 or 6))
        {
            error = "must have 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), e.g. \"0 2 * * *\"";
            return null;
        }
        try
        {
            return CronExpression.Parse(text!, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException ex)
        {
            error = $"is not a cron expression: {ex.Message}";
            return null;
        }
    }

    public static TimeZoneInfo? ParseZone(string? name) =>
        name is { Length: > 0 } && TimeZoneInfo.TryFindSystemTimeZoneById(name, out var zone) ? zone : null;

    /// <summary>
    /// What is due at <paramref name="now"/> for a schedule last fired at <paramref name="since"/>
    /// (or created then): the firings of the last <see cref="Lateness"/> are made (at most
    /// <see cref="MaxFiringsAtOnce"/>, the latest); firings older than that were missed: with
    /// <c>catch_up: once</c> the latest of them is made (when nothing more recent is), with
    /// <c>skip</c> it is recorded as skipped.
    /// </summary>
    public static FiringPlan Plan(CronExpression cron, TimeZoneInfo zone, string catchUp, DateTimeOffset since, DateTimeOffset now)
    {
        var next = Next(cron, zone, now);
        var first = Next(cron, zone, since);
        if (first is null || first > now) return new FiringPlan([], null, first ?? next);
        var window = now - Lateness > since ? now - Lateness : since;
        var recent = cron.GetOccurrences(window.UtcDateTime, now.UtcDateTime, zone, fromInclusive: window != since, toInclusive: true)
            .Select(t => new DateTimeOffset(t, TimeSpan.Zero)).Where(t => t > since).ToList();
        if (recent.Count > MaxFiringsAtOnce) recent = recent[^MaxFiringsAtOnce..];
        var missed = first < window ? LatestBefore(cron, zone, since, window) : null;
        if (missed is null) return new FiringPlan(recent, null, next);
        if (recent.Count == 0 && catchUp == "once") return new FiringPlan([missed.Value], null, next);
        return new FiringPlan(recent, recent.Count == 0 ? missed : null, next);
    }

    public static DateTimeOffset? Next(CronExpression cron, TimeZoneInfo zone, DateTimeOffset after) =>
        cron.GetNextOccurrence(after.UtcDateTime, zone) is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null;

    /// <summary>The latest firing after <paramref name="since"/> and before <paramref name="before"/>: looked for in windows that double going back, so a seconds schedule down for a week costs a few steps, not 600,000.</summary>
    private static DateTimeOffset? LatestBefore(CronExpression cron, TimeZoneInfo zone, DateTimeOffset since, DateTimeOffset before)
    {
        for (var span = TimeSpan.FromMinutes(1); ; span *= 2)
        {
            var from = before - span > since ? before - span : since;
            var found = cron.GetOccurrences(from.UtcDateTime, before.UtcDateTime, zone, fromInclusive: false, toInclusive: false).LastOrDefault();
            if (found != default) return new DateTimeOffset(found, TimeSpan.Zero);
            if (from == since) return null;
        }
    }

    /// <summary>
    /// The id of the task a firing creates: a UUIDv7 with the firing's time and, for the rest, a
    /// hash of the schedule's name and that time. Every server and every restart derives the same id
    /// for the same firing, and creating a task whose id exists is a no-op: each firing runs once.
    /// </summary>
    public static Guid FiringId(string schedule, DateTimeOffset at)
    {
        var millis = at.ToUnixTimeMilliseconds();
        Span<byte> bytes = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{schedule}\n{millis}"), bytes);
        BinaryPrimitives.WriteInt64BigEndian(bytes, (millis << 16) | (0x7L << 12) | (bytes[6] & 0x0FL) << 8 | bytes[7]);
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F)); // variant 10
        return new Guid(bytes[..16], bigEndian: true);
    }

    /// <summary>The task a firing creates: the schedule's task, with the firing's id, the schedule's name unless it has one, and the firing in its environment.</summary>
    public static TaskSpec TaskFor(ScheduleRecord schedule, DateTimeOffset at, Guid id)
    {
        var spec = schedule.Task.Deserialize<TaskSpec>(DroverJson.Options)!;
        var env = new Dictionary<string, string>(spec.Env ?? [], StringComparer.Ordinal)
        {
            ["DROVER_SCHEDULE"] = schedule.Name,
            ["DROVER_SCHEDULED_FOR"] = at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
        };
        return spec with { Id = id.ToString(), Name = spec.Name ?? schedule.Name, Env = env };
    }
}
