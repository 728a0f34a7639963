using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using ComputeGrid.Client;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using Microsoft.Extensions.DependencyInjection;

namespace ComputeGrid.Ops.Tests;

/// <summary>
/// The monitoring shipped in deploy/: Prometheus' configuration and alert rules checked and unit-tested by promtool (Debian
/// package <c>prometheus</c>; scripts/test.sh installs it), and the Grafana dashboard's and the alerts' queries against
/// what a real silo exports on its management port.
/// </summary>
[Collection(SiloHostCollection.Name)]
public sealed class DeployTests(SiloHostFixture host)
{
    private static readonly string Deploy = Path.Combine(OpsPageTests.RepositoryRoot(), "deploy");
    private static readonly string Rules = Path.Combine(Deploy, "prometheus", "alerts.yml");
    private static readonly string Dashboard = Path.Combine(Deploy, "grafana", "dashboards", "computegrid-federation.json");

    /// <summary>Series Prometheus makes itself for every target, which no exporter writes.</summary>
    private static readonly string[] SyntheticSeries = ["up"];

    /// <summary>PromQL words that are not metric names.</summary>
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal) { "and", "or", "unless", "bool", "offset", "inf", "nan" };

    [Fact]
    public async Task Promtool_passes_the_prometheus_configuration_and_the_alert_rules()
    {
        var config = await PromtoolAsync("check", "config", Path.Combine(Deploy, "prometheus", "prometheus.yml"));
        var rules = await PromtoolAsync("check", "rules", Rules);

        Assert.True(config.ExitCode == 0, config.Output);
        Assert.True(rules.ExitCode == 0, rules.Output);
        Assert.Contains("SUCCESS: 7 rules found", rules.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_alert_rule_passes_its_promtool_unit_tests()
    {
        var tested = await PromtoolAsync("test", "rules", Path.Combine(Deploy, "prometheus", "alerts.test.yml"));

        Assert.True(tested.ExitCode == 0, tested.Output);
        Assert.Contains("SUCCESS", tested.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_alert_rule_has_a_unit_test_and_the_alerts_the_operators_asked_for_exist()
    {
        var alerts = Regex.Matches(File.ReadAllText(Rules), "^\\s*- alert: (\\S+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        var tests = File.ReadAllText(Path.Combine(Deploy, "prometheus", "alerts.test.yml"));

        Assert.Equal(
            ["ComputeGridDataCenterOffline", "ComputeGridLoanStuckRecalling", "ComputeGridOldestQueuedJobTooOld", "ComputeGridRequestsRateLimited", "ComputeGridRequestsRejected", "ComputeGridSiloDown", "ComputeGridStorageErrors"],
            alerts.Order(StringComparer.Ordinal));
        Assert.All(alerts, alert => Assert.Matches($"alertname: {alert}\\s+exp_alerts:\\s+- exp_labels", tests));
    }

    [Fact]
    public void The_dashboard_queries_the_provisioned_data_source_and_has_the_ops_views_and_the_runtime()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Dashboard));
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray().ToList();
        var datasource = File.ReadAllText(Path.Combine(Deploy, "grafana", "provisioning", "datasources", "prometheus.yml"));

        Assert.Contains("uid: computegrid-prometheus", datasource, StringComparison.Ordinal);
        Assert.All(
            panels.Where(p => p.GetProperty("type").GetString() != "row"),
            p => Assert.Equal("computegrid-prometheus", p.GetProperty("datasource").GetProperty("uid").GetString()));
        var titles = panels.Select(p => p.GetProperty("title").GetString()).ToList();
        Assert.Contains("Queue length per hub", titles);
        Assert.Contains("Oldest queued job per hub", titles);
        Assert.Contains("Loans by pair of hubs", titles);
        Assert.Contains("Jobs submitted and placed per minute", titles);
        Assert.Contains("West share of the cores in use", titles);
        Assert.Contains("Silos' runtime", titles);
        Assert.Contains("Memory per silo", titles);
    }

    [Fact]
    public async Task Every_metric_the_dashboard_and_the_alert_rules_query_is_one_a_real_silo_exports()
    {
        var queried = DashboardQueries().Concat(RuleQueries()).SelectMany(MetricNames).Except(SyntheticSeries).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("computegrid_queue_oldest_age_seconds", queried);
        Assert.Contains("dotnet_process_memory_working_set_bytes", queried);

        // What an operator's silo has seen by then: jobs placed and finished, a loan, a data center with an agent.
        var grid = host.Services.GetRequiredService<IComputeGridClient>();
        var spec = new DataCenterSpec("dashboard-agent-dc", "Dashboard agent test", "gansu", new GeoPoint(36.0, 103.8), ResourceVector.Of(8_000, 32_768, []), new EnergyProfile(1.2, 0.5, 0.5, 0.4));
        await grid.Admin.RegisterDataCenterAsync(spec);
        await grid.Admin.IssueAgentAsync(spec.Id, "dashboard-agent", ["ops"]);
        var finished = await host.SubmitAsync(new { originHub = "gba", resources = new { cpuMillicores = 1000, memoryMiB = 1024 }, runTimeSeconds = 1, allowedHubs = new[] { "gba" } });
        var borrowing = await host.SubmitAsync(new
        {
            originHub = "yangtze", resources = new { cpuMillicores = 2000, memoryMiB = 2048 }, runTimeSeconds = 3600, latencyClass = "Batch", allowedHubs = new[] { "guizhou" },
        });
        try
        {
            await Eventually.TrueAsync(async () => await host.StateOfAsync(finished.GetProperty("jobId").GetString()!) == "Succeeded", "the short job succeeds");
            using var http = new HttpClient { BaseAddress = host.ManagementAddress };
            var exported = new HashSet<string>(StringComparer.Ordinal);
            await Eventually.TrueAsync(
                async () =>
                {
                    var text = await http.GetStringAsync(new Uri("metrics", UriKind.Relative));
                    exported = Regex.Matches(text, "^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
                    return queried.IsSubsetOf(exported);
                },
                "every metric the dashboard and the alerts query is on the scrape",
                TimeSpan.FromSeconds(60),
                describe: () => Task.FromResult($"not exported: {string.Join(", ", queried.Except(exported).Order(StringComparer.Ordinal))}"));
        }
        finally
        {
            using var partner = host.Client(SiloHostFixture.PartnerKey);
            using var cancelled = await partner.PostAsync(new Uri($"v1/jobs/{borrowing.GetProperty("jobId").GetString()}/cancel", UriKind.Relative), null);
            await grid.Admin.DrainDataCenterAsync(spec.Id);
            await grid.Admin.RemoveDataCenterAsync(spec.Id);
        }
    }

    [Theory]
    [InlineData("sum(rate(computegrid_job_transitions_total{state=\"Pending\"}[5m])) * 60", "computegrid_job_transitions_total")]
    [InlineData("histogram_quantile(0.95, sum by (le, instance) (rate(orleans_storage_write_latency_milliseconds_bucket[5m])))", "orleans_storage_write_latency_milliseconds_bucket")]
    [InlineData("max by (hub) (computegrid_cpu_used_cores) / max by (hub) (computegrid_cpu_capacity_cores)", "computegrid_cpu_used_cores computegrid_cpu_capacity_cores")]
    [InlineData("up{job=\"computegrid-silo\"} == 0", "up")]
    [InlineData("sum(up) and on (instance) dotnet_timer_count", "up dotnet_timer_count")]
    public void Metric_names_are_read_from_a_query_without_its_functions_labels_and_keywords(string query, string names) =>
        Assert.Equal(names.Split(' ').Order(StringComparer.Ordinal), MetricNames(query).Distinct().Order(StringComparer.Ordinal));

    /// <summary>The metric names a PromQL expression reads: identifiers left once strings, label matchers, grouping clauses and ranges are gone, that call nothing and are no keyword.</summary>
    private static IEnumerable<string> MetricNames(string query)
    {
        var bare = Regex.Replace(query, "\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"");
        bare = Regex.Replace(bare, "\\{[^}]*\\}", " ");
        bare = Regex.Replace(bare, "\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
        bare = Regex.Replace(bare, "\\[[^\\]]*\\]", " ");
        return Regex.Matches(bare, "(?<![\\w.])[a-zA-Z_:][a-zA-Z0-9_:]*\\b(?!\\s*\\()").Select(m => m.Value).Where(name => !Keywords.Contains(name));
    }

    private static IEnumerable<string> DashboardQueries()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Dashboard));
        return [.. dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!)];
    }

    private static IEnumerable<string> RuleQueries() =>
        Regex.Matches(File.ReadAllText(Rules), "^\\s*expr: (.+)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value.Trim());

    private static async Task<(int ExitCode, string Output)> PromtoolAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("promtool") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.Combine(Deploy, "prometheus") };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"promtool could not be started ({e.Message}): run scripts/test.sh, the README's test command (it installs the Debian package 'prometheus')", e);
        }

        using (process)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var errors = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, $"{await output}{await errors}");
        }
    }
}
