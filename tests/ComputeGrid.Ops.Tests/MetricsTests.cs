namespace ComputeGrid.Ops.Tests;

[Collection(SiloHostCollection.Name)]
public sealed class MetricsTests(SiloHostFixture host)
{
    [Fact]
    public async Task Metrics_expose_jobs_by_state_and_hub_placement_latency_queues_loans_energy_and_carbon_after_jobs_flow()
    {
        var job = await host.SubmitAsync(new { originHub = "gba", resources = new { cpuMillicores = 2000, memoryMiB = 4096 }, runTimeSeconds = 1, allowedHubs = new[] { "gba" } });
        var jobId = job.GetProperty("jobId").GetString()!;
        await Eventually.TrueAsync(async () => await host.StateOfAsync(jobId) == "Succeeded", "the job succeeds");

        using var http = new HttpClient { BaseAddress = host.ManagementAddress };
        var text = string.Empty;
        await Eventually.TrueAsync(
            async () =>
            {
                text = await http.GetStringAsync(new Uri("metrics", UriKind.Relative));
                return text.Contains("state=\"Succeeded\"", StringComparison.Ordinal)
                    && System.Text.RegularExpressions.Regex.IsMatch(text, "computegrid_carbon[a-zA-Z_]*\\{[^}]*hub=\"gba\"[^}]*\\} [1-9]");
            },
            "the scrape shows the finished job and its carbon");

        Assert.Contains("computegrid_jobs{", text, StringComparison.Ordinal);
        Assert.Contains("computegrid_job_transitions_total{", text, StringComparison.Ordinal);
        Assert.Contains("hub=\"gba\"", text, StringComparison.Ordinal);
        Assert.Contains("computegrid_placement_latency_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.Contains("computegrid_queue_length{", text, StringComparison.Ordinal);
        Assert.Contains("computegrid_loans_lent_cpu", text, StringComparison.Ordinal);
        Assert.Contains("computegrid_energy", text, StringComparison.Ordinal);
        Assert.Contains("computegrid_cost", text, StringComparison.Ordinal);
    }
}
