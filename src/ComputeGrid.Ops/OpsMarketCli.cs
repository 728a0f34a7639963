using System.CommandLine;
using Spectre.Console;

namespace ComputeGrid.Ops;

/// <summary>
/// <c>cg-ops catalog</c>, <c>cg-ops statement TENANT PERIOD [--csv]</c> and <c>cg-ops revenue PERIOD</c>: the market over
/// <c>/v1/catalog</c>, <c>/v1/statements/{period}</c> and <c>/v1/revenue/{period}</c> (JSON, or the statement as CSV).
/// </summary>
internal static class OpsMarketCli
{
    /// <summary>Adds the market's commands to <paramref name="root"/>.</summary>
    public static void AddTo(RootCommand root, IAnsiConsole console, LeafFactory leaf)
    {
        var tenant = new Argument<string>("tenant") { Description = "The tenant" };
        var period = new Argument<string>("period") { Description = "A month (yyyy-MM) or a day (yyyy-MM-dd), Asia/Shanghai" };
        var csv = new Option<bool>("--csv") { Description = "The statement as CSV instead of JSON" };
        root.Subcommands.Add(leaf("catalog", "The catalog of computing products with list prices (JSON)", async (p, g, ct) =>
            OpsCli.WriteJson(console, await g.GetAsync("v1/catalog", ct))));
        root.Subcommands.Add(leaf("statement", "A tenant's statement for a month or a day, as JSON or CSV (operators: any tenant)", async (p, g, ct) =>
        {
            var path = $"v1/statements/{Uri.EscapeDataString(p.GetValue(period)!)}?tenant={Uri.EscapeDataString(p.GetValue(tenant)!)}";
            if (p.GetValue(csv))
            {
                // Written as it came: the CSV's digest is the statement's.
                console.Profile.Out.Writer.Write(await g.GetTextAsync(path, "text/csv", ct));
                return;
            }

            OpsCli.WriteJson(console, await g.GetAsync(path, ct));
        }, tenant, period, csv));
        root.Subcommands.Add(leaf("revenue", "Revenue per data center and per hub in a period (operators, JSON)", async (p, g, ct) =>
            OpsCli.WriteJson(console, await g.GetAsync($"v1/revenue/{Uri.EscapeDataString(p.GetValue(period)!)}", ct)), period));
    }
}
