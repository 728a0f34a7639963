using System.Net;
using System.Text.Json.Nodes;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class ReservationsApiTests(GatewayFixture fixture)
{
    private const string DataCenter = "rsv-gw-dc";
    private const string Model = "RSV-GW";

    private JsonObject Reservation(int gpus, double startHours = 1, double endHours = 2, string? tenant = null)
    {
        var now = fixture.Time.GetUtcNow();
        var body = new JsonObject
        {
            ["resources"] = new JsonObject { ["cpuMillicores"] = gpus * 1000, ["memoryMiB"] = gpus * 1024, ["gpus"] = gpus, ["gpuModel"] = Model },
            ["dataCenterId"] = DataCenter,
            ["start"] = now.AddHours(startHours).ToString("O"),
            ["end"] = now.AddHours(endHours).ToString("O"),
        };
        if (tenant is not null)
        {
            body["tenant"] = tenant;
        }

        return body;
    }

    /// <summary>Registers the tests' own data center (its own GPU model, so they own all of it) once.</summary>
    private async Task RegisterAsync()
    {
        if ((await fixture.Grid.Admin.GetDirectoryAsync()).DataCenters.Any(d => d.Spec.Id == DataCenter))
        {
            return;
        }

        await fixture.Grid.Admin.RegisterDataCenterAsync(new DataCenterSpec(
            DataCenter, "Test reservations", "inner-mongolia", new GeoPoint(40.38, 111.82), ResourceVector.Of(64_000, 262_144, [new(Model, 8)]), new EnergyProfile(1.2, 0.6849, 0.8, 0.38)));
    }

    private static async Task<HttpResponseMessage> CreateAsync(HttpClient http, JsonNode body, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/reservations") { Content = body.Json() };
        request.Headers.Add("Idempotency-Key", key);
        return await http.SendAsync(request);
    }

    [Fact]
    public async Task A_partner_reserves_for_its_tenant_reads_and_lists_its_own_and_cancels_it_while_another_tenant_sees_nothing()
    {
        await RegisterAsync();
        using var acme = fixture.Client("acme");
        using var globex = fixture.Client("globex");
        var key = Bodies.NewKey("rsv");

        using var created = await CreateAsync(acme, Reservation(2), key);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/v1/reservations/acme.{key}", created.Headers.Location?.OriginalString);
        var made = await created.JsonAsync();
        Assert.Equal("Scheduled", made.GetProperty("state").GetString());
        Assert.Equal(DataCenter, made.GetProperty("shares")[0].GetProperty("dataCenterId").GetString());
        using var again = await CreateAsync(acme, Reservation(2), key);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);

        using var read = await acme.GetAsync($"/v1/reservations/acme.{key}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        using var hidden = await globex.GetAsync($"/v1/reservations/acme.{key}");
        await hidden.AssertProblemAsync(404, "reservationId");
        var listed = await (await acme.GetAsync("/v1/reservations")).JsonAsync();
        Assert.Contains(listed.EnumerateArray(), r => r.GetProperty("reservationId").GetString() == $"acme.{key}");
        var othersList = await (await globex.GetAsync("/v1/reservations")).JsonAsync();
        Assert.DoesNotContain(othersList.EnumerateArray(), r => r.GetProperty("reservationId").GetString() == $"acme.{key}");
        using var notTheirs = await globex.PostAsync($"/v1/reservations/acme.{key}/cancel", content: null);
        await notTheirs.AssertProblemAsync(404, "reservationId");

        var job = Bodies.Job(runTimeSeconds: 600);
        job["originHub"] = "inner-mongolia";
        job["resources"] = new JsonObject { ["cpuMillicores"] = 1000, ["memoryMiB"] = 1024, ["gpus"] = 1, ["gpuModel"] = Model };
        job["reservation"] = $"acme.{key}";
        using var submitted = await acme.PostAsync("/v1/jobs", job.Json());
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        var waiting = await submitted.JsonAsync();
        Assert.Equal(("Queued", $"acme.{key}"), (waiting.GetProperty("state").GetString(), waiting.GetProperty("reservation").GetString()));

        using var cancelled = await acme.PostAsync($"/v1/reservations/acme.{key}/cancel", content: null);
        Assert.Equal("Cancelled", (await cancelled.JsonAsync()).GetProperty("state").GetString());
        using var jobCancelled = await acme.PostAsync($"/v1/jobs/{Uri.EscapeDataString(waiting.GetProperty("jobId").GetString()!)}/cancel", content: null);
        Assert.Equal(HttpStatusCode.OK, jobCancelled.StatusCode);
    }

    [Fact]
    public async Task A_partner_listing_another_tenants_reservations_is_refused_with_403_naming_tenant()
    {
        using var acme = fixture.Client("acme");

        using var response = await acme.GetAsync("/v1/reservations?tenant=globex");

        await response.AssertProblemAsync(403, "tenant");
    }

    [Fact]
    public async Task A_partner_may_not_reserve_for_another_tenant()
    {
        using var acme = fixture.Client("acme");
        using var response = await CreateAsync(acme, Reservation(1, tenant: "globex"), Bodies.NewKey("rsv"));
        await response.AssertProblemAsync(403, "tenant");
    }

    [Fact]
    public async Task A_partner_over_the_tenant_quota_is_refused_with_422_naming_the_field_while_an_operator_is_not_bound()
    {
        await RegisterAsync();
        using var acme = fixture.Client("acme");
        using var operators = fixture.Client("operator");

        using var overQuota = await CreateAsync(acme, Reservation(9, 3, 4), Bodies.NewKey("rsv"));
        await overQuota.AssertProblemAsync(422, "resources.gpus", "quota");

        var key = Bodies.NewKey("rsv");
        using var byOperator = await CreateAsync(operators, Reservation(8, 3, 4, tenant: "acme"), key);
        Assert.Equal(HttpStatusCode.Created, byOperator.StatusCode);
        Assert.True((await byOperator.JsonAsync()).GetProperty("byOperator").GetBoolean());

        // The operator's reservation for acme (8 cores) does not count against what acme may reserve itself in the same
        // window: 60 cores of the hub are within acme's own quota of 64.
        var own = Bodies.NewKey("rsv");
        var cores = Reservation(1, 3, 4);
        cores.Remove("dataCenterId");
        cores["hubId"] = "inner-mongolia";
        cores["resources"] = new JsonObject { ["cpuMillicores"] = 60_000, ["memoryMiB"] = 61_440 };
        using var withinQuota = await CreateAsync(acme, cores, own);
        Assert.True(withinQuota.StatusCode == HttpStatusCode.Created, await withinQuota.Content.ReadAsStringAsync());
        using var ownCancelled = await acme.PostAsync($"/v1/reservations/acme.{own}/cancel", content: null);
        Assert.Equal(HttpStatusCode.OK, ownCancelled.StatusCode);
        using var cancelled = await operators.PostAsync($"/v1/reservations/acme.{key}/cancel", content: null);
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
    }

    [Fact]
    public async Task A_reservation_that_cannot_be_honoured_is_refused_with_409_naming_resources()
    {
        await RegisterAsync();
        using var operators = fixture.Client("operator");
        var first = Bodies.NewKey("rsv");
        using var held = await CreateAsync(operators, Reservation(6, 5, 7, tenant: "acme"), first);
        Assert.Equal(HttpStatusCode.Created, held.StatusCode);

        using var overlapping = await CreateAsync(operators, Reservation(4, 6, 8, tenant: "globex"), Bodies.NewKey("rsv"));

        await overlapping.AssertProblemAsync(409, "resources", "cannot be honoured");
        using var cancelled = await operators.PostAsync($"/v1/reservations/acme.{first}/cancel", content: null);
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
    }

    [Fact]
    public async Task Naming_both_a_hub_and_a_data_center_is_refused_with_400_naming_the_field()
    {
        using var acme = fixture.Client("acme");
        var body = Reservation(1);
        body["hubId"] = "inner-mongolia";

        using var response = await CreateAsync(acme, body, Bodies.NewKey("rsv"));

        await response.AssertProblemAsync(400, "dataCenterId", "exactly one");
    }

    public static TheoryData<string, long, long, int, string, int, string, string> NeverHonoured => new()
    {
        // rule, millicores, MiB, GPUs, model, status, field, reason; the data center has 64 cores, 256 GiB and 8 RSV-GW GPUs
        { "a GPU model the data center does not have", 1_000, 1_024, 1, "910B", 422, "resources.gpuModel", "has no '910B' GPUs" },
        { "more GPUs than the data center has", 1_000, 1_024, 9, Model, 422, "resources.gpus", "has 8 RSV-GW GPUs in all" },
        { "more cores than the data center has", 65_000, 1_024, 1, Model, 422, "resources.cpuMillicores", "64000 millicores in all" },
        { "more memory than the data center has", 1_000, 262_145, 1, Model, 422, "resources.memoryMiB", "262144 MiB in all" },
        { "a GPU model the pool does not know", 1_000, 1_024, 1, "NO-SUCH-GPU", 400, "resources.gpuModel", "unknown GPU model" },
        { "zero cores", 0, 1_024, 1, Model, 400, "resources.cpuMillicores", "at least 1" },
    };

    [Theory]
    [MemberData(nameof(NeverHonoured))]
    public async Task A_reservation_its_data_center_can_never_hold_is_refused_naming_the_resource_and_nothing_is_made(
        string rule, long cpu, long memory, int gpus, string model, int status, string field, string reason)
    {
        await RegisterAsync();
        using var operators = fixture.Client("operator");
        var body = Reservation(1, tenant: "acme");
        body["resources"] = new JsonObject { ["cpuMillicores"] = cpu, ["memoryMiB"] = memory, ["gpus"] = gpus, ["gpuModel"] = model };
        var key = Bodies.NewKey("rsv");

        using var response = await CreateAsync(operators, body, key);

        await response.AssertProblemAsync(status, field, reason);
        using var read = await operators.GetAsync($"/v1/reservations/acme.{key}");
        Assert.True(read.StatusCode == HttpStatusCode.NotFound, rule);
    }

    [Fact]
    public async Task An_Idempotency_Key_reused_with_another_body_is_refused_with_422_and_the_first_reservation_is_unchanged()
    {
        await RegisterAsync();
        using var acme = fixture.Client("acme");
        var key = Bodies.NewKey("rsv");
        using var first = await CreateAsync(acme, Reservation(1, 20, 21), key);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        using var reused = await CreateAsync(acme, Reservation(2, 20, 21), key);

        await reused.AssertProblemAsync(422, "Idempotency-Key", "different request");
        var kept = await (await acme.GetAsync($"/v1/reservations/acme.{key}")).JsonAsync();
        Assert.Equal(1, kept.GetProperty("resources").GetProperty("gpus").GetInt32());
        using var cancelled = await acme.PostAsync($"/v1/reservations/acme.{key}/cancel", content: null);
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
    }

    [Theory]
    [InlineData(1, 24 * 31 + 1, "end", "longer than an operator may reserve")]
    [InlineData(24 * 181, 24 * 182, "start", "further ahead than an operator may reserve")]
    public async Task An_operators_reservation_beyond_the_operator_bounds_is_refused_with_422_naming_the_field(double startHours, double endHours, string field, string reason)
    {
        await RegisterAsync();
        using var operators = fixture.Client("operator");

        using var response = await CreateAsync(operators, Reservation(1, startHours, endHours, tenant: "acme"), Bodies.NewKey("rsv"));

        await response.AssertProblemAsync(422, field, reason);
    }

    [Theory]
    [InlineData("tomorrow")]
    [InlineData(12345)]
    public async Task A_start_that_is_no_ISO_8601_time_is_refused_with_400_naming_start_and_saying_what_it_must_be(object start)
    {
        using var acme = fixture.Client("acme");
        var body = Reservation(1);
        body["start"] = start is int n ? JsonValue.Create(n) : JsonValue.Create((string)start);

        using var response = await CreateAsync(acme, body, Bodies.NewKey("rsv"));

        await response.AssertProblemAsync(400, "start", "ISO 8601");
    }

    [Fact]
    public async Task A_job_naming_an_unknown_reservation_is_refused_with_422_naming_reservation()
    {
        using var acme = fixture.Client("acme");
        var job = Bodies.Job();
        job["reservation"] = "acme.no-such-reservation";

        using var response = await acme.PostAsync("/v1/jobs", job.Json());

        await response.AssertProblemAsync(422, "reservation", "no reservation");
    }
}
