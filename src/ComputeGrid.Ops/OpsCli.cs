using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace ComputeGrid.Ops;

/// <summary>
/// The <c>cg-ops</c> commands: pool, hubs, data centers, jobs, loans, balances and explain, each a Spectre.Console table
/// of what the REST gateway answers. The base URL and operator key come from <c>--url</c>/<c>--key</c>, else
/// <c>CG_OPS_URL</c>/<c>CG_OPS_KEY</c>, else the development defaults.
/// </summary>
internal static class OpsCli
{
    /// <summary>The gateway's address when neither <c>--url</c> nor <c>CG_OPS_URL</c> names one.</summary>
    public const string DefaultUrl = "http://localhost:8080";

    /// <summary>The development operator key of the silo host's <c>appsettings.json</c>.</summary>
    public const string DefaultKey = "cg-dev-operator";

    /// <summary>Parses and runs one command line; returns the exit code (0 done, 1 the gateway refused or failed, 2 bad usage).</summary>
    public static async Task<int> RunAsync(string[] args, IAnsiConsole console, HttpMessageHandler? handler, CancellationToken cancellationToken)
    {
        var url = new Option<string>("--url")
        {
            Description = "The gateway's base URL",
            Recursive = true,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CG_OPS_URL") ?? DefaultUrl,
        };
        var key = new Option<string>("--key")
        {
            Description = "An operator API key",
            Recursive = true,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CG_OPS_KEY") ?? DefaultKey,
        };
        var root = new RootCommand("Operators' view of the ComputeGrid national pool") { url, key };

        Command Leaf(string name, string description, Func<ParseResult, GatewayConnection, CancellationToken, Task> run, params Symbol[] symbols)
        {
            var command = new Command(name, description);
            foreach (var symbol in symbols)
            {
                switch (symbol)
                {
                    case Argument a: command.Arguments.Add(a); break;
                    case Option o: command.Options.Add(o); break;
                }
            }

            command.SetAction(async (parsed, ct) =>
            {
                using var gateway = GatewayConnection.Create(new Uri(parsed.GetValue(url)!), parsed.GetValue(key)!, handler);
                try
                {
                    await run(parsed, gateway, ct);
                    return 0;
                }
                catch (Exception e) when (e is GatewayCallException or HttpRequestException)
                {
                    console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
                    return 1;
                }
            });
            return command;
        }

        var jobId = new Argument<string>("job") { Description = "The job's id" };
        var dataCenterId = new Argument<string>("data-center") { Description = "The data center's id" };
        var hub = new Option<string?>("--hub") { Description = "Only this hub" };
        var state = new Option<string?>("--state") { Description = "Only this state" };
        var tenant = new Option<string?>("--tenant") { Description = "Another tenant's jobs (operator keys); default the key's own tenant" };
        var file = new Option<FileInfo>("--file") { Description = "The data center as JSON (the body of POST /v1/data-centers)", Required = true };

        root.Subcommands.Add(Leaf("pool", "The pool's totals", (_, g, ct) => PoolAsync(console, g, ct)));
        root.Subcommands.Add(Leaf("hubs", "Every hub: capacity, use and queue", (_, g, ct) => HubsAsync(console, g, ct)));
        var dataCenters = new Command("dc", "Data centers: list, register, drain, resume, remove")
        {
            Leaf("list", "Every data center, or one hub's", (p, g, ct) => DataCentersAsync(console, g, p.GetValue(hub), ct), hub),
            Leaf("register", "Register a data center from a JSON file", async (p, g, ct) =>
            {
                var created = await g.PostAsync("v1/data-centers", await File.ReadAllTextAsync(p.GetValue(file)!.FullName, ct), ct);
                console.MarkupLineInterpolated($"registered [green]{Str(created, "id")}[/]");
            }, file),
            Leaf("drain", "Take no new work; running work finishes", (p, g, ct) => ChangeAsync(console, g, $"v1/data-centers/{Uri.EscapeDataString(p.GetValue(dataCenterId)!)}/drain", "drained", ct), dataCenterId),
            Leaf("resume", "Put a drained data center back online", (p, g, ct) => ChangeAsync(console, g, $"v1/data-centers/{Uri.EscapeDataString(p.GetValue(dataCenterId)!)}/resume", "resumed", ct), dataCenterId),
            Leaf("remove", "Remove a data center (drain it first)", async (p, g, ct) =>
            {
                await g.DeleteAsync($"v1/data-centers/{Uri.EscapeDataString(p.GetValue(dataCenterId)!)}", ct);
                console.MarkupLineInterpolated($"removed [green]{p.GetValue(dataCenterId)}[/]");
            }, dataCenterId),
        };
        root.Subcommands.Add(dataCenters);
        root.Subcommands.Add(new Command("jobs", "Jobs: list (the key's tenant, or any tenant's with --tenant), show, cancel")
        {
            Leaf("list", "Jobs, newest first", (p, g, ct) => JobsAsync(console, g, p.GetValue(tenant), p.GetValue(state), ct), tenant, state),
            Leaf("show", "One job and its history", (p, g, ct) => JobAsync(console, g, p.GetValue(jobId)!, ct), jobId),
            Leaf("cancel", "Cancel a job", async (p, g, ct) =>
            {
                var job = await g.PostAsync($"v1/jobs/{Uri.EscapeDataString(p.GetValue(jobId)!)}/cancel", null, ct);
                console.MarkupLineInterpolated($"{Str(job, "jobId")} is [yellow]{Str(job, "state")}[/]");
            }, jobId),
        });
        root.Subcommands.Add(Leaf("loans", "Capacity loans between hubs", (p, g, ct) => LoansAsync(console, g, p.GetValue(hub), p.GetValue(state), ct), hub, state));
        root.Subcommands.Add(Leaf("balances", "Every hub's capacity lent and borrowed, and its balance", (_, g, ct) => BalancesAsync(console, g, ct)));
        root.Subcommands.Add(Leaf("explain", "Why a job waits or runs where it does", (p, g, ct) => ExplainAsync(console, g, p.GetValue(jobId)!, ct), jobId));
        OpsKeysCli.AddTo(root, console, Leaf);

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                console.MarkupLineInterpolated($"[red]error:[/] {error.Message}");
            }

