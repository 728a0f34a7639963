using System.Text.RegularExpressions;
using ComputeGrid.Client;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using Microsoft.Extensions.DependencyInjection;

namespace ComputeGrid.Ops.Tests;

[Collection(SiloHostCollection.Name)]
public sealed class MetricsTests(SiloHostFixture host)
{
    /// <summary>A sample value above zero, as the exporter writes it (plain or with an exponent).</summary>
    private const string Positive = "(?:[1-9]|0\\.[0-9]*[1-9])";

    [Fact]
    public async Task Metrics_expose_jobs_by_state_and_hub_placement_latency_queues_loans_energy_and_carbon_after_jobs_flow()
    {
        var job = await host.SubmitAsync(new { originHub = "gba", resources = new { cpuMillicores = 2000, memoryMiB = 4096 }, runTimeSeconds = 1, allowedHubs = new[] { "gba" } });
        var jobId = job.GetProperty("jobId").GetString()!;
        await Eventually.TrueAsync(async () => await host.StateOfAsync(jobId) == "Succeeded", "the job succeeds");

        var text = await ScrapeUntilAsync(
            t => t.Contains("computegrid_job_transitions_total{", StringComparison.Ordinal) && t.Contains("state=\"Succeeded\"", StringComparison.Ordinal)
                && Regex.IsMatch(t, "computegrid_carbon_grams_total\\{[^}]*hub=\"gba\"[^}]*\\} " + Positive),
            "the scrape shows the finished job and its carbon");

        Assert.Contains("computegrid_jobs{", text, StringComparison.Ordinal);
        Assert.Contains("hub=\"gba\"", text, StringComparison.Ordinal);
        Assert.Contains("computegrid_placement_latency_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.Contains("computegrid_queue_length{", text, StringComparison.Ordinal);
        Assert.Contains("computegrid_loans_lent_cpu_cores{", text, StringComparison.Ordinal);
        Assert.Matches("computegrid_energy_joules_total\\{[^}]*hub=\"gba\"[^}]*\\} " + Positive, text);
        Assert.Contains("computegrid_cost_cny_total{", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_jobs_gauge_shows_current_states_only_never_finished_jobs()
    {
        var job = await host.SubmitAsync(new { originHub = "gansu", resources = new { cpuMillicores = 1000, memoryMiB = 1024 }, runTimeSeconds = 1, allowedHubs = new[] { "gansu" } });
        var jobId = job.GetProperty("jobId").GetString()!;
        await Eventually.TrueAsync(async () => await host.StateOfAsync(jobId) == "Succeeded", "the job succeeds");

        var text = await ScrapeUntilAsync(t => t.Contains("computegrid_job_transitions_total{", StringComparison.Ordinal) && t.Contains("state=\"Succeeded\"", StringComparison.Ordinal), "the scrape counts the success");

        Assert.DoesNotMatch("computegrid_jobs\\{[^}]*state=\"(Succeeded|Failed|Cancelled)\"", text);
    }

    [Fact]
    public async Task Metric_names_are_lower_case_with_base_units_and_the_silo_names_its_service()
    {
        var text = await ScrapeUntilAsync(t => t.Contains("computegrid_cpu_capacity_cores{", StringComparison.Ordinal), "the pool's gauges are observed");

        Assert.Matches("target_info\\{[^}]*service_name=\"computegrid-silo\"", text);
        var names = Regex.Matches(text, "^(computegrid_[^{ ]+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(names);
        Assert.All(names, name => Assert.Matches("^[a-z0-9_]+$", name));
        Assert.DoesNotContain(names, name => name.Contains("kwh", StringComparison.OrdinalIgnoreCase) || name.Contains("millicore", StringComparison.Ordinal));
        Assert.Matches("computegrid_cpu_capacity_cores\\{[^}]*hub=\"yangtze\"[^}]*\\} [1-9]", text);
    }

    [Fact]
    public async Task Metrics_show_gpus_by_model_data_center_status_and_agents_per_data_center()
    {
        var grid = host.Services.GetRequiredService<IComputeGridClient>();
        var spec = new DataCenterSpec(
            "metrics-agent-dc", "Metrics agent test", "chengyu", new GeoPoint(30.6, 104.1), ResourceVector.Of(16_000, 65_536, [new("MTX", 8)]), new EnergyProfile(1.2, 0.5, 0.5, 0.4));
        await grid.Admin.RegisterDataCenterAsync(spec);
        await grid.Admin.IssueAgentAsync(spec.Id, "metrics-agent", ["ops"]);
        try
        {
            var text = await ScrapeUntilAsync(
                t => t.Contains("computegrid_agents_issued{", StringComparison.Ordinal) && t.Contains("data_center=\"metrics-agent-dc\"", StringComparison.Ordinal),
                "the scrape shows the new data center's agent");

            Assert.Matches("computegrid_gpu_capacity\\{[^}]*hub=\"chengyu\"[^}]*model=\"MTX\"[^}]*\\} 8", text);
            Assert.Matches("computegrid_gpu_used\\{[^}]*hub=\"chengyu\"[^}]*model=\"MTX\"[^}]*\\} 0", text);
            Assert.Matches("computegrid_datacenter_status\\{[^}]*data_center=\"metrics-agent-dc\"[^}]*status=\"Online\"[^}]*\\} 1", text);
            Assert.Matches("computegrid_datacenter_status\\{[^}]*data_center=\"metrics-agent-dc\"[^}]*status=\"Offline\"[^}]*\\} 0", text);
            Assert.Matches("computegrid_agents_issued\\{[^}]*data_center=\"metrics-agent-dc\"[^}]*\\} 1", text);
            Assert.Matches("computegrid_agents_online\\{[^}]*data_center=\"metrics-agent-dc\"[^}]*\\} [01]\n", text);
            Assert.DoesNotMatch("computegrid_agent_last_sync_age_seconds\\{[^}]*data_center=\"metrics-agent-dc\"", text);
        }
        finally
        {
            await grid.Admin.DrainDataCenterAsync(spec.Id);
            await grid.Admin.RemoveDataCenterAsync(spec.Id);
        }
    }

    private async Task<string> ScrapeUntilAsync(Func<string, bool> ready, string what)
    {
        using var http = new HttpClient { BaseAddress = host.ManagementAddress };
        var text = string.Empty;
        await Eventually.TrueAsync(
            async () => ready(text = await http.GetStringAsync(new Uri("metrics", UriKind.Relative))),
            what,
            describe: () => Task.FromResult(text.Length > 4000 ? text[..4000] : text));
        return text;
    }
}
