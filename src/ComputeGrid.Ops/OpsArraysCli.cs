using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace ComputeGrid.Ops;

/// <summary><c>cg-ops arrays show|cancel ID</c>: a job array's counts by state (over <c>/v1/job-arrays/{id}</c>), and cancelling it.</summary>
internal static class OpsArraysCli
{
    /// <summary>Adds the <c>arrays</c> command to <paramref name="root"/>.</summary>
    public static void AddTo(RootCommand root, IAnsiConsole console, LeafFactory leaf)
    {
        var arrayId = new Argument<string>("array") { Description = "The job array's id" };
        root.Subcommands.Add(new Command("arrays", "Job arrays: show one's counts by state, cancel one")
        {
            leaf("show", "A job array: its size, how many elements are jobs, and its elements counted by state", async (p, g, ct) =>
            {
                var array = await g.GetAsync(PathOf(p.GetValue(arrayId)!), ct);
                if (p.GetValue(OpsCli.JsonOption))
                {
                    OpsCli.WriteJson(console, array);
                    return;
                }

                Write(console, array);
            }, arrayId),
            leaf("cancel", "Cancel every element of a job array that has not ended", async (p, g, ct) =>
            {
                var array = await g.PostAsync($"{PathOf(p.GetValue(arrayId)!)}/cancel", null, ct);
                if (p.GetValue(OpsCli.JsonOption))
                {
                    OpsCli.WriteJson(console, array);
                    return;
                }

                Write(console, array);
            }, arrayId),
        });
    }

    private static string PathOf(string arrayId) => $"v1/job-arrays/{Uri.EscapeDataString(arrayId)}";

    private static void Write(IAnsiConsole console, JsonElement array)
    {
        var template = array.GetProperty("template");
        var resources = template.GetProperty("resources");
        var summary = new Table().Title($"Job array {Markup.Escape(array.GetProperty("arrayId").GetString() ?? string.Empty)}")
            .AddColumns("Tenant", "Elements", "Submitted", "Rejected", "Cancelled", "Origin hub", "Per element", "Submitted at (UTC)");
        summary.AddRow(
            Markup.Escape(array.GetProperty("tenant").GetString() ?? string.Empty),
            Number(array, "count"),
            Number(array, "submitted"),
            Number(array, "rejected"),
            array.GetProperty("cancelled").GetBoolean() ? "yes" : "no",
            Markup.Escape(template.GetProperty("originHub").GetString() ?? string.Empty),
            Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{resources.GetProperty("cpuMillicores").GetInt64() / 1000.0:0.###} cores, {resources.GetProperty("memoryMiB").GetInt64()} MiB, {resources.GetProperty("gpus").GetInt32()} GPUs")),
            Markup.Escape(array.GetProperty("submittedAt").GetString() ?? string.Empty));
        console.Write(summary);

        var counts = new Table().Title("Elements by state").AddColumns("State", "Elements");
        foreach (var state in array.GetProperty("counts").EnumerateObject())
        {
            counts.AddRow(Markup.Escape(state.Name), state.Value.GetInt32().ToString(CultureInfo.InvariantCulture));
        }

        console.Write(counts);
    }

    private static string Number(JsonElement e, string name) => e.GetProperty(name).GetInt32().ToString(CultureInfo.InvariantCulture);
}