            return 2;
        }

        return await parsed.InvokeAsync(cancellationToken: cancellationToken);
    }

    private static async Task PoolAsync(IAnsiConsole console, GatewayConnection gateway, CancellationToken ct)
    {
        var pool = await gateway.GetAsync("v1/pool", ct);
        var table = new Table().Title("Pool").AddColumns("Hubs", "Data centers", "CPU used / capacity (cores)", "GPUs used / capacity", "Queued", "Energy (kWh)", "Carbon (kgCO2)", "Cost (CNY)");
        var executed = pool.GetProperty("executed");
        table.AddRow(
            Num(pool, "hubs"),
            Num(pool, "dataCenters"),
            $"{Cores(pool.GetProperty("used"))} / {Cores(pool.GetProperty("capacity"))}",
            $"{Gpus(pool.GetProperty("used"))} / {Gpus(pool.GetProperty("capacity"))}",
            Num(pool, "queued"),
            Num(executed, "energyKwh"),
            Num(executed, "carbonKg"),
            Num(executed, "costCny"));
        console.Write(table);
    }

    private static async Task HubsAsync(IAnsiConsole console, GatewayConnection gateway, CancellationToken ct)
    {
        var hubs = await gateway.GetAsync("v1/hubs", ct);
        var table = new Table().Title("Hubs").AddColumns("Hub", "Name", "Zone", "Data centers", "CPU used / capacity (cores)", "Queue", "Energy (kWh)", "Carbon (kgCO2)");
        foreach (var h in hubs.EnumerateArray())
        {
            table.AddRow(
                Str(h, "id"),
                Str(h, "name"),
                Str(h, "zone"),
                h.GetProperty("dataCenterIds").GetArrayLength().ToString(CultureInfo.InvariantCulture),
                $"{Cores(h.GetProperty("used"))} / {Cores(h.GetProperty("capacity"))}",
                Num(h, "queueLength"),
                Num(h.GetProperty("executed"), "energyKwh"),
                Num(h.GetProperty("executed"), "carbonKg"));
        }

        console.Write(table);
    }

    private static async Task DataCentersAsync(IAnsiConsole console, GatewayConnection gateway, string? hubId, CancellationToken ct)
    {
        var hubs = await gateway.GetAsync("v1/hubs", ct);
        var table = new Table().Title("Data centers").AddColumns("Data center", "Hub", "Status", "CPU free / capacity (cores)", "GPUs free / capacity", "Jobs", "PUE", "Green");
        foreach (var h in hubs.EnumerateArray().Where(h => hubId is null || Str(h, "id") == hubId))
        {
            foreach (var d in (await gateway.GetAsync($"v1/hubs/{Uri.EscapeDataString(Str(h, "id"))}/data-centers", ct)).EnumerateArray())
            {
                var energy = d.GetProperty("energy");
                table.AddRow(
                    Str(d, "id"),
                    Str(d, "hubId"),
                    Str(d, "status"),
                    $"{Cores(d.GetProperty("free"))} / {Cores(d.GetProperty("capacity"))}",
                    $"{Gpus(d.GetProperty("free"))} / {Gpus(d.GetProperty("capacity"))}",
                    Num(d, "reservations"),
                    Num(energy, "pue"),
                    Percent(energy.GetProperty("greenShare").GetDouble()));
            }
        }

        console.Write(table);
    }

    private static async Task ChangeAsync(IAnsiConsole console, GatewayConnection gateway, string path, string done, CancellationToken ct)
    {
        var changed = await gateway.PostAsync(path, null, ct);
        console.MarkupLineInterpolated($"{done} [green]{Str(changed, "id")}[/] (now {Str(changed, "status")})");
    }

    private static async Task JobsAsync(IAnsiConsole console, GatewayConnection gateway, string? tenant, string? state, CancellationToken ct)
    {
        var query = "v1/jobs?limit=500";
        if (tenant is not null)
        {
            query += $"&tenant={Uri.EscapeDataString(tenant)}";
        }

        if (state is not null)
        {
            query += $"&state={Uri.EscapeDataString(state)}";
        }

        var page = await gateway.GetAsync(query, ct);
        var table = new Table().Title(tenant is null ? "Jobs" : $"Jobs of {tenant}").AddColumns("Job", "State", "Origin", "Data center", "Submitted (UTC)");
        foreach (var j in page.GetProperty("jobs").EnumerateArray())
        {
            table.AddRow(Str(j, "jobId"), Str(j, "state"), Str(j, "originHub"), Str(j, "dataCenterId"), Str(j, "submittedAt"));
        }

        console.Write(table);
    }

    private static async Task JobAsync(IAnsiConsole console, GatewayConnection gateway, string jobId, CancellationToken ct)
    {
        var job = await gateway.GetAsync($"v1/jobs/{Uri.EscapeDataString(jobId)}", ct);
        var placement = job.GetProperty("placement");
        var summary = new Table().Title($"Job {jobId}").AddColumns("Field", "Value");
        summary.AddRow("State", Str(job, "state"));
        summary.AddRow("Tenant", Str(job, "tenant"));
        summary.AddRow("Origin", Str(job, "originHub"));
        summary.AddRow("Policy", Str(job, "policy"));
        summary.AddRow("Data center", placement.ValueKind == JsonValueKind.Object ? Str(placement, "dataCenterId") : "-");
        summary.AddRow("Reason", placement.ValueKind == JsonValueKind.Object ? Str(placement, "reason") : "-");
        console.Write(summary);
        var history = new Table().Title("History").AddColumns("#", "State", "At (UTC)", "Data center", "Detail");
        foreach (var e in job.GetProperty("events").EnumerateArray())
        {
            history.AddRow(Num(e, "sequence"), Str(e, "state"), Str(e, "at"), Str(e, "dataCenterId"), Str(e, "detail"));
        }

        console.Write(history);
    }

    private static async Task LoansAsync(IAnsiConsole console, GatewayConnection gateway, string? hubId, string? state, CancellationToken ct)
    {
        var query = "v1/loans?limit=500" + (hubId is null ? string.Empty : $"&hub={Uri.EscapeDataString(hubId)}") + (state is null ? string.Empty : $"&state={Uri.EscapeDataString(state)}");
        var page = await gateway.GetAsync(query, ct);
        var table = new Table().Title("Loans").AddColumns("Loan", "Lender", "Borrower", "State", "CPU (cores)", "GPUs", "Jobs", "Charge (CNY)");
        foreach (var l in page.GetProperty("loans").EnumerateArray())
        {
            var usage = l.GetProperty("usage");
            table.AddRow(Str(l, "loanId"), Str(l, "lender"), Str(l, "borrower"), Str(l, "state"), Cores(l.GetProperty("amount")), Gpus(l.GetProperty("amount")), Num(usage, "jobs"), Num(usage, "chargeCny"));
        }

        console.Write(table);
    }

    private static async Task BalancesAsync(IAnsiConsole console, GatewayConnection gateway, CancellationToken ct)
    {
        var balances = await gateway.GetAsync("v1/balances", ct);
        var table = new Table().Title("Balances").AddColumns("Hub", "Lent now (cores)", "Borrowed now (cores)", "Loans lent", "Loans borrowed", "Earned (CNY)", "Paid (CNY)", "Balance (CNY)");
        foreach (var b in balances.EnumerateArray())
        {
            table.AddRow(Str(b, "hubId"), Cores(b.GetProperty("lentNow")), Cores(b.GetProperty("borrowedNow")), Num(b, "loansLent"), Num(b, "loansBorrowed"), Num(b, "earnedCny"), Num(b, "paidCny"), Num(b, "balanceCny"));
        }

        console.Write(table);
    }

    private static async Task ExplainAsync(IAnsiConsole console, GatewayConnection gateway, string jobId, CancellationToken ct)
    {
        var e = await gateway.GetAsync($"v1/jobs/{Uri.EscapeDataString(jobId)}/explain", ct);
        console.MarkupLineInterpolated($"Job [bold]{Str(e, "jobId")}[/] is [yellow]{Str(e, "state")}[/] ({Str(e, "policy")}){(Str(e, "dataCenterId") is { Length: > 0 } dc ? $" in {dc}" : string.Empty)}: {Str(e, "reason")}");
        var table = new Table().Title("Candidates").AddColumns("Data center", "Hub", "Verdict", "Score / constraint", "Detail");
        foreach (var r in e.GetProperty("ranked").EnumerateArray())
        {
            var estimate = r.GetProperty("estimate");
            table.AddRow(
                Str(r, "dataCenterId"),
                Str(r, "hubId"),
                "feasible",
                Num(r, "score"),
                $"{Num(r, "latencyMs")} ms, {Num(estimate, "carbonKg")} kgCO2, {Num(estimate, "costCny")} CNY, {Percent(r.GetProperty("utilisation").GetDouble())} used");
        }

        foreach (var x in e.GetProperty("excluded").EnumerateArray())
        {
            table.AddRow(Str(x, "dataCenterId"), Str(x, "hubId"), "ruled out", Str(x, "constraint"), Str(x, "detail"));
        }

        console.Write(table);
    }

    private static string Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? Markup.Escape(v.GetString()!) : "-";

    private static string Num(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
            ? v.TryGetInt64(out var whole) ? whole.ToString(CultureInfo.InvariantCulture) : v.GetDouble().ToString("0.###", CultureInfo.InvariantCulture)
            : "-";

    private static string Cores(JsonElement capacity) =>
        (capacity.GetProperty("cpuMillicores").GetInt64() / 1000.0).ToString("0.#", CultureInfo.InvariantCulture);

    private static string Gpus(JsonElement capacity) =>
        capacity.GetProperty("gpus").EnumerateObject().Sum(g => g.Value.GetInt32()).ToString(CultureInfo.InvariantCulture);

    private static string Percent(double share) => share.ToString("0%", CultureInfo.InvariantCulture);
}
