using ComputeGrid.Client;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ComputeGrid.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class MarketApiTests(GatewayFixture fixture)
{
    private static JsonObject GpuJob(decimal? cap = null, long runTimeSeconds = 3600) => new()
    {
        ["originHub"] = "guizhou",
        ["resources"] = new JsonObject { ["cpuMillicores"] = 4000, ["memoryMiB"] = 8192, ["gpus"] = 2, ["gpuModel"] = "910B" },
        ["runTimeSeconds"] = runTimeSeconds,
        ["latencyClass"] = "Batch",
        ["policy"] = "Greenest",
        ["maxPriceCny"] = cap is { } c ? JsonValue.Create(c) : null,
    };

    [Fact]
    public async Task The_catalog_lists_each_data_centers_products_with_list_prices_and_FLOPS_to_any_key()
    {
        using var http = fixture.Client("acme");
        using var response = await http.GetAsync("/v1/catalog?originHub=guizhou");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var products = (await response.JsonAsync()).GetProperty("products").EnumerateArray().ToList();
        var gpu = products.Single(p => p.GetProperty("dataCenterId").GetString() == "guian" && p.GetProperty("sku").GetString() == "gpu-hour:910B");
        Assert.Equal("Interactive", gpu.GetProperty("latencyClass").GetString());
        Assert.Equal(320, gpu.GetProperty("fp16Tflops").GetDouble());
        Assert.True(gpu.GetProperty("listPriceCny").GetDecimal() > 0);
        Assert.Equal(fixture.Topology.DataCenters.Count * 2 + fixture.Topology.DataCenters.Values.Sum(d => d.Capacity.Gpus.Count), products.Count(p => fixture.Topology.DataCenters.ContainsKey(p.GetProperty("dataCenterId").GetString()!)));
    }

    [Fact]
    public async Task Without_a_key_the_market_answers_401_and_a_partner_may_not_set_prices_or_read_revenue()
    {
        using var anonymous = fixture.Client(null);
        (await anonymous.GetAsync("/v1/catalog")).Dispose();
        using (var response = await anonymous.GetAsync("/v1/catalog"))
        {
            await response.AssertProblemAsync(401, "X-API-Key");
        }

        using var partner = fixture.Client("acme");
        using (var response = await partner.PutAsync("/v1/data-centers/guian/prices", new JsonObject { ["cpuCoreHourCny"] = 0.01, ["memoryGiBHourCny"] = 0.0003 }.Json()))
        {
            await response.AssertProblemAsync(403, "X-API-Key");
        }

        using (var response = await partner.GetAsync("/v1/revenue/2026-11"))
        {
            await response.AssertProblemAsync(403, "X-API-Key");
        }

        using (var response = await partner.GetAsync("/v1/data-centers/guian/statements/2026-11"))
        {
            await response.AssertProblemAsync(403, "X-API-Key");
        }

        using (var response = await partner.GetAsync("/v1/statements/2026-11?tenant=globex"))
        {
            await response.AssertProblemAsync(403, "tenant");
        }
    }

    [Theory]
    [InlineData("/v1/statements/2026-13", "period")]
    [InlineData("/v1/statements/2026-11?format=xml", "format")]
    [InlineData("/v1/catalog?originHub=Not_A_Hub", "originHub")]
    public async Task Bad_market_reads_answer_400_naming_the_field(string path, string field)
    {
        using var http = fixture.Client("acme");
        using var response = await http.GetAsync(path);

        await response.AssertProblemAsync(400, field);
    }

    [Fact]
    public async Task The_catalog_from_an_unknown_origin_hub_answers_400_naming_originHub_and_the_SDK_throws_the_validation_exception()
    {
        using var http = fixture.Client("acme");
        using var response = await http.GetAsync("/v1/catalog?originHub=nowhere");

        await response.AssertProblemAsync(400, "originHub", "unknown hub");
        var e = await Assert.ThrowsAsync<ComputeGridValidationException>(() => fixture.Grid.Market.GetCatalogAsync("nowhere"));
        Assert.Equal("originHub", Assert.Single(e.Errors).Field);
    }

    [Fact]
    public async Task A_statement_of_a_data_center_that_does_not_exist_answers_404_naming_dataCenterId()
    {
        using var http = fixture.Client("operator");
        using (var response = await http.GetAsync("/v1/data-centers/nowhere/statements/2026-12"))
        {
            await response.AssertProblemAsync(404, "dataCenterId");
        }

        using (var response = await http.GetAsync("/v1/data-centers/guian/statements/2026-12"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task A_jobs_price_cap_is_part_of_its_view_and_of_its_arrays_template()
    {
        using var http = fixture.Client("acme");
        var key = Bodies.NewKey("cap-view");
        var job = Bodies.Job().With(b => b["maxPriceCny"] = 100000m);
        using (var created = await http.SubmitAsync(job, key))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal(100000m, (await created.JsonAsync()).GetProperty("maxPriceCny").GetDecimal());
        }

        using (var read = await http.GetAsync($"/v1/jobs/acme.{key}"))
        {
            Assert.Equal(100000m, (await read.JsonAsync()).GetProperty("maxPriceCny").GetDecimal());
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/job-arrays") { Content = new JsonObject { ["count"] = 1, ["template"] = job.DeepClone() }.Json() };
        request.Headers.Add("Idempotency-Key", Bodies.NewKey("cap-array"));
        using var array = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, array.StatusCode);
        Assert.Equal(100000m, (await array.JsonAsync()).GetProperty("template").GetProperty("maxPriceCny").GetDecimal());
    }

    [Fact]
    public async Task An_operator_sets_prices_within_bounds_audited_and_out_of_bounds_answers_400_naming_the_price()
    {
        using var http = fixture.Client("operator");
        using (var response = await http.PutAsync("/v1/data-centers/qingyang/prices", new JsonObject { ["cpuCoreHourCny"] = 0.01, ["memoryGiBHourCny"] = 0.0003, ["gpuHourCny"] = new JsonObject { ["910B"] = 1000 } }.Json()))
        {
            await response.AssertProblemAsync(400, "gpuHourCny.910B", "must be between");
        }

        using (var response = await http.PutAsync("/v1/data-centers/qingyang/prices", new JsonObject { ["cpuCoreHourCny"] = 0.01, ["memoryGiBHourCny"] = 0.0003, ["gpuHourCny"] = new JsonObject { ["910B"] = 0.5 } }.Json()))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var book = await response.JsonAsync();
            Assert.Equal(0.5m, book.GetProperty("current").GetProperty("gpuHourCny").GetProperty("910B").GetDecimal());
        }

        using (var response = await http.PutAsync("/v1/data-centers/no-such-dc/prices", new JsonObject { ["cpuCoreHourCny"] = 0.01, ["memoryGiBHourCny"] = 0.0003 }.Json()))
        {
            await response.AssertProblemAsync(404, "dataCenterId");
        }

        using var audit = await http.GetAsync("/v1/audit?limit=50");
        Assert.Contains((await audit.JsonAsync()).GetProperty("entries").EnumerateArray(), e => e.GetProperty("action").GetString() == "data-center.prices" && e.GetProperty("target").GetString() == "qingyang");
    }

    [Fact]
    public async Task A_quote_or_a_submission_over_every_price_answers_422_naming_maxPriceCny_and_the_cheapest_price()
    {
        using var http = fixture.Client("acme");
        using (var response = await http.PostAsync("/v1/quotes", GpuJob(0.01m).Json()))
        {
            var problem = await response.AssertProblemAsync(422, "maxPriceCny", "the cheapest available is");
            Assert.True(problem.GetProperty("cheapestPriceCny").GetDecimal() > 0.01m);
        }

        using (var response = await http.SubmitAsync(GpuJob(0.01m), Bodies.NewKey("cap")))
        {
            await response.AssertProblemAsync(422, "maxPriceCny", "the cheapest available is");
        }

        using (var response = await http.PostAsync("/v1/quotes", GpuJob(0.001m).Json()))
        {
            await response.AssertProblemAsync(400, "maxPriceCny", "at most 2 decimals");
        }
    }

    [Fact]
    public async Task A_provider_sets_its_own_prices_with_its_agent_credential_and_reads_its_own_statement()
    {
        using var op = fixture.Client("operator");
        var id = $"provider-{Guid.NewGuid():n}"[..20];
        using (var registered = await op.PostAsync("/v1/data-centers", Bodies.DataCenter(id).Json()))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        using var issued = await op.PostAsync($"/v1/data-centers/{id}/agents", new JsonObject { ["name"] = "provider", ["allowedTenants"] = new JsonArray("*") }.Json());
        var token = (await issued.JsonAsync()).GetProperty("token").GetString()!;
        using var provider = fixture.Client(null);

        using (var response = await provider.PutAsync("/v1/provider/prices", new JsonObject { ["cpuCoreHourCny"] = 0.01, ["memoryGiBHourCny"] = 0.0003 }.Json()))
        {
            await response.AssertProblemAsync(401, "Authorization");
        }

        provider.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using (var response = await provider.PutAsync("/v1/provider/prices", new JsonObject { ["cpuCoreHourCny"] = 0.01, ["memoryGiBHourCny"] = 0.0003, ["gpuHourCny"] = new JsonObject { ["TEST-GW"] = 2 } }.Json()))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var catalog = await op.GetAsync("/v1/catalog");
        var own = (await catalog.JsonAsync()).GetProperty("products").EnumerateArray().Single(p => p.GetProperty("dataCenterId").GetString() == id && p.GetProperty("sku").GetString() == "gpu-hour:TEST-GW");
        Assert.Equal(2m, own.GetProperty("listPriceCny").GetDecimal());

        using var statement = await provider.GetAsync("/v1/provider/statements/2026-11");
        Assert.Equal(HttpStatusCode.OK, statement.StatusCode);
        Assert.Equal(id, (await statement.JsonAsync()).GetProperty("owner").GetString());
    }

    [Fact]
    public async Task End_to_end_a_quote_a_submission_under_its_cap_and_a_bill_that_equals_the_sum_of_its_jobs()
    {
        using var http = fixture.Client("market");

        // A quote, and a cap at the price of the policy's choice.
        using var quoted = await http.PostAsync("/v1/quotes", GpuJob().Json());
        Assert.Equal(HttpStatusCode.OK, quoted.StatusCode);
        var quote = await quoted.JsonAsync();
        var choice = quote.GetProperty("choice").GetString()!;
        var options = quote.GetProperty("options").EnumerateArray().ToList();
        Assert.Equal(choice, options[0].GetProperty("dataCenterId").GetString());
        Assert.True(quote.GetProperty("validUntil").GetDateTimeOffset() > quote.GetProperty("quotedAt").GetDateTimeOffset());
        var cap = options[0].GetProperty("priceCny").GetDecimal();

        // Submitted under the cap: placed where the quote said. A second job is cancelled half-way.
        var finished = await SubmitAndPlaceAsync(http, GpuJob(cap), choice);
        var cancelled = await SubmitAndPlaceAsync(http, GpuJob(cap), choice);
        fixture.Time.Advance(TimeSpan.FromMinutes(30));
        using (var cancel = await http.PostAsync($"/v1/jobs/{cancelled}/cancel", null))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }

        fixture.Time.Advance(TimeSpan.FromMinutes(30));
        var jobs = new List<JsonElement>();
        foreach (var id in new[] { finished, cancelled })
        {
            JsonElement job = default;
            await Eventually.TrueAsync(
                async () =>
                {
                    using var read = await http.GetAsync($"/v1/jobs/{id}");
                    job = await read.JsonAsync();
                    return job.GetProperty("state").GetString() is "Succeeded" or "Cancelled";
                },
                $"job {id} ends");
            jobs.Add(job);
        }

        // Each job's charge from its own record and the data center's prices, computed here: fen per product line.
        using var prices = await http.GetAsync($"/v1/data-centers/{choice}/prices");
        var current = (await prices.JsonAsync()).GetProperty("current");
        decimal Expected(JsonElement job)
        {
            var hours = (decimal)(job.GetProperty("finishedAt").GetDateTimeOffset() - job.GetProperty("startedAt").GetDateTimeOffset()).Ticks / TimeSpan.TicksPerHour;
            static decimal Fen(decimal d) => Math.Round(d, 2, MidpointRounding.AwayFromZero);
            return Fen(4 * hours * current.GetProperty("cpuCoreHourCny").GetDecimal())
                + Fen(8 * hours * current.GetProperty("memoryGiBHourCny").GetDecimal())
                + Fen(2 * hours * current.GetProperty("gpuHourCny").GetProperty("910B").GetDecimal());
        }

        Assert.Equal("Cancelled", jobs[1].GetProperty("state").GetString());
        Assert.True(Expected(jobs[1]) < Expected(jobs[0]), "the cancelled job bills only the half hour it ran");
        Assert.All(jobs, j => Assert.True(Expected(j) <= cap));

        var month = jobs[0].GetProperty("startedAt").GetDateTimeOffset().ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        JsonElement bill = default;
        await Eventually.TrueAsync(
            async () =>
            {
                using var response = await http.GetAsync($"/v1/statements/{month}");
                bill = await response.JsonAsync();
                return bill.GetProperty("byJob").GetArrayLength() == 2;
            },
            "both jobs are on the statement");
        Assert.Equal(jobs.Sum(Expected), bill.GetProperty("total").GetProperty("amountCny").GetDecimal());
        Assert.Equal(jobs.Sum(j => j.GetProperty("actual").GetProperty("energyKwh").GetDouble()), bill.GetProperty("total").GetProperty("energyKwh").GetDouble(), 9);
        foreach (var job in jobs)
        {
            var row = bill.GetProperty("byJob").EnumerateArray().Single(r => r.GetProperty("key").GetString() == job.GetProperty("jobId").GetString());
            Assert.Equal(Expected(job), row.GetProperty("amountCny").GetDecimal());
        }

        // The same statement as CSV ends with the same total.
        using var csvRequest = new HttpRequestMessage(HttpMethod.Get, $"/v1/statements/{month}");
        csvRequest.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var csv = await http.SendAsync(csvRequest);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var rows = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("kind,period,owner", rows[0], StringComparison.Ordinal);
        Assert.Contains($",{jobs.Sum(Expected).ToString(CultureInfo.InvariantCulture)},", rows[^1], StringComparison.Ordinal);

        // The operators see the same revenue at the data center and its hub.
        using var op = fixture.Client("operator");
        using var revenue = await op.GetAsync($"/v1/revenue/{month}");
        var dc = (await revenue.JsonAsync()).GetProperty("dataCenters").EnumerateArray().Single(r => r.GetProperty("key").GetString() == choice);
        Assert.True(dc.GetProperty("amountCny").GetDecimal() >= jobs.Sum(Expected));
    }

    private async Task<string> SubmitAndPlaceAsync(HttpClient http, JsonObject body, string expectedDataCenter)
    {
        using var submitted = await http.SubmitAsync(body, Bodies.NewKey("e2e"));
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        var job = await submitted.JsonAsync();
        var id = job.GetProperty("jobId").GetString()!;
        await Eventually.TrueAsync(
            async () =>
            {
                using var read = await http.GetAsync($"/v1/jobs/{id}");
                job = await read.JsonAsync();
                return job.GetProperty("state").GetString() == "Running";
            },
            $"job {id} runs");
        Assert.Equal(expectedDataCenter, job.GetProperty("placement").GetProperty("dataCenterId").GetString());
        return id;
    }
}
