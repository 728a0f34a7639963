using System.CommandLine;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Replay.Load;
using ComputeGrid.Replay.Mapping;
using ComputeGrid.Replay.Optimum;
using ComputeGrid.Replay.Reports;
using ComputeGrid.Replay.Running;
using ComputeGrid.Replay.Traces;
using Spectre.Console;

var trace = new Argument<FileInfo>("trace") { Description = "The trace: SWF (.swf, .swf.gz) or an Alibaba GPU openb_pod_list .csv" };
var maxJobs = new Option<int>("--max-jobs") { Description = "Replay at most this many jobs (after --skip-jobs)", DefaultValueFactory = _ => 2000 };
var skipJobs = new Option<int>("--skip-jobs") { Description = "Skip this many jobs from the trace's start", DefaultValueFactory = _ => 0 };
var policies = new Option<string>("--policies")
{
    Description = "Comma-separated policies: " + string.Join(", ", ReplayPolicies.All.Select(p => p.Name())),
    DefaultValueFactory = _ => string.Join(',', ReplayPolicies.All.Select(p => p.Name())),
};
var output = new Option<DirectoryInfo>("--out") { Description = "Where report.md, report.json and the SVG charts go", DefaultValueFactory = _ => new DirectoryInfo("replay-out") };
var origins = new Option<string>("--origin-weights")
{
    Description = "Users spread over origin hubs by weight, hub=weight,...; default the eastern hubs by population (millions)",
    DefaultValueFactory = _ => string.Join(',', OriginRule.EasternPopulation.Select(kv => FormattableString.Invariant($"{kv.Key}={kv.Value}"))),
};
var gpuModel = new Option<string>("--gpu-model") { Description = "The topology GPU model for trace GPUs of a non-training model, or all of them without a node list", DefaultValueFactory = _ => "910B" };
var trainingGpuModel = new Option<string>("--training-gpu-model") { Description = "The topology GPU model for trace models that come in nodes of 8+ GPUs", DefaultValueFactory = _ => "A800" };
var gpuMap = new Option<string>("--gpu-map") { Description = "Trace GPU model to topology model, overriding the default: G2=A800,T4=910B,...", DefaultValueFactory = _ => string.Empty };
var nodeList = new Option<FileInfo?>("--node-list") { Description = "The Alibaba trace's openb_node_list .csv; default the one next to the pod list, if any" };
var memoryPerCore = new Option<long>("--memory-per-core") { Description = "MiB per core for jobs whose trace gives no memory", DefaultValueFactory = _ => 4096 };
var settle = new Option<int>("--settle-ms") { Description = "Wall-clock ms newly waiting jobs get to be placed (a loan negotiated) before virtual time moves on", DefaultValueFactory = _ => 300 };
var streamPoll = new Option<int>("--stream-poll-ms") { Description = "How often the federation's loan streams poll, wall-clock ms (Orleans' default is 100)", DefaultValueFactory = _ => 5 };
var arrivalWindow = new Option<double>("--arrival-window-minutes")
{
    Description = "How far back a hub's arrivals size its loans (LoanOptions.ArrivalWindow), federation-clock minutes, 0..1440; 0 sizes loans by the waiting jobs alone",
    DefaultValueFactory = _ => 10,
};
var predictiveMaxWait = new Option<double>("--predictive-max-wait-minutes")
{
    Description = "How long a greenest-predictive job may wait for its full greenest data center (ComputeGrid:PredictiveMaxWait), federation-clock minutes, 0..10080",
    DefaultValueFactory = _ => 60,
};
var budget = new Option<double>("--budget-minutes") { Description = "Wall-clock budget per policy; jobs not ended by then count as not completed", DefaultValueFactory = _ => 10 };
var topologyPath = new Option<FileInfo?>("--topology") { Description = "The topology file; default the national topology shipped with the silo" };
var loads = new Option<string?>("--load", "--loads")
{
    Description = "Loads to replay at, comma-separated (0 < X <= 2): the trace's mean demand over the whole pool's capacity, reached by scaling every data center's capacity (and arrivals only when a job would fit nowhere); default the topology as it is",
};
var capacityScale = new Option<double?>("--capacity-scale") { Description = "Every data center's capacity (and hub quota) times this, instead of --load" };
var speedup = new Option<double?>("--speedup") { Description = "Arrivals compressed this many times (run times unchanged), instead of --load; at least 1" };
var withOptimum = new Option<bool>("--optimum") { Description = "Compute the offline optimum (LP lower bounds on carbon and cost) and compare every policy with it", DefaultValueFactory = _ => true };
var maxWait = new Option<double>("--max-wait") { Description = "The optimum's wait bound, hours: each job's work is done within [arrival, arrival + max wait + run time]", DefaultValueFactory = _ => 24 };
var disciplineList = new Option<string>("--queue-discipline", "--queue-disciplines")
{
    Description = "Comma-separated queue disciplines the federation's regions run, each a replay of its own: backfill, fair-share, strict-priority (docs/scheduling.md#backfill)",
    DefaultValueFactory = _ => "backfill",
};
var slotMinutes = new Option<double>("--slot-minutes") { Description = "The optimum's time slot, minutes (capacity holds on each slot's average)", DefaultValueFactory = _ => 60 };

