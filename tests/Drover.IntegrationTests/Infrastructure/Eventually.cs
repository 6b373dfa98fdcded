namespace Drover.IntegrationTests.Infrastructure;

/// <summary>Waits for what a real cluster does in its own time, bounded: a wait that runs out fails, saying what it waited for.</summary>
internal static class Eventually
{
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan within, string what)
    {
        var until = DateTime.UtcNow + within;
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (DateTime.UtcNow > until) Assert.Fail($"within {within.TotalSeconds} s: {what}; last seen: {value}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
