using System.CommandLine;
using Drover.Contracts;
using Drover.Json;

namespace Drover.Cli.Commands;

/// <summary><c>drover token create|list|revoke</c>: named tokens with a role and a scope; <c>drover audit</c>: who did what (admin token needed).</summary>
internal static class TokenCommands
{
    public static Command Token() => new("token", "Named tokens: one per person or machine, with a role and a scope, revocable on its own")
    {
        Create(), List(), Revoke(),
    };

    private static Command Create()
    {
        var name = new Option<string>("--name") { Description = "The token's name (who or what uses it)", Required = true };
        var role = new Option<string>("--role") { Description = "admin, submit, read or worker", Required = true };
        var groups = new Option<string?>("--groups") { Description = "Comma-separated groups it is limited to (its tasks get the first when they name none)" };
        var batches = new Option<string?>("--batches") { Description = "Comma-separated batches it is limited to" };
        var expires = new Option<string?>("--expires") { Description = "Lifetime, such as 90d or 12h (default: does not expire)" };
        var command = new Command("create", "Create a named token and print its secret, shown this once") { name, role, groups, batches, expires };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var created = await client.CreateTokenAsync(new TokenSpec
            {
                Name = parse.GetValue(name), Role = parse.GetValue(role), Groups = Split(parse.GetValue(groups)), Batches = Split(parse.GetValue(batches)),
                Expires = parse.GetValue(expires),
            }, cancellationToken);
            // The secret alone on stdout, so that `drover token create ... > alice.token` keeps it; the rest on stderr.
            Console.Error.WriteLine($"token {created.Token.Name} ({Enums.Name(created.Token.Role)}{Scope(created.Token)}): keep this secret, it is not shown again");
            Console.WriteLine(created.Secret);
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "Every token: name, role, scope, created, last used, expiry (never the secrets)");
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var table = new TextTable("NAME", "ROLE", "GROUPS", "BATCHES", "CREATED", "LAST USED", "EXPIRES");
            foreach (var t in await client.ListTokensAsync(cancellationToken))
            {
                table.Add(t.Name + (t.Source == "file" ? " (file)" : ""), Enums.Name(t.Role), string.Join(",", t.Groups ?? []), string.Join(",", t.Batches ?? []),
                    Display.Time(t.Created), t.LastUsed is { } used ? Display.Time(used) : "", t.Expires is { } e ? Display.Time(e) : "never");
            }
            table.Write(Console.Out);
            return 0;
        });
        return command;
    }

    private static Command Revoke()
    {
        var name = new Argument<string>("name") { Description = "The token's name" };
        var command = new Command("revoke", "Revoke a named token: refused from then on") { name };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            await client.RevokeTokenAsync(parse.GetValue(name)!, cancellationToken);
            Console.WriteLine($"token {parse.GetValue(name)} revoked");
            return 0;
        });
        return command;
    }

    public static Command Audit()
    {
        var since = new Option<string?>("--since") { Description = "Only entries since this long ago (1h, 7d) or this time" };
        var filter = new Option<string?>("--filter") { Description = "A filter over seq, time, token, role, action, target, address, status, e.g. '{\"action\": \"tasks.purge\"}'" };
        var limit = new Option<int>("--limit") { Description = "How many, newest first", DefaultValueFactory = _ => 100 };
        var command = new Command("audit", "Who did what: token, action, target, time, address and answer, newest first (admin token)") { since, filter, limit };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            IReadOnlyList<Model.AuditRecord> entries;
            if (parse.GetValue(filter) is { } text)
            {
                if (parse.GetValue(since) is not null) throw new CliException("give --since or --filter, not both (a filter can name time: {\"time\": {\"$gte\": \"...\"}})");
                System.Text.Json.JsonElement parsed;
                try
                {
                    parsed = System.Text.Json.JsonDocument.Parse(text).RootElement;
                }
                catch (System.Text.Json.JsonException ex)
                {
                    throw new CliException($"--filter is not JSON: {ex.Message}");
                }
                entries = await client.QueryAuditAsync(parsed, parse.GetValue(limit), cancellationToken);
            }
            else
            {
                entries = await client.ListAuditAsync(parse.GetValue(since), parse.GetValue(limit), cancellationToken);
            }
            var table = new TextTable("TIME", "TOKEN", "ROLE", "ACTION", "TARGET", "STATUS", "ADDRESS", "DETAIL");
            foreach (var e in entries)
            {
                table.Add(Display.Time(e.Time), e.Token, e.Role, e.Action, e.Target ?? "", e.Status.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    e.Address ?? "", e.Detail is { Length: > 60 } detail ? detail[..57] + "..." : e.Detail ?? "");
            }
            table.Write(Console.Out);
            return 0;
        });
        return command;
    }

    private static List<string>? Split(string? list) =>
        list is null ? null : [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static string Scope(Model.TokenRecord token) =>
        (token.Groups is { } g ? $", groups {string.Join(",", g)}" : "") + (token.Batches is { } b ? $", batches {string.Join(",", b)}" : "") +
        (token.Expires is { } e ? $", expires {Display.Time(e)}" : "");
}