var root = new RootCommand("Replays a workload trace through an in-process ComputeGrid federation and compares placement policies.")
{
    trace, maxJobs, skipJobs, policies, output, origins, gpuModel, trainingGpuModel, gpuMap, nodeList, memoryPerCore, settle, streamPoll, arrivalWindow, predictiveMaxWait, budget, topologyPath,
    loads, capacityScale, speedup, withOptimum, maxWait, slotMinutes, disciplineList,
};

root.SetAction(async (parse, cancellationToken) =>
{
    var redirected = Console.IsOutputRedirected;
    var console = ReplayConsole.Create(Console.Out, redirected);
    var file = parse.GetValue(trace)!;
    var chosen = new List<ReplayPolicy>();
    foreach (var name in parse.GetValue(policies)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
    {
        if (ReplayPolicies.Parse(name) is not { } policy)
        {
            console.MarkupLineInterpolated($"[red]unknown policy '{name}'[/]");
            return 2;
        }

        chosen.Add(policy);
    }

    OriginRule rule;
    IReadOnlyDictionary<string, string> gpuOverrides;
    IReadOnlyList<QueueDiscipline> disciplines;
    try
    {
        rule = OriginRule.Parse(parse.GetValue(origins)!);
        gpuOverrides = GpuModelRule.ParseTable(parse.GetValue(gpuMap)!);
        disciplines = DisciplineComparison.Parse(parse.GetValue(disciplineList)!);
    }
    catch (Exception e) when (e is FormatException or ArgumentException)
    {
        console.MarkupLineInterpolated($"[red]{e.Message}[/]");
        return 2;
    }

    if (!file.Exists)
    {
        console.MarkupLineInterpolated($"[red]no such trace: {file.FullName}[/]");
        return 2;
    }

    var topology = TopologyLoader.Load(parse.GetValue(topologyPath)?.FullName ?? Path.Combine(AppContext.BaseDirectory, "Topology", "national.json"));
    var unknownHub = rule.Weights.Select(w => w.Key).FirstOrDefault(h => !topology.Hubs.ContainsKey(h));
    if (unknownHub is not null)
    {
        console.MarkupLineInterpolated($"[red]--origin-weights names an unknown hub '{unknownHub}'[/]");
        return 2;
    }

    var read = TraceFile.Read(file.FullName);
    var nodes = parse.GetValue(nodeList) ?? (read.Format.StartsWith("Alibaba", StringComparison.Ordinal)
        ? file.Directory?.GetFiles("openb_node_list*.csv*").OrderBy(f => f.Name, StringComparer.Ordinal).FirstOrDefault()
        : null);
    var inventory = nodes is { Exists: true } ? AlibabaNodeReader.Read(nodes.FullName) : null;
    var unknownModel = gpuOverrides.Values.Append(parse.GetValue(gpuModel)!).Append(parse.GetValue(trainingGpuModel)!)
        .FirstOrDefault(m => !topology.DataCenters.Values.Any(d => d.Capacity.GpusOf(m) > 0));
    if (unknownModel is not null)
    {
        console.MarkupLineInterpolated($"[red]no data center of the topology has GPU model '{unknownModel}'[/]");
        return 2;
    }

    var jobs = read.Jobs.Skip(Math.Max(0, parse.GetValue(skipJobs))).Take(Math.Max(0, parse.GetValue(maxJobs))).ToList();
    if (jobs.Count > 0 && jobs[0].Submit > TimeSpan.Zero)
    {
        var offset = jobs[0].Submit;
        jobs = [.. jobs.Select(j => j with { Submit = j.Submit - offset })];
    }

    console.MarkupLineInterpolated($"[bold]{file.Name}[/]: {read.Format}, {read.Jobs.Count} usable jobs, {read.Malformed} malformed lines, {read.Unusable} unusable jobs{(read.Truncated ? ", file truncated" : string.Empty)}; replaying {jobs.Count}.");
    if (inventory is not null)
    {
        console.MarkupLineInterpolated($"{nodes!.Name}: {inventory.Describe()}");
    }

    console.MarkupLineInterpolated($"[grey]Citation: {read.Citation}[/]");

    var mapper = new JobMapper(rule, parse.GetValue(memoryPerCore), parse.GetValue(gpuModel)!, Path.GetFileNameWithoutExtension(file.Name).Split('.', '-')[0].ToLowerInvariant())
    {
        GpuModels = inventory is null ? null : GpuModelRule.ForInventory(inventory, parse.GetValue(trainingGpuModel)!, parse.GetValue(gpuModel)!, gpuOverrides),
    };
    var settings = ReplaySettings.For(mapper) with
    {
        Settle = TimeSpan.FromMilliseconds(Math.Max(0, parse.GetValue(settle))),
        Budget = TimeSpan.FromMinutes(Math.Max(0.1, parse.GetValue(budget))),
        StreamPoll = TimeSpan.FromMilliseconds(Math.Clamp(parse.GetValue(streamPoll), 1, 1000)),
        ArrivalWindow = TimeSpan.FromMinutes(Math.Clamp(parse.GetValue(arrivalWindow), 0, 1440)),
        PredictiveMaxWait = TimeSpan.FromMinutes(Math.Clamp(parse.GetValue(predictiveMaxWait), 0, 10080)),
        MappingTopology = topology,
    };
    var hubIds = topology.Hubs.Keys.Order(StringComparer.Ordinal).ToList();
    var requests = jobs.Select((j, i) => mapper.ToRequest(j, i, LoadComparison.Baseline, topology, hubIds)).ToList();
    List<(LoadPlan? Plan, double Scale, double Speedup)> scenarios;
    try
    {
        scenarios = LoadOptions.Scenarios(parse.GetValue(loads), parse.GetValue(capacityScale), parse.GetValue(speedup), requests, [.. jobs.Select(j => j.Submit)], topology);
    }
    catch (Exception e) when (e is FormatException or ArgumentException)
    {
        console.MarkupLineInterpolated($"[red]{e.Message}[/]");
        return 2;
    }

    var optimumSettings = new OptimumSettings(TimeSpan.FromMinutes(Math.Max(1, parse.GetValue(slotMinutes))), TimeSpan.FromHours(Math.Max(0, parse.GetValue(maxWait))));
    // The trace's short name for the closing lines: kth, openb.
    var traceName = mapper.TenantPrefix.Split('_')[0];
    var lines = new List<string>();
    var disciplineRows = new List<DisciplineRow>();
    var violations = false;
    foreach (var (plan, scale, compress) in scenarios)
    {
        var loaded = LoadScaling.Scale(topology, scale);
        var runJobs = LoadScaling.Compress(jobs, compress);
        var load = plan?.Achieved ?? LoadOptions.LoadOf(requests, runJobs, loaded);
        if (plan is not null || scale != 1 || compress != 1)
        {
            console.MarkupLineInterpolated($"[bold]Load {load:F3}[/]{(plan is null ? string.Empty : $" (asked {plan.Target:F2})")}: capacity x {scale:G4}, arrivals compressed {compress:G4}x.");
        }

        OptimumResult? optimum = null;
        foreach (var discipline in disciplines)
        {
            var runner = new ReplayRunner(loaded, settings with { Discipline = discipline });
            var results = new List<PolicyResult>();
            if (redirected)
            {
                foreach (var policy in chosen)
                {
                    console.WriteLine($"{policy.Name()} ({discipline.Name()}): replaying {runJobs.Count} jobs");
                    results.Add(await runner.RunAsync(runJobs, policy, _ => { }, cancellationToken));
                }
            }
            else
            {
                await console.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        var tasks = chosen.ToDictionary(p => p, p => ctx.AddTask($"{p.Name()} ({discipline.Name()})", autoStart: false, maxValue: Math.Max(1, runJobs.Count)));
                        foreach (var policy in chosen)
                        {
                            var task = tasks[policy];
                            task.StartTask();
                            results.Add(await runner.RunAsync(runJobs, policy, n => task.Value = n, cancellationToken));
                            task.Value = task.MaxValue;
                            task.StopTask();
                        }
                    });
            }

            if (parse.GetValue(withOptimum) && optimum is null)
            {
                optimum = OfflineOptimum.Solve([.. requests.Select((r, i) => new OptimumJob(r, runJobs[i].Submit))], loaded, optimumSettings);
            }

            var mapping = new[]
            {
                $"Mapping: users spread over origin hubs by weight ({string.Join(", ", rule.Weights.Select(w => FormattableString.Invariant($"{w.Key} {w.Value}")))}) by a stable hash of the user (Alibaba: of the pod name, as the pod list names no user; the tenant is the QoS class); a GPU job only over hubs with its GPU model.",
                $"Mapping: processors x 1000 millicores; memory from the trace, else {mapper.MemoryMiBPerCore} MiB per core; a fractional GPU counts as one; QoS LS is Regional (20 ms), everything else Batch; run time from the trace, at most 30 days.",
                mapper.GpuModels?.Describe() ?? $"Mapping: trace GPUs become {mapper.GpuModel} GPUs (no node list).",
                $"Replay: virtual clock from event to event; newly waiting jobs get {settings.Settle.TotalMilliseconds} ms of wall time to be placed before virtual time moves on.",
                FormattableString.Invariant($"Optimum: LP relaxation over {optimumSettings.Slot.TotalMinutes:F0}-minute slots, each job's work within [arrival, arrival + {optimumSettings.MaxWait.TotalHours:G4} h + run time] (docs/evaluation.md)."),
            };
            var command = $"dotnet run -c Release --project src/ComputeGrid.Replay -- {string.Join(' ', args)}";
            var built = ReplayReport.Build(file.Name, read, runJobs.Count, command, results, loaded, mapping, inventory is null ? null : $"{nodes!.Name}: {inventory.Describe()}");
            var comparison = LoadComparison.Build(traceName, load, optimum, built.Rows);
            var report = built with { Load = plan, Comparison = comparison };
            var dir = scenarios.Count > 1 || plan is not null
                ? new DirectoryInfo(Path.Combine(parse.GetValue(output)!.FullName, FormattableString.Invariant($"load-{plan?.Target ?? load:0.###}")))
                : parse.GetValue(output)!;
            if (disciplines.Count > 1)
            {
                // One report per discipline: the policies' rows and savings compare runs under the same discipline.
                dir = new DirectoryInfo(Path.Combine(dir.FullName, discipline.Name()));
            }

            dir.Create();
            var gpu = results.SelectMany(r => r.Jobs).Any(j => j.GpuHours > 0);
            var charts = new List<string>();
            foreach (var result in results)
            {
                var name = $"utilisation-{result.Policy.Name()}.svg";
                await File.WriteAllTextAsync(Path.Combine(dir.FullName, name), SvgCharts.Utilisation($"{file.Name}: {(gpu ? "GPU" : "CPU")} utilisation per hub, {result.Policy.Name()}", result.Samples, gpu), cancellationToken);
                charts.Add(name);
            }

            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "carbon.svg"), SvgCharts.Carbon($"{file.Name}: carbon per policy (kgCO2)", report.Rows), cancellationToken);
            charts.Insert(0, "carbon.svg");
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "report.md"), report.ToMarkdown(charts), cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "report.json"), report.ToJson(), cancellationToken);

            ReplayConsole.Write(console, ReplayConsole.PolicyTable(report.Rows), redirected);
            ReplayConsole.Write(console, ReplayConsole.UtilisationTable(report.Rows), redirected);
            foreach (var r in results)
            {
                console.MarkupLineInterpolated($"[grey]{r.Policy.Name()}: {r.WallTime.TotalSeconds:F1} s wall ({string.Join(", ", r.Phases.Select(p => FormattableString.Invariant($"{p.Key} {p.Value.TotalSeconds:F1} s")))})[/]");
            }

            if (optimum is not null)
            {
                console.MarkupLineInterpolated($"Optimum: carbon >= {(optimum.Carbon.Feasible ? optimum.Carbon.Value.ToString("N1", System.Globalization.CultureInfo.InvariantCulture) : "infeasible")} kgCO2, cost >= {(optimum.Cost.Feasible ? optimum.Cost.Value.ToString("N1", System.Globalization.CultureInfo.InvariantCulture) : "infeasible")} CNY; {optimum.Describe()}");
            }

            if (comparison.Rows.Count > 0)
            {
                ReplayConsole.Write(console, comparison.ToTable(), redirected);
            }

            console.MarkupLineInterpolated($"Report: {Path.Combine(dir.FullName, "report.md")} (and report.json, {charts.Count} SVG charts)");
            lines.Add((disciplines.Count > 1 ? discipline.Name() + ": " : string.Empty) + comparison.Line());
            disciplineRows.AddRange(results.Select(r => DisciplineComparison.Row(traceName, load, r, loaded)));
            violations |= report.Rows.Any(r => r.LatencyViolations > 0);
        }
    }

    if (disciplines.Count > 1)
    {
        ReplayConsole.Write(console, DisciplineComparison.ToTable(disciplineRows), redirected);
        await File.WriteAllTextAsync(Path.Combine(parse.GetValue(output)!.FullName, "disciplines.md"), DisciplineComparison.ToMarkdown(disciplineRows), cancellationToken);
    }

    console.MarkupLineInterpolated($"[grey]Citation: {read.Citation}[/]");
    foreach (var line in lines)
    {
        console.WriteLine(line);
    }

    return violations ? 1 : 0;
});

return await root.Parse(args).InvokeAsync();
