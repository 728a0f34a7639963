using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace ComputeGrid.Ops;

/// <summary>Makes a <c>cg-ops</c> command that runs against the gateway (OpsCli's leaf factory).</summary>
internal delegate Command LeafFactory(string name, string description, Func<ParseResult, GatewayConnection, CancellationToken, Task> run, params Symbol[] symbols);

/// <summary>
/// <c>cg-ops keys issue|list|rotate|revoke</c> (partners' API keys, over <c>/v1/tenants/{tenant}/api-keys</c>) and
/// <c>cg-ops audit</c> (the audit log, over <c>GET /v1/audit</c>). Operator keys only.
/// </summary>
internal static class OpsKeysCli
{
    /// <summary>Adds the <c>keys</c> and <c>audit</c> commands to <paramref name="root"/>.</summary>
    public static void AddTo(RootCommand root, IAnsiConsole console, LeafFactory leaf)
    {
        var tenant = new Argument<string>("tenant") { Description = "The tenant whose keys these are" };
        var keyId = new Argument<string>("key-id") { Description = "The key's id (keys list shows them)" };
        var name = new Option<string>("--name") { Description = "What the key is for (1-64 printable characters)", Required = true };
        var allowCommands = new Option<bool>("--allow-commands") { Description = "The key may submit jobs with a command" };
        var expires = new Option<int?>("--expires-in-days") { Description = "Days until the key stops working, 1..3650 (issue: default 90; rotate: default the old key's lifetime)" };
        var grace = new Option<int?>("--grace-seconds") { Description = "Seconds the old key keeps working, 0..2592000; default 0" };
        var limit = new Option<int?>("--limit") { Description = "Entries per page, 1..500; default 50" };
        var cursor = new Option<string?>("--cursor") { Description = "The cursor the previous page printed" };

        root.Subcommands.Add(new Command("keys", "Partners' API keys: issue, list, rotate, revoke (operator keys)")
        {
            leaf("issue", "Issue a key for a tenant; its secret is printed once", async (p, g, ct) =>
            {
                var body = new JsonObject { ["name"] = p.GetValue(name), ["allowCommands"] = p.GetValue(allowCommands) };
                if (p.GetValue(expires) is { } days)
                {
                    body["expiresInDays"] = days;
                }

                var issued = await g.PostAsync(KeysPath(p.GetValue(tenant)!), body.ToJsonString(), ct);
                if (p.GetValue(OpsCli.JsonOption))
                {
                    OpsCli.WriteJson(console, issued);
                    return;
                }

                Secret(console, issued, "issued");
            }, tenant, name, allowCommands, expires),
            leaf("list", "A tenant's keys with their state (never a secret)", async (p, g, ct) =>
            {
                var keys = await g.GetAsync(KeysPath(p.GetValue(tenant)!), ct);
                if (p.GetValue(OpsCli.JsonOption))
                {
                    OpsCli.WriteJson(console, keys);
                    return;
                }

                var table = new Table().Title($"API keys of {Markup.Escape(p.GetValue(tenant)!)}").AddColumns("Key", "Name", "State", "Commands", "Created (UTC)", "Expires (UTC)", "Revoked (UTC)", "Replaced by");
                foreach (var k in keys.EnumerateArray())
                {
                    table.AddRow(Str(k, "keyId"), Str(k, "name"), Str(k, "state"), k.GetProperty("allowCommands").GetBoolean() ? "yes" : "no", Str(k, "createdAt"), Str(k, "expiresAt"), Str(k, "revokedAt"), Str(k, "replacedBy"));
                }

                console.Write(table);
            }, tenant),
            leaf("rotate", "Replace a key; the old one stops at once or after --grace-seconds", async (p, g, ct) =>
            {
                var body = new JsonObject();
                if (p.GetValue(grace) is { } seconds)
                {
                    body["graceSeconds"] = seconds;
                }

                if (p.GetValue(expires) is { } days)
                {
                    body["expiresInDays"] = days;
                }

                var rotation = await g.PostAsync($"{KeysPath(p.GetValue(tenant)!)}/{Uri.EscapeDataString(p.GetValue(keyId)!)}/rotate", body.ToJsonString(), ct);
                if (p.GetValue(OpsCli.JsonOption))
                {
                    OpsCli.WriteJson(console, rotation);
                    return;
                }

                Secret(console, rotation.GetProperty("replacement"), "issued");
                var replaced = rotation.GetProperty("replaced");
                console.MarkupLineInterpolated($"the old key [yellow]{Str(replaced, "keyId")}[/] stops working at {Str(replaced, "revokedAt")}");
            }, tenant, keyId, grace, expires),
            leaf("revoke", "Revoke a key at once", async (p, g, ct) =>
            {
                await g.DeleteAsync($"{KeysPath(p.GetValue(tenant)!)}/{Uri.EscapeDataString(p.GetValue(keyId)!)}", ct);
                if (p.GetValue(OpsCli.JsonOption))
                {
                    // The gateway answers 204 with no body; the JSON names what was revoked so scripts can parse every answer.
                    OpsCli.WriteJson(console, JsonSerializer.SerializeToElement(new { tenant = p.GetValue(tenant), keyId = p.GetValue(keyId), revoked = true }));
                    return;
                }

                console.MarkupLineInterpolated($"revoked [green]{p.GetValue(keyId)}[/]");
            }, tenant, keyId),
        });

        root.Subcommands.Add(leaf("audit", "The audit log of admin actions, newest first", async (p, g, ct) =>
        {
            var query = "v1/audit?limit=" + (p.GetValue(limit) ?? 50).ToString(CultureInfo.InvariantCulture)
                + (p.GetValue(cursor) is { } c ? $"&cursor={Uri.EscapeDataString(c)}" : string.Empty);
            var page = await g.GetAsync(query, ct);
            if (p.GetValue(OpsCli.JsonOption))
            {
                OpsCli.WriteJson(console, page);
                return;
            }

            var table = new Table().Title("Audit log").AddColumns("#", "At (UTC)", "Actor", "Action", "Target", "Outcome", "Detail");
            foreach (var e in page.GetProperty("entries").EnumerateArray())
            {
                var actor = Str(e, "actorTenant") is "-" ? Str(e, "actor") : $"{Str(e, "actor")} ({Str(e, "actorTenant")})";
                table.AddRow(e.GetProperty("sequence").GetInt64().ToString(CultureInfo.InvariantCulture), Str(e, "at"), actor, Str(e, "action"), Str(e, "target"), Str(e, "outcome"), Str(e, "detail"));
            }

            console.Write(table);
            if (Str(page, "nextCursor") is { } next and not "-")
            {
                console.MarkupLineInterpolated($"older entries: cg-ops audit --cursor {next}");
            }
        }, limit, cursor));
    }

    private static string KeysPath(string tenant) => $"v1/tenants/{Uri.EscapeDataString(tenant)}/api-keys";

    private static void Secret(IAnsiConsole console, JsonElement issued, string done)
    {
        console.MarkupLineInterpolated($"{done} [green]{Str(issued, "keyId")}[/] for {Str(issued, "tenant")} ({Str(issued, "name")}), expires {Str(issued, "expiresAt")}");
        console.MarkupLine("the key (shown only now; give it to the partner over a safe channel):");
        console.WriteLine(issued.GetProperty("secret").GetString()!);
    }

    private static string Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? Markup.Escape(v.GetString()!) : "-";
}
