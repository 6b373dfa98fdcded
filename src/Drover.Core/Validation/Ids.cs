using System.Buffers.Binary;

namespace Drover.Validation;

public static class Ids
{
    /// <summary>
    /// A new time-ordered id (UUIDv7, RFC 9562), as every id Drover makes: 48 bits of Unix
    /// milliseconds, then 74 random bits. The random bits come from <see cref="Random.Shared"/>, not
    /// the operating system's generator as <see cref="Guid.CreateVersion7()"/> does: ids must be
    /// unique, not secret, and the system call was a tenth of the server's time when it created
    /// thousands of tasks per request.
    /// </summary>
    public static Guid New()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteInt64BigEndian(bytes[8..], Random.Shared.NextInt64());
        BinaryPrimitives.WriteInt64BigEndian(bytes, (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 16) | (long)(uint)(Random.Shared.Next() & 0xFFFF));
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F)); // version 7
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F)); // variant 10
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>Accepts the canonical hyphenated form only ("0193a2b0-7c3e-7f00-8000-0123456789ab").</summary>
    public static bool TryParse(string? text, out Guid id) =>
        Guid.TryParseExact(text, "D", out id);
}
