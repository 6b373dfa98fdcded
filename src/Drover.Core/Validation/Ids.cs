using System.Buffers.Binary;

namespace Drover.Validation;

public static class Ids
{
    /// <summary>The last (Unix milliseconds &lt;&lt; 12 | counter) handed out by this process.</summary>
    private static long _lastStamp;

    /// <summary>
    /// A new time-ordered id (UUIDv7, RFC 9562), as every id Drover makes: 48 bits of Unix
    /// milliseconds, a 12-bit counter within the millisecond (RFC 9562's method 1, so that the ids
    /// one process makes are strictly increasing: ordering by id is ordering by creation, even for
    /// thousands created in one millisecond), then 62 random bits. The random bits come from
    /// <see cref="Random.Shared"/>, not the operating system's generator as
    /// <see cref="Guid.CreateVersion7()"/> does: ids must be unique, not secret, and the system call
    /// was a tenth of the server's time when it created thousands of tasks per request.
    /// </summary>
    public static Guid New()
    {
        var stamp = NextStamp();
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteInt64BigEndian(bytes[8..], Random.Shared.NextInt64());
        BinaryPrimitives.WriteInt64BigEndian(bytes, ((stamp >> 12) << 16) | (0x7L << 12) | (stamp & 0xFFF)); // version 7
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F)); // variant 10
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>
    /// This millisecond and the next count in it; past 4,096 ids in one millisecond (or when the
    /// clock steps back) it runs on into the next millisecond rather than repeat or go backwards.
    /// </summary>
    private static long NextStamp()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 12;
        while (true)
        {
            var last = Volatile.Read(ref _lastStamp);
            var next = now > last ? now : last + 1;
            if (Interlocked.CompareExchange(ref _lastStamp, next, last) == last) return next;
        }
    }

    /// <summary>Accepts the canonical hyphenated form only ("0193a2b0-7c3e-7f00-8000-0123456789ab").</summary>
    public static bool TryParse(string? text, out Guid id) =>
        Guid.TryParseExact(text, "D", out id);
}
