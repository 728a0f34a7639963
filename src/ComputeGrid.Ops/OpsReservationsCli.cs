using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace ComputeGrid.Ops;

/// <summary><c>cg-ops reservations list|show [ID]</c>: advance reservations (over <c>/v1/reservations</c>): the key's tenant's, or every tenant's for an operator key.</summary>
internal static class OpsReservationsCli
{
    /// <summary>Adds the <c>reservations</c> command to <paramref name="root"/>.</summary>
    public static void AddTo(RootCommand root, IAnsiConsole console, LeafFactory leaf)
    {
        var reservationId = new Argument<string>("reservation") { Description = "The reservation's id" };
        root.Subcommands.Add(new Command("reservations", "Advance reservations: list them, show one with its shares per data center")
        {
            leaf("list", "Advance reservations, newest first: the key's tenant's, or every tenant's for an operator key", async (p, g, ct) =>
            {
                var all = await g.GetAsync("v1/reservations", ct);
                if (p.GetValue(OpsCli.JsonOption))
                {
                    OpsCli.WriteJson(console, all);
                    return;
                }

                var table = new Table().Title("Advance reservations").AddColumns("Id", "Tenant", "State", "Resources", "Where", "Start (UTC)", "End (UTC)");
                foreach (var r in all.EnumerateArray())
                {
                    table.AddRow(Text(r, "reservationId"), Text(r, "tenant"), Text(r, "state"), Resources(r.GetProperty("resources")), Where(r), Text(r, "start"), Text(r, "end"));
                }

                console.Write(table);
            }),
            leaf("show", "One advance reservation: its window, state and shares per data center", async (p, g, ct) =>
            {
                var r = await g.GetAsync($"v1/reservations/{Uri.EscapeDataString(p.GetValue(reservationId)!)}", ct);
                if (p.GetValue(OpsCli.JsonOption))
                {
                    OpsCli.WriteJson(console, r);
                    return;
                }

                var summary = new Table().Title($"Reservation {Text(r, "reservationId")}").AddColumns("Field", "Value");
                summary.AddRow("Tenant", Text(r, "tenant"));
                summary.AddRow("State", Text(r, "state"));
                summary.AddRow("Resources", Resources(r.GetProperty("resources")));
                summary.AddRow("Where", Where(r));
                summary.AddRow("Window (UTC)", $"{Text(r, "start")} .. {Text(r, "end")}");
                summary.AddRow("By operator", Text(r, "byOperator"));
                summary.AddRow("Cancelled", r.GetProperty("cancelledAt").ValueKind == JsonValueKind.Null ? "-" : $"{Text(r, "cancelledAt")}: {Text(r, "cancelReason")}");
                console.Write(summary);
                var shares = new Table().Title("Shares").AddColumns("Data center", "Hub", "Resources");
                foreach (var s in r.GetProperty("shares").EnumerateArray())
                {
                    shares.AddRow(Text(s, "dataCenterId"), Text(s, "hubId"), Resources(s.GetProperty("resources")));
                }

                console.Write(shares);
            }, reservationId),
        });
    }

    private static string Text(JsonElement e, string name) => Markup.Escape(e.GetProperty(name).ValueKind == JsonValueKind.Null ? "-" : e.GetProperty(name).ToString());

    private static string Where(JsonElement r) => r.GetProperty("dataCenterId").ValueKind == JsonValueKind.String ? Text(r, "dataCenterId") : $"hub {Text(r, "hubId")}";

    private static string Resources(JsonElement r) =>
        Markup.Escape($"{r.GetProperty("cpuMillicores").GetInt64()}m CPU, {r.GetProperty("memoryMiB").GetInt64()} MiB"
            + (r.GetProperty("gpus").GetInt32() > 0 ? $", {r.GetProperty("gpus").GetInt32()}x {r.GetProperty("gpuModel").GetString()}" : string.Empty));
}
