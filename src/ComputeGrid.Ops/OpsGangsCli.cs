using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace ComputeGrid.Ops;

/// <summary><c>cg-ops gangs show|cancel ID</c>: a gang, its members' states and its history (over <c>/v1/gangs/{id}</c>), and cancelling it.</summary>
internal static class OpsGangsCli
{
    /// <summary>Adds the <c>gangs</c> command to <paramref name="root"/>.</summary>
    public static void AddTo(RootCommand root, IAnsiConsole console, LeafFactory leaf)
    {
        var gangId = new Argument<string>("gang") { Description = "The gang's id" };
        root.Subcommands.Add(new Command("gangs", "Gangs: show one with its members, cancel one")
        {
            leaf("show", "A gang: its state, attempt, each member's state and data center, and its history", async (p, g, ct) =>
            {
                var gang = await g.GetAsync(PathOf(p.GetValue(gangId)!), ct);
                if (p.GetValue(OpsCli.JsonOption))
                {
                    OpsCli.WriteJson(console, gang);
                    return;
                }

                Write(console, gang);
            }, gangId),
            leaf("cancel", "Cancel a gang and every member that has not ended", async (p, g, ct) =>
            {
                var gang = await g.PostAsync($"{PathOf(p.GetValue(gangId)!)}/cancel", null, ct);
                if (p.GetValue(OpsCli.JsonOption))
                {
                    OpsCli.WriteJson(console, gang);
                    return;
                }

                Write(console, gang);
            }, gangId),
        });
    }

    private static string PathOf(string gangId) => $"v1/gangs/{Uri.EscapeDataString(gangId)}";

    private static string Text(JsonElement e, string name) => Markup.Escape(e.GetProperty(name).ValueKind == JsonValueKind.Null ? "-" : e.GetProperty(name).ToString());

    private static void Write(IAnsiConsole console, JsonElement gang)
    {
        var summary = new Table().Title($"Gang {Text(gang, "gangId")}")
            .AddColumns("Tenant", "State", "Members", "Attempt", "Restarts", "Origin hub", "Submitted at (UTC)");
        summary.AddRow(
            Text(gang, "tenant"),
            Text(gang, "state"),
            Text(gang, "members"),
            Text(gang, "attempt"),
            string.Create(CultureInfo.InvariantCulture, $"{gang.GetProperty("restarts").GetInt32()} of {gang.GetProperty("maxRestarts").GetInt32()}"),
            Text(gang.GetProperty("template"), "originHub"),
            Text(gang, "submittedAt"));
        console.Write(summary);

        var members = new Table().Title("Members").AddColumns("Index", "Job", "State", "Data center");
        foreach (var m in gang.GetProperty("memberList").EnumerateArray())
        {
            members.AddRow(Text(m, "index"), Text(m, "jobId"), Text(m, "state"), Text(m, "dataCenterId"));
        }

        console.Write(members);

        var history = new Table().Title("History").AddColumns("#", "State", "At (UTC)", "Detail");
        foreach (var e in gang.GetProperty("history").EnumerateArray())
        {
            history.AddRow(Text(e, "sequence"), Text(e, "state"), Text(e, "at"), Text(e, "detail"));
        }

        console.Write(history);
    }
}
