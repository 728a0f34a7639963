using System.Text.Json;
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
    public async Task Explain_of_a_job_waiting_for_its_reservation_names_the_reservation_and_when_its_window_opens()
    {
        var key = $"why-{Guid.NewGuid():n}"[..20];
        var start = DateTimeOffset.UtcNow.AddHours(2);
        using var http = host.Client(SiloHostFixture.PartnerKey);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("v1/reservations", UriKind.Relative))
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { resources = new { cpuMillicores = 1000, memoryMiB = 1024 }, hubId = "ningxia", start, end = start.AddHours(1) }),
        };
        request.Headers.Add("Idempotency-Key", key);
        using var made = await http.SendAsync(request);
        Assert.True(made.IsSuccessStatusCode, await made.Content.ReadAsStringAsync());
        var job = await host.SubmitAsync(new { originHub = "ningxia", resources = new { cpuMillicores = 1000, memoryMiB = 1024 }, runTimeSeconds = 60, reservation = $"ops.{key}" });
        var jobId = job.GetProperty("jobId").GetString()!;

        var (code, output) = await RunAsync("explain", jobId);

        Assert.Equal(0, code);
        Assert.Contains($"waits for advance reservation ops.{key}, whose window opens at {start.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}", output, StringComparison.Ordinal);
        await RunAsync("jobs", "cancel", jobId);
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

    [Fact]
    public async Task Loans_with_hub_asks_the_gateway_for_that_hubs_loans_with_hubId()
    {
        using var recorder = new RecordingHandler();
        var console = new TestConsole().Width(250);

        var code = await OpsCli.RunAsync(["--url", host.BaseAddress.ToString(), "loans", "--hub", "gansu"], console, recorder, CancellationToken.None);

        Assert.True(code == 0, console.Output);
        Assert.Contains(recorder.Paths, p => p.StartsWith("/v1/loans?", StringComparison.Ordinal) && p.Contains("hubId=gansu", StringComparison.Ordinal));
        Assert.Contains("Loans of gansu", console.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dc", "list", "--hub", "atlantis")]
    [InlineData("loans", "--hub", "atlantis")]
    public async Task An_unknown_hub_exits_non_zero_and_names_the_hubs_there_are(params string[] args)
    {
        var (code, output) = await RunAsync(args);

        Assert.Equal(1, code);
        Assert.Contains("unknown hub 'atlantis'", output, StringComparison.Ordinal);
        Assert.Contains("inner-mongolia", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(JsonValueKind.Object, "pool")]
    [InlineData(JsonValueKind.Array, "hubs")]
    [InlineData(JsonValueKind.Array, "dc", "list", "--hub", "ningxia")]
    [InlineData(JsonValueKind.Object, "jobs", "list")]
    [InlineData(JsonValueKind.Object, "loans")]
    [InlineData(JsonValueKind.Array, "balances")]
    public async Task Json_prints_the_same_data_as_parseable_json(JsonValueKind kind, params string[] args)
    {
        var (code, output) = await RunAsync(["--json", .. args]);

        Assert.True(code == 0, output);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(kind, json.RootElement.ValueKind);
        Assert.DoesNotContain("│", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_prints_the_gateways_text_unescaped()
    {
        var (code, output) = await RunAsync("--json", "statement", "acme", "2026-11");

        Assert.True(code == 0, output);
        Assert.Contains("+08:00", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u002B", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_on_show_explain_and_cancel_prints_the_gateways_answers()
    {
        var job = await host.SubmitAsync(new { originHub = "chengyu", resources = new { cpuMillicores = 1000, memoryMiB = 1024 }, runTimeSeconds = 3600, allowedHubs = new[] { "chengyu" } });
        var jobId = job.GetProperty("jobId").GetString()!;

        var (_, shown) = await RunAsync("jobs", "show", jobId, "--json");
        var (_, explained) = await RunAsync("explain", jobId, "--json");
        var (_, cancelled) = await RunAsync("jobs", "cancel", jobId, "--json");

        Assert.Equal(jobId, JsonDocument.Parse(shown).RootElement.GetProperty("jobId").GetString());
        Assert.True(JsonDocument.Parse(explained).RootElement.GetProperty("ranked").GetArrayLength() > 0, explained);
        Assert.Equal("Cancelled", JsonDocument.Parse(cancelled).RootElement.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Piped_output_is_plain_text_wide_enough_that_no_cell_wraps()
    {
        using var piped = new StringWriter();
        var console = OpsCli.CreateConsole(piped, redirected: true);

        var code = await OpsCli.RunAsync(["--url", host.BaseAddress.ToString(), "dc", "list"], console, handler: null, CancellationToken.None);

        var output = piped.ToString();
        Assert.True(code == 0, output);
        Assert.DoesNotContain("\u001b[", output, StringComparison.Ordinal);
        Assert.Contains(output.Split('\n'), line => line.Length > 80 && line.Contains("inner-mongolia", StringComparison.Ordinal));
        Assert.DoesNotContain(output.Split('\n'), line => line.TrimEnd().EndsWith("inner-mo", StringComparison.Ordinal));
    }

    [Fact]
    public void The_gpu_columns_show_each_model_instead_of_a_sum()
    {
        using var capacity = JsonDocument.Parse("""{"cpuMillicores":1000,"memoryMiB":1024,"gpus":{"A800":256,"910B":64}}""");
        using var free = JsonDocument.Parse("""{"cpuMillicores":1000,"memoryMiB":1024,"gpus":{"A800":200}}""");
        using var none = JsonDocument.Parse("""{"cpuMillicores":1000,"memoryMiB":1024,"gpus":{}}""");

        Assert.Equal("A800 256, 910B 64", OpsCli.GpuCounts(capacity.RootElement));
        Assert.Equal("A800 200 / 256, 910B 0 / 64", OpsCli.GpuPairs(free.RootElement, capacity.RootElement));
        Assert.Equal("-", OpsCli.GpuCounts(none.RootElement));
    }

    [Fact]
    public async Task Dc_list_shows_the_gpus_of_each_model()
    {
        var (code, output) = await RunAsync("dc", "list", "--hub", "ningxia");

        Assert.Equal(0, code);
        Assert.Matches(@"zhongwei\s*│\s*ningxia\s*│[^\n]*A800 \d+ / \d+", output);
    }

    [Fact]
    public async Task An_operator_shows_cancels_and_lists_a_partners_job_without_naming_the_tenant()
    {
        var job = await host.SubmitAsync(new { originHub = "chengyu", resources = new { cpuMillicores = 1000, memoryMiB = 1024 }, runTimeSeconds = 3600, allowedHubs = new[] { "chengyu" } });
        var jobId = job.GetProperty("jobId").GetString()!;

        var (listedCode, listed) = await RunAsync("jobs", "list");
        var (shownCode, shown) = await RunAsync("jobs", "show", jobId);
        var (cancelled, cancelOutput) = await RunAsync("jobs", "cancel", jobId);

        Assert.Equal(0, listedCode);
        Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(jobId)}\s*│\s*ops\s*│", listed);
        Assert.True(shownCode == 0, shown);
        Assert.Contains("accepted from chengyu", shown, StringComparison.Ordinal);
        Assert.Equal(0, cancelled);
        Assert.Contains("Cancelled", cancelOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_partner_still_cannot_show_another_tenants_job()
    {
        using var operatorHttp = host.Client(SiloHostFixture.OperatorKey);
        using var response = await operatorHttp.PostAsync(
            new Uri("v1/jobs", UriKind.Relative),
            new StringContent("""{"originHub":"chengyu","resources":{"cpuMillicores":1000,"memoryMiB":1024},"runTimeSeconds":3600,"allowedHubs":["chengyu"]}""", System.Text.Encoding.UTF8, "application/json"));
        var jobId = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("jobId").GetString()!;
        try
        {
            var (code, output) = await RunAsync("--key", SiloHostFixture.PartnerKey, "jobs", "show", jobId);

            Assert.Equal(1, code);
            Assert.Contains("404", output, StringComparison.Ordinal);
        }
        finally
        {
            await RunAsync("jobs", "cancel", jobId);
        }
    }

    private async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var console = new TestConsole().Width(250);
        var code = await OpsCli.RunAsync(["--url", host.BaseAddress.ToString(), .. args], console, handler: null, CancellationToken.None);
        return (code, console.Output);
    }
}

/// <summary>Passes requests on to the network and remembers each one's path and query.</summary>
internal sealed class RecordingHandler() : DelegatingHandler(new HttpClientHandler())
{
    public System.Collections.Concurrent.ConcurrentQueue<string> Paths { get; } = new();

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Paths.Enqueue(request.RequestUri!.PathAndQuery);
        return base.SendAsync(request, cancellationToken);
    }
}
