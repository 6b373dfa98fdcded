using System.Text.Json;
using Drover.Json;

namespace Drover.Worker.Handlers;

/// <summary>
/// The .NET handlers a worker runs, by name: <c>Handle&lt;ResizeArgs, ResizeResult&gt;("resize", async (args, ctx) => ...)</c>.
/// Args arrive as the task's JSON <c>args</c>, the result goes back as its <c>result</c>. Built in:
/// <c>echo</c>, whose result is its args (the cost of dispatch alone, and a health check).
/// </summary>
public sealed class TaskHandlers
{
    private readonly Dictionary<string, Func<JsonElement?, HandlerContext, Task<JsonElement?>>> _handlers = new(StringComparer.Ordinal)
    {
        [Contracts.LeasedTask.EchoHandler] = (args, _) => Task.FromResult(args),
    };

    /// <summary>What the worker tells the server it runs: it leases only commands and tasks naming one of these.</summary>
    public IReadOnlyCollection<string> Names => _handlers.Keys;

    public void Handle<TArgs, TResult>(string name, Func<TArgs, HandlerContext, Task<TResult>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(name, async (args, context) => JsonSerializer.SerializeToElement(await handler(Args<TArgs>(args), context), DroverJson.Options));
    }

    /// <summary>A handler with no result.</summary>
    public void Handle<TArgs>(string name, Func<TArgs, HandlerContext, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Add(name, async (args, context) =>
        {
            await handler(Args<TArgs>(args), context);
            return null;
        });
    }

    /// <summary>These handlers and one more, for one worker (its shard handler), leaving these as they are.</summary>
    internal TaskHandlers With<TArgs, TResult>(string name, Func<TArgs, HandlerContext, Task<TResult>> handler)
    {
        var copy = new TaskHandlers();
        foreach (var (key, value) in _handlers) copy._handlers[key] = value;
        copy.Handle(name, handler);
        return copy;
    }

    internal bool TryGet(string name, out Func<JsonElement?, HandlerContext, Task<JsonElement?>> handler) => _handlers.TryGetValue(name, out handler!);

    private void Add(string name, Func<JsonElement?, HandlerContext, Task<JsonElement?>> handler)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("a handler needs a name", nameof(name));
        if (!_handlers.TryAdd(name, handler)) throw new ArgumentException($"a handler named '{name}' is already registered", nameof(name));
    }

    private static TArgs Args<TArgs>(JsonElement? args)
    {
        if (args is not { } json || json.ValueKind == JsonValueKind.Null)
            return default(TArgs) is null && !typeof(TArgs).IsValueType ? default! : throw new ArgumentException("the task has no args");
        return json.Deserialize<TArgs>(DroverJson.Options)!;
    }
}
