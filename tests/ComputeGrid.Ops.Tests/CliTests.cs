using Spectre.Console.Testing;

namespace ComputeGrid.Ops.Tests;

/// <summary>cg-ops against the real silo host: each command's table shows what the gateway knows.</summary>
[Collection(SiloHostCollection.Name)]
public sealed class CliTests(SiloHostFixture host)
{
    [Fact]
    public async Task Hubs_lists_every_hub_with_its_zone_capacity_and_queue()
    {
        var (code, output) = await RunAsync("hubs");

        Assert.Equal(0, code);
        foreach (var hub in new[] { "bth", "yangtze", "gba", "chengyu", "inner-mongolia", "guizhou", "gansu", "ningxia" })
        {
            Assert.Contains(hub, output, StringComparison.Ordinal);
        }

        Assert.Contains("Queue", output, StringComparison.Ordinal);
        Assert.Contains("West", output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Pool_shows_the_national_totals()
    {
        var (code, output) = await RunAsync("pool");

        Assert.Equal(0, code);
        Assert.Contains("Carbon (kgCO2)", output, StringComparison.Ordinal);
        Assert.Matches(@"│\s*8\s*│\s*1\d\s*│", output);
    }

    [Fact]
    public async Task Dc_drain_and_resume_change_the_status_the_list_shows()
    {
        var (drained, drainOutput) = await RunAsync("dc", "drain", "qingyang");
        var (_, listed) = await RunAsync("dc", "list", "--hub", "gansu");
        var (resumed, _) = await RunAsync("dc", "resume", "qingyang");
        var (_, relisted) = await RunAsync("dc", "list", "--hub", "gansu");

        Assert.Equal(0, drained);
        Assert.Contains("drained qingyang", drainOutput, StringComparison.Ordinal);
        Assert.Contains("Draining", listed, StringComparison.Ordinal);
        Assert.Equal(0, resumed);
        Assert.Contains("Online", relisted, StringComparison.Ordinal);
        Assert.DoesNotContain("guian", relisted, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dc_register_then_remove_adds_and_takes_away_a_data_center()
    {
        var file = Path.Combine(Path.GetTempPath(), $"dc-{Guid.NewGuid():n}.json");
        await File.WriteAllTextAsync(file, """
            {"id":"ops-test-dc","name":"Ops test","hubId":"gansu","location":{"lat":36.0,"lon":103.8},
             "capacity":{"cpuMillicores":64000,"memoryMiB":262144,"gpus":{}},
             "energy":{"pue":1.2,"gridKgCo2PerKwh":0.5,"greenShare":0.5,"priceCnyPerKwh":0.4}}
            """);
        try
        {
            var (registered, registerOutput) = await RunAsync("dc", "register", "--file", file);
            var (_, listed) = await RunAsync("dc", "list", "--hub", "gansu");
            var (removed, _) = await RunAsync("dc", "remove", "ops-test-dc");
            var (_, relisted) = await RunAsync("dc", "list", "--hub", "gansu");

            Assert.True(registered == 0, registerOutput);
            Assert.Contains("ops-test-dc", listed, StringComparison.Ordinal);
            Assert.Equal(0, removed);
            Assert.DoesNotContain("ops-test-dc", relisted, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Jobs_list_show_and_cancel_follow_a_job_of_the_keys_tenant()
    {
        var job = await host.SubmitAsync(new { originHub = "chengyu", resources = new { cpuMillicores = 1000, memoryMiB = 1024 }, runTimeSeconds = 3600, allowedHubs = new[] { "chengyu" } });
        var jobId = job.GetProperty("jobId").GetString()!;

        var (_, listed) = await RunAsync("--key", SiloHostFixture.PartnerKey, "jobs", "list");
        var (_, shown) = await RunAsync("--key", SiloHostFixture.PartnerKey, "jobs", "show", jobId);
        var (cancelled, cancelOutput) = await RunAsync("--key", SiloHostFixture.PartnerKey, "jobs", "cancel", jobId);

        Assert.Contains(jobId, listed, StringComparison.Ordinal);
        Assert.Contains("History", shown, StringComparison.Ordinal);
        Assert.Contains("accepted from chengyu", shown, StringComparison.Ordinal);
        Assert.Equal(0, cancelled);
        Assert.Contains("Cancelled", cancelOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jobs_list_with_tenant_shows_another_tenants_jobs_to_an_operator()
    {
        var job = await host.SubmitAsync(new { originHub = "chengyu", resources = new { cpuMillicores = 1000, memoryMiB = 1024 }, runTimeSeconds = 3600, allowedHubs = new[] { "chengyu" } });
        var jobId = job.GetProperty("jobId").GetString()!;
        try
        {
            var (code, listed) = await RunAsync("jobs", "list", "--tenant", "ops");

            Assert.Equal(0, code);
            Assert.Contains("Jobs of ops", listed, StringComparison.Ordinal);
            Assert.Contains(jobId, listed, StringComparison.Ordinal);
        }
        finally
        {
            await RunAsync("--key", SiloHostFixture.PartnerKey, "jobs", "cancel", jobId);
        }
    }

    [Fact]
    public async Task Jobs_list_with_another_tenant_fails_for_a_partner_key_with_the_gateways_reason()
    {
        var (code, output) = await RunAsync("--key", SiloHostFixture.PartnerKey, "jobs", "list", "--tenant", "operators");

        Assert.Equal(1, code);
        Assert.Contains("403", output, StringComparison.Ordinal);
        Assert.Contains("only operator keys", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Loans_and_balances_show_their_tables()
    {
        var (loansCode, loans) = await RunAsync("loans");
        var (balancesCode, balances) = await RunAsync("balances");

        Assert.Equal(0, loansCode);
        Assert.Contains("Borrower", loans, StringComparison.Ordinal);
        Assert.Equal(0, balancesCode);
        Assert.Contains("Balance (CNY)", balances, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_of_a_queued_job_names_the_constraint_that_rules_out_each_data_center()
    {
        var (drained, _) = await RunAsync("dc", "drain", "zhongwei");
        Assert.Equal(0, drained);
        try
        {
            var job = await host.SubmitAsync(new { originHub = "ningxia", resources = new { cpuMillicores = 1000, memoryMiB = 1024 }, runTimeSeconds = 60, allowedHubs = new[] { "ningxia" } });
            var jobId = job.GetProperty("jobId").GetString()!;
            Assert.Equal("Queued", job.GetProperty("state").GetString());

            var (code, output) = await RunAsync("explain", jobId);

            Assert.Equal(0, code);
            Assert.Contains("is Queued", output, StringComparison.Ordinal);
            var first = output.Split('\n')[0];
            Assert.Contains("Queued, position", first, StringComparison.Ordinal);
            Assert.DoesNotContain("zhongwei", first, StringComparison.Ordinal);
            Assert.Matches(@"zhongwei\s*│\s*ningxia\s*│\s*ruled out\s*│\s*status", output);
            Assert.Matches(@"guian\s*│\s*guizhou\s*│\s*ruled out\s*│\s*residency", output);
            Assert.DoesNotMatch(@"│\s*feasible\s*│", output);
        }
        finally
        {
            await RunAsync("dc", "resume", "zhongwei");
        }
    }

    [Fact]
    public async Task Explain_of_a_placed_job_scores_the_feasible_data_centers_and_names_where_it_runs()
    {
        var job = await host.SubmitAsync(new { originHub = "yangtze", resources = new { cpuMillicores = 1000, memoryMiB = 1024 }, runTimeSeconds = 3600, allowedHubs = new[] { "yangtze" }, policy = "Greenest" });
        var jobId = job.GetProperty("jobId").GetString()!;
        var placedIn = job.GetProperty("placement").GetProperty("dataCenterId").GetString()!;

        var (code, output) = await RunAsync("explain", jobId);

        Assert.Equal(0, code);
        Assert.Contains($"in {placedIn}", output, StringComparison.Ordinal);
        Assert.Matches(@"yrd-demo-zone\s*│\s*yangtze\s*│\s*feasible\s*│\s*\d", output);
        Assert.Matches(@"wuhu\s*│\s*yangtze\s*│\s*feasible\s*│\s*\d", output);
        Assert.Matches(@"shaoguan\s*│\s*gba\s*│\s*ruled out\s*│\s*residency", output);
    }

    [Fact]
    public async Task Explain_of_an_unknown_job_fails_with_the_gateways_reason()
    {
        var (code, output) = await RunAsync("explain", "nobody.nothing");

        Assert.Equal(1, code);
        Assert.Contains("404", output, StringComparison.Ordinal);
        Assert.Contains("no job with this id", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_is_for_operators_only()
    {
        var (code, output) = await RunAsync("--key", SiloHostFixture.PartnerKey, "explain", "ops.anything");

        Assert.Equal(1, code);
        Assert.Contains("403", output, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var console = new TestConsole().Width(250);
        var code = await OpsCli.RunAsync(["--url", host.BaseAddress.ToString(), .. args], console, handler: null, CancellationToken.None);
        return (code, console.Output);
    }
}
