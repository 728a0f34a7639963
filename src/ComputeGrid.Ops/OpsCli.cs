using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Spectre.Console;

namespace ComputeGrid.Ops;

/// <summary>
/// The <c>cg-ops</c> commands: pool, hubs, data centers, jobs, loans, balances and explain, each a Spectre.Console table
/// of what the REST gateway answers, or with <c>--json</c> the same data as JSON. The base URL and operator key come from
/// <c>--url</c>/<c>--key</c>, else <c>CG_OPS_URL</c>/<c>CG_OPS_KEY</c>, else the development defaults.
/// </summary>
internal static class OpsCli
{
    /// <summary>The width tables get when the output is not a terminal (a pipe or a file): wide enough that no cell wraps.</summary>
    public const int PipedWidth = 400;

    /// <summary><c>--json</c>, on every command: print the gateway's data as JSON instead of tables.</summary>
    public static readonly Option<bool> JsonOption = new("--json")
    {
        Description = "Print the data as JSON (what the gateway answered) instead of tables",
        Recursive = true,
    };

    // Relaxed escaping: --json prints what the gateway answered ("+08:00", not "\u002B08:00"); it goes to a terminal or a file, never into HTML.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The console cg-ops writes to: <paramref name="output"/>, and when it is not a terminal (<paramref name="redirected"/>),
    /// plain text <see cref="PipedWidth"/> columns wide instead of Spectre.Console's 80, so piped tables do not wrap.
    /// </summary>
    public static IAnsiConsole CreateConsole(TextWriter output, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });
        if (redirected)
        {
            console.Profile.Width = PipedWidth;
        }

        return console;
    }

    /// <summary>Writes <paramref name="data"/> as indented JSON, unwrapped whatever the console's width.</summary>
    public static void WriteJson(IAnsiConsole console, JsonElement data) =>
        console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(data, Indented));

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
        var root = new RootCommand("Operators' view of the ComputeGrid national pool") { url, key, JsonOption };

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
        var tenant = new Option<string?>("--tenant") { Description = "Only this tenant's jobs; default every tenant's (operator keys) or the key's own (partner keys)" };
        var file = new Option<FileInfo>("--file") { Description = "The data center as JSON (the body of POST /v1/data-centers)", Required = true };

        root.Subcommands.Add(Leaf("pool", "The pool's totals", (p, g, ct) => PoolAsync(console, g, p.GetValue(JsonOption), ct)));
        root.Subcommands.Add(Leaf("hubs", "Every hub: capacity, use and queue", (p, g, ct) => HubsAsync(console, g, p.GetValue(JsonOption), ct)));
        var dataCenters = new Command("dc", "Data centers: list, register, drain, resume, remove")
        {
            Leaf("list", "Every data center, or one hub's", (p, g, ct) => DataCentersAsync(console, g, p.GetValue(hub), p.GetValue(JsonOption), ct), hub),
            Leaf("register", "Register a data center from a JSON file", async (p, g, ct) =>
            {
                var created = await g.PostAsync("v1/data-centers", await File.ReadAllTextAsync(p.GetValue(file)!.FullName, ct), ct);
                Done(console, p, created, $"registered [green]{Str(created, "id")}[/]");
            }, file),
            Leaf("drain", "Take no new work; running work finishes", (p, g, ct) => ChangeAsync(console, p, g, $"v1/data-centers/{Uri.EscapeDataString(p.GetValue(dataCenterId)!)}/drain", "drained", ct), dataCenterId),
            Leaf("resume", "Put a drained data center back online", (p, g, ct) => ChangeAsync(console, p, g, $"v1/data-centers/{Uri.EscapeDataString(p.GetValue(dataCenterId)!)}/resume", "resumed", ct), dataCenterId),
            Leaf("remove", "Remove a data center (drain it first)", async (p, g, ct) =>
            {
                var removed = await g.DeleteAsync($"v1/data-centers/{Uri.EscapeDataString(p.GetValue(dataCenterId)!)}", ct);
                Done(console, p, removed, $"removed [green]{Markup.Escape(p.GetValue(dataCenterId)!)}[/]");
            }, dataCenterId),
        };
        root.Subcommands.Add(dataCenters);
        root.Subcommands.Add(new Command("jobs", "Jobs: list (every tenant's for an operator key, or one's with --tenant), show, cancel")
        {
            Leaf("list", "Jobs, tenant by tenant, newest first", (p, g, ct) => JobsAsync(console, g, p.GetValue(tenant), p.GetValue(state), p.GetValue(JsonOption), ct), tenant, state),
            Leaf("show", "One job and its history", (p, g, ct) => JobAsync(console, g, p.GetValue(jobId)!, p.GetValue(JsonOption), ct), jobId),
            Leaf("cancel", "Cancel a job", async (p, g, ct) =>
            {
                var job = await g.PostAsync($"v1/jobs/{Uri.EscapeDataString(p.GetValue(jobId)!)}/cancel", null, ct);
                Done(console, p, job, $"{Str(job, "jobId")} is [yellow]{Str(job, "state")}[/]");
            }, jobId),
        });
        root.Subcommands.Add(Leaf("loans", "Capacity loans between hubs", (p, g, ct) => LoansAsync(console, g, p.GetValue(hub), p.GetValue(state), p.GetValue(JsonOption), ct), hub, state));
        root.Subcommands.Add(Leaf("balances", "Every hub's capacity lent and borrowed, and its balance", (p, g, ct) => BalancesAsync(console, g, p.GetValue(JsonOption), ct)));
        root.Subcommands.Add(Leaf("explain", "Why a job waits or runs where it does", (p, g, ct) => ExplainAsync(console, g, p.GetValue(jobId)!, p.GetValue(JsonOption), ct), jobId));
        OpsKeysCli.AddTo(root, console, Leaf);
        OpsArraysCli.AddTo(root, console, Leaf);
        OpsGangsCli.AddTo(root, console, Leaf);
        OpsReservationsCli.AddTo(root, console, Leaf);
        OpsMarketCli.AddTo(root, console, Leaf);

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                console.MarkupLineInterpolated($"[red]error:[/] {error.Message}");
            }

            return 2;
        }

        // Help goes where the tables go, so a test console (and a redirected one) sees it.
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = console.Profile.Out.Writer }, cancellationToken);
    }

    private static async Task PoolAsync(IAnsiConsole console, GatewayConnection gateway, bool json, CancellationToken ct)
    {
        var pool = await gateway.GetAsync("v1/pool", ct);
        if (json)
        {
            WriteJson(console, pool);
            return;
        }

        var table = new Table().Title("Pool").AddColumns("Hubs", "Data centers", "CPU used / capacity (cores)", "GPUs used / capacity", "Queued", "Energy (kWh)", "Carbon (kgCO2)", "Cost (CNY)");
        var executed = pool.GetProperty("executed");
        table.AddRow(
            Num(pool, "hubs"),
            Num(pool, "dataCenters"),
            $"{Cores(pool.GetProperty("used"))} / {Cores(pool.GetProperty("capacity"))}",
            GpuPairs(pool.GetProperty("used"), pool.GetProperty("capacity")),
            Num(pool, "queued"),
            Num(executed, "energyKwh"),
            Num(executed, "carbonKg"),
            Num(executed, "costCny"));
        console.Write(table);
    }

    private static async Task HubsAsync(IAnsiConsole console, GatewayConnection gateway, bool json, CancellationToken ct)
    {
        var hubs = await gateway.GetAsync("v1/hubs", ct);
        if (json)
        {
            WriteJson(console, hubs);
            return;
        }

        var table = new Table().Title("Hubs").AddColumns("Hub", "Name", "Zone", "Data centers", "CPU used / capacity (cores)", "GPUs used / capacity", "Queue", "Energy (kWh)", "Carbon (kgCO2)");
        foreach (var h in hubs.EnumerateArray())
        {
            table.AddRow(
                Str(h, "id"),
                Str(h, "name"),
                Str(h, "zone"),
                h.GetProperty("dataCenterIds").GetArrayLength().ToString(CultureInfo.InvariantCulture),
                $"{Cores(h.GetProperty("used"))} / {Cores(h.GetProperty("capacity"))}",
                GpuPairs(h.GetProperty("used"), h.GetProperty("capacity")),
                Num(h, "queueLength"),
                Num(h.GetProperty("executed"), "energyKwh"),
                Num(h.GetProperty("executed"), "carbonKg"));
        }

        console.Write(table);
    }

    private static async Task DataCentersAsync(IAnsiConsole console, GatewayConnection gateway, string? hubId, bool json, CancellationToken ct)
    {
        var hubs = await gateway.GetAsync("v1/hubs", ct);
        RequireHub(hubs, hubId);
        var dataCenters = new List<JsonElement>();
        foreach (var h in hubs.EnumerateArray().Where(h => hubId is null || h.GetProperty("id").GetString() == hubId))
        {
            dataCenters.AddRange((await gateway.GetAsync($"v1/hubs/{Uri.EscapeDataString(h.GetProperty("id").GetString()!)}/data-centers", ct)).EnumerateArray());
        }

        if (json)
        {
            WriteJson(console, JsonSerializer.SerializeToElement(dataCenters));
            return;
        }

        var table = new Table().Title("Data centers").AddColumns("Data center", "Hub", "Status", "CPU free / capacity (cores)", "GPUs free / capacity", "Jobs", "PUE", "Green");
        foreach (var d in dataCenters)
        {
            var energy = d.GetProperty("energy");
            table.AddRow(
                Str(d, "id"),
                Str(d, "hubId"),
                Str(d, "status"),
                $"{Cores(d.GetProperty("free"))} / {Cores(d.GetProperty("capacity"))}",
                GpuPairs(d.GetProperty("free"), d.GetProperty("capacity")),
                Num(d, "reservations"),
                Num(energy, "pue"),
                Percent(energy.GetProperty("greenShare").GetDouble()));
        }

        console.Write(table);
    }

    private static async Task ChangeAsync(IAnsiConsole console, ParseResult parsed, GatewayConnection gateway, string path, string done, CancellationToken ct)
    {
        var changed = await gateway.PostAsync(path, null, ct);
        Done(console, parsed, changed, $"{done} [green]{Str(changed, "id")}[/] (now {Str(changed, "status")})");
    }

    /// <summary>The answer of a change: as JSON with <c>--json</c>, else the line <paramref name="markup"/>.</summary>
    private static void Done(IAnsiConsole console, ParseResult parsed, JsonElement answer, string markup)
    {
        if (parsed.GetValue(JsonOption))
        {
            WriteJson(console, answer);
        }
        else
        {
            console.MarkupLine(markup);
        }
    }

    private static async Task JobsAsync(IAnsiConsole console, GatewayConnection gateway, string? tenant, string? state, bool json, CancellationToken ct)
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
        if (json)
        {
            WriteJson(console, page);
            return;
        }

        var table = new Table().Title(tenant is null ? "Jobs" : $"Jobs of {Markup.Escape(tenant)}").AddColumns("Job", "Tenant", "State", "Origin", "Data center", "Submitted (UTC)");
        foreach (var j in page.GetProperty("jobs").EnumerateArray())
        {
            table.AddRow(Str(j, "jobId"), Str(j, "tenant"), Str(j, "state"), Str(j, "originHub"), Str(j, "dataCenterId"), Str(j, "submittedAt"));
        }

        console.Write(table);
    }

    private static async Task JobAsync(IAnsiConsole console, GatewayConnection gateway, string jobId, bool json, CancellationToken ct)
    {
        var job = await gateway.GetAsync($"v1/jobs/{Uri.EscapeDataString(jobId)}", ct);
        if (json)
        {
            WriteJson(console, job);
            return;
        }

        var placement = job.GetProperty("placement");
        var summary = new Table().Title($"Job {Markup.Escape(jobId)}").AddColumns("Field", "Value");
        summary.AddRow("State", Str(job, "state"));
        summary.AddRow("Tenant", Str(job, "tenant"));
        summary.AddRow("Origin", Str(job, "originHub"));
        summary.AddRow("Policy", Str(job, "policy"));
        summary.AddRow("Data center", placement.ValueKind == JsonValueKind.Object ? Str(placement, "dataCenterId") : "-");
        summary.AddRow("Reason", placement.ValueKind == JsonValueKind.Object ? Str(placement, "reason")
            : Str(job, "state") is "Blocked" or "Unsatisfiable" && job.GetProperty("events").EnumerateArray().LastOrDefault() is { ValueKind: JsonValueKind.Object } last ? Str(last, "detail")
            : "-");
        summary.AddRow("Priority", $"{Num(job, "priority")} (preemption {Str(job, "preemption")})");
        summary.AddRow("Depends on", DependsOn(job));
        summary.AddRow("Reservation", job.TryGetProperty("reservation", out var reservation) && reservation.ValueKind == JsonValueKind.String ? Markup.Escape(reservation.GetString()!) : "-");
        console.Write(summary);
        var history = new Table().Title("History").AddColumns("#", "State", "At (UTC)", "Data center", "Detail");
        foreach (var e in job.GetProperty("events").EnumerateArray())
        {
            history.AddRow(Num(e, "sequence"), Str(e, "state"), Str(e, "at"), Str(e, "dataCenterId"), Str(e, "detail"));
        }

        console.Write(history);
    }

    /// <summary>A job's dependencies in Slurm's form (<c>afterok:prep, afterany:array:shards</c>), or "-".</summary>
    private static string DependsOn(JsonElement job)
    {
        if (!job.TryGetProperty("dependsOn", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
        {
            return "-";
        }

        return string.Join(", ", list.EnumerateArray().Select(d =>
        {
            var condition = Str(d, "condition").ToLowerInvariant();
            return d.TryGetProperty("arrayId", out var array) && array.ValueKind == JsonValueKind.String
                ? $"{condition}:array:{array.GetString()}"
                : $"{condition}:{Str(d, "jobId")}";
        }));
    }

    private static async Task LoansAsync(IAnsiConsole console, GatewayConnection gateway, string? hubId, string? state, bool json, CancellationToken ct)
    {
        if (hubId is not null)
        {
            RequireHub(await gateway.GetAsync("v1/hubs", ct), hubId);
        }

        var query = "v1/loans?limit=500" + (hubId is null ? string.Empty : $"&hubId={Uri.EscapeDataString(hubId)}") + (state is null ? string.Empty : $"&state={Uri.EscapeDataString(state)}");
        var page = await gateway.GetAsync(query, ct);
        if (json)
        {
            WriteJson(console, page);
            return;
        }

        var table = new Table().Title(hubId is null ? "Loans" : $"Loans of {Markup.Escape(hubId)}").AddColumns("Loan", "Lender", "Borrower", "State", "CPU (cores)", "GPUs", "Jobs", "Charge (CNY)");
        foreach (var l in page.GetProperty("loans").EnumerateArray())
        {
            var usage = l.GetProperty("usage");
            table.AddRow(Str(l, "loanId"), Str(l, "lender"), Str(l, "borrower"), Str(l, "state"), Cores(l.GetProperty("amount")), GpuCounts(l.GetProperty("amount")), Num(usage, "jobs"), Num(usage, "chargeCny"));
        }

        console.Write(table);
    }

    private static async Task BalancesAsync(IAnsiConsole console, GatewayConnection gateway, bool json, CancellationToken ct)
    {
        var balances = await gateway.GetAsync("v1/balances", ct);
        if (json)
        {
            WriteJson(console, balances);
            return;
        }

        var table = new Table().Title("Balances").AddColumns("Hub", "Lent now (cores)", "Borrowed now (cores)", "Loans lent", "Loans borrowed", "Earned (CNY)", "Paid (CNY)", "Balance (CNY)");
        foreach (var b in balances.EnumerateArray())
        {
            table.AddRow(Str(b, "hubId"), Cores(b.GetProperty("lentNow")), Cores(b.GetProperty("borrowedNow")), Num(b, "loansLent"), Num(b, "loansBorrowed"), Num(b, "earnedCny"), Num(b, "paidCny"), Num(b, "balanceCny"));
        }

        console.Write(table);
    }

    private static async Task ExplainAsync(IAnsiConsole console, GatewayConnection gateway, string jobId, bool json, CancellationToken ct)
    {
        var e = await gateway.GetAsync($"v1/jobs/{Uri.EscapeDataString(jobId)}/explain", ct);
        if (json)
        {
            WriteJson(console, e);
            return;
        }

        console.MarkupLineInterpolated($"Job [bold]{e.GetProperty("jobId").GetString()}[/] is [yellow]{e.GetProperty("state").GetString()}[/] ({e.GetProperty("policy").GetString()}){(e.GetProperty("dataCenterId").GetString() is { Length: > 0 } dc ? $" in {dc}" : string.Empty)}: {e.GetProperty("reason").GetString()}");
        var table = new Table().Title("Candidates").AddColumns("Data center", "Hub", "Verdict", "Score / constraint", "Detail");
        foreach (var r in e.GetProperty("ranked").EnumerateArray())
        {
            var estimate = r.GetProperty("estimate");
            table.AddRow(
                Str(r, "dataCenterId"),
                Str(r, "hubId"),
                "feasible",
                Num(r, "score"),
                $"{Num(r, "latencyMs")} ms, {Num(estimate, "carbonKg")} kgCO2, {Num(estimate, "costCny")} CNY, {Percent(r.GetProperty("utilisation").GetDouble())} used; {Str(r, "route")}");
        }

        foreach (var x in e.GetProperty("excluded").EnumerateArray())
        {
            table.AddRow(Str(x, "dataCenterId"), Str(x, "hubId"), "ruled out", Str(x, "constraint"), Str(x, "detail"));
        }

        console.Write(table);
    }

    /// <summary>Fails (exit code 1) when <paramref name="hubId"/> names no hub of <paramref name="hubs"/>, listing the hubs there are.</summary>
    private static void RequireHub(JsonElement hubs, string? hubId)
    {
        var ids = hubs.EnumerateArray().Select(h => h.GetProperty("id").GetString()!).ToList();
        if (hubId is not null && !ids.Contains(hubId, StringComparer.Ordinal))
        {
            throw new GatewayCallException($"unknown hub '{hubId}'; the hubs are {string.Join(", ", ids)}");
        }
    }

    private static string Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? Markup.Escape(v.GetString()!) : "-";

    private static string Num(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
            ? v.TryGetInt64(out var whole) ? whole.ToString(CultureInfo.InvariantCulture) : v.GetDouble().ToString("0.###", CultureInfo.InvariantCulture)
            : "-";

    private static string Cores(JsonElement capacity) =>
        (capacity.GetProperty("cpuMillicores").GetInt64() / 1000.0).ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>GPUs per model, never added across models: "A800 256, 910B 64"; "-" without GPUs.</summary>
    internal static string GpuCounts(JsonElement amount)
    {
        var models = amount.GetProperty("gpus").EnumerateObject().Where(g => g.Value.GetInt32() != 0).Select(g => $"{g.Name} {g.Value.GetInt32().ToString(CultureInfo.InvariantCulture)}").ToList();
        return models.Count == 0 ? "-" : Markup.Escape(string.Join(", ", models));
    }

    /// <summary>GPUs of each model of <paramref name="capacity"/> as "part / capacity": "A800 200 / 256, 910B 64 / 64"; "-" without GPUs.</summary>
    internal static string GpuPairs(JsonElement part, JsonElement capacity)
    {
        var have = part.GetProperty("gpus");
        var models = capacity.GetProperty("gpus").EnumerateObject().Where(g => g.Value.GetInt32() != 0).Select(g =>
        {
            var n = have.TryGetProperty(g.Name, out var v) ? v.GetInt32() : 0;
            return $"{g.Name} {n.ToString(CultureInfo.InvariantCulture)} / {g.Value.GetInt32().ToString(CultureInfo.InvariantCulture)}";
        }).ToList();
        return models.Count == 0 ? "-" : Markup.Escape(string.Join(", ", models));
    }

    private static string Percent(double share) => share.ToString("0%", CultureInfo.InvariantCulture);
}
