using System.Text.Json.Nodes;
using ComputeGrid.Client;

namespace ComputeGrid.Gateway.Tests;

/// <summary>
/// Malformed requests, one per row: each answers the stated status with a ProblemDetails naming the field and the
/// reason, and changes nothing (no job, no listing row, no tenant count, no directory change).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class BadInputTests(GatewayFixture fixture)
{
    private const string Partner = "bad-input";
    private const string Operator = "operator";

    public static TheoryData<string> Names => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public async Task A_malformed_request_answers_a_problem_naming_the_field_and_the_reason_and_changes_nothing(string name)
    {
        var c = Cases[name];
        var before = await SnapshotAsync();
        using var http = fixture.Client(c.Key);
        using var request = new HttpRequestMessage(c.Method, c.Path) { Content = c.Content?.Invoke() };
        var jobKey = $"bad-{Guid.NewGuid():n}";
        if (c.Method == HttpMethod.Post && c.Path == "/v1/jobs")
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", c.IdempotencyKey ?? jobKey);
        }

        foreach (var (header, value) in c.Headers)
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }

        using var response = await http.SendAsync(request);

        await response.AssertProblemAsync(c.Status, c.Field, c.Reason);
        Assert.Equal(before, await SnapshotAsync());
        await Assert.ThrowsAsync<ComputeGridNotFoundException>(() => fixture.Grid.GetJobAsync($"{Partner}.{jobKey}"));
    }

    private async Task<string> SnapshotAsync()
    {
        var jobs = await fixture.Grid.ListJobsAsync(Partner, limit: 500);
        var summary = await fixture.Grid.GetTenantSummaryAsync(Partner);
        var directory = await fixture.Grid.Admin.GetDirectoryAsync();
        return string.Join(";", jobs.Jobs.Select(j => $"{j.JobId}:{j.State}"))
            + "|" + string.Join(",", summary.JobsByState.OrderBy(s => s.Key).Select(s => $"{s.Key}={s.Value}"))
            + "|" + directory.Version + "|" + string.Join(",", directory.DataCenters.Select(d => $"{d.Spec.Id}:{d.Status}"));
    }

    private sealed record Case(string Key, HttpMethod Method, string Path, Func<HttpContent>? Content, int Status, string Field, string Reason)
    {
        public string? IdempotencyKey { get; init; }

        public IReadOnlyList<(string Header, string Value)> Headers { get; init; } = [];
    }

    private static readonly Dictionary<string, Case> Cases = Build();

    private static Dictionary<string, Case> Build()
    {
        var cases = new Dictionary<string, Case>(StringComparer.Ordinal);
        void Submit(string name, Func<HttpContent> content, string field, string reason, int status = 400) =>
            cases.Add($"submit: {name}", new Case(Partner, HttpMethod.Post, "/v1/jobs", content, status, field, reason));
        void Raw(string name, string body, string field, string reason, int status = 400) =>
            Submit(name, () => Bodies.Raw(body, "application/json"), field, reason, status);
        void Job(string name, Action<JsonObject> change, string field, string reason, int status = 400) =>
            Submit(name, () => Bodies.Job().With(change).Json(), field, reason, status);
        void Resources(string name, Action<JsonObject> change, string field, string reason, int status = 400) =>
            Job(name, b => change(b["resources"]!.AsObject()), field, reason, status);

        // Malformed JSON.
        Raw("an unterminated object is not valid JSON", "{", "body", "is not valid JSON");
        Raw("a missing value is not valid JSON", "{\"originHub\":}", "body", "is not valid JSON");
        Raw("single quotes are not valid JSON", "{'originHub':'yangtze'}", "body", "is not valid JSON");
        Raw("a trailing comma is not valid JSON", "{\"originHub\":\"yangtze\",}", "body", "is not valid JSON");
        Raw("a comment is not valid JSON", "// job\n{}", "body", "is not valid JSON");
        Raw("content after the object is not valid JSON", Bodies.Job().ToJsonString() + "}", "body", "is not valid JSON");
        Raw("a bare word is not valid JSON", "nul", "body", "is not valid JSON");
        Raw("a missing comma is not valid JSON", "{\"originHub\":\"yangtze\" \"priority\":1}", "body", "is not valid JSON");
        Raw("an unterminated string is not valid JSON", "{\"originHub\":\"yang", "body", "is not valid JSON");
        Raw("NaN is not valid JSON", "{\"inputDataGiB\":NaN}", "body", "is not valid JSON");
        Raw("plain text is not valid JSON", "originHub=yangtze", "body", "is not valid JSON");

        // A body that is not an object.
        Raw("an array body is refused", "[]", "body", "must be a JSON object");
        Raw("a string body is refused", "\"job\"", "body", "must be a JSON object");
        Raw("a number body is refused", "42", "body", "must be a JSON object");
        Raw("a boolean body is refused", "true", "body", "must be a JSON object");
        Raw("a null body is refused", "null", "body", "must be a JSON object");
        Raw("an empty body is refused", string.Empty, "body", "is required");

        // Content types.
        Submit("text/plain is not JSON", () => Bodies.Raw(Bodies.Job().ToJsonString(), "text/plain"), "Content-Type", "must be application/json", 415);
        Submit("no content type is not JSON", () => Bodies.Raw(Bodies.Job().ToJsonString(), null), "Content-Type", "must be application/json", 415);
        Submit("application/xml is not JSON", () => Bodies.Raw("<job/>", "application/xml"), "Content-Type", "must be application/json", 415);
        Submit("a form is not JSON", () => Bodies.Raw("originHub=yangtze", "application/x-www-form-urlencoded"), "Content-Type", "must be application/json", 415);
        Submit("a charset other than UTF-8 is refused", () => Bodies.Raw(Bodies.Job().ToJsonString(), "application/json; charset=iso-8859-1"), "Content-Type", "must be application/json", 415);
        Submit("a vendor +json type is not application/json", () => Bodies.Raw(Bodies.Job().ToJsonString(), "application/vnd.acme+json"), "Content-Type", "must be application/json", 415);
        Submit("problem+json is not application/json", () => Bodies.Raw(Bodies.Job().ToJsonString(), "application/problem+json"), "Content-Type", "must be application/json", 415);
        Submit("multipart is not JSON", () => Bodies.Raw("--x--", "multipart/form-data; boundary=x"), "Content-Type", "must be application/json", 415);

        // Oversize bodies.
        Submit("a body over 64 KiB is too large", () => Bodies.Raw(Bodies.Job().ToJsonString() + new string(' ', 70_000), "application/json"), "body", "must be at most 65536 bytes", 413);
        Job("a huge allowedHubs list is too large", b => b["allowedHubs"] = new JsonArray([.. Enumerable.Range(0, 8000).Select(i => (JsonNode)$"hub-{i}")]), "body", "must be at most", 413);

        // Missing fields.
        Job("originHub is required", b => b.Remove("originHub"), "originHub", "is required");
        Job("resources are required", b => b.Remove("resources"), "resources", "is required");
        Job("runTimeSeconds is required", b => b.Remove("runTimeSeconds"), "runTimeSeconds", "is required");
        Resources("cpuMillicores is required", r => r.Remove("cpuMillicores"), "resources.cpuMillicores", "is required");
        Resources("memoryMiB is required", r => r.Remove("memoryMiB"), "resources.memoryMiB", "is required");
        Raw("an empty object misses originHub first", "{}", "originHub", "is required");

        // Unknown and repeated fields.
        Job("tenant is not a field: the key names the tenant", b => b["tenant"] = "globex", "tenant", "is not a field of this request");
        Job("jobId is not a field: the Idempotency-Key names the job", b => b["jobId"] = "mine", "jobId", "is not a field of this request");
        Job("state is not a field", b => b["state"] = "Running", "state", "is not a field of this request");
        Resources("an unknown resource is not a field", r => r["cpu"] = 4, "resources.cpu", "is not a field of this request");
        Resources("gpuCount is not a field", r => r["gpuCount"] = 1, "resources.gpuCount", "is not a field of this request");
        Job("an unknown nested object is not a field", b => b["extra"] = new JsonObject(), "extra", "is not a field of this request");
        Raw("a field given twice is refused", "{\"originHub\":\"yangtze\",\"originHub\":\"gba\",\"resources\":{\"cpuMillicores\":1000,\"memoryMiB\":1024},\"runTimeSeconds\":60}", "originHub", "appears more than once");
        Raw("a nested field given twice is refused", "{\"originHub\":\"yangtze\",\"resources\":{\"cpuMillicores\":1000,\"cpuMillicores\":2000,\"memoryMiB\":1024},\"runTimeSeconds\":60}", "resources.cpuMillicores", "appears more than once");

        // Wrong types.
        Job("originHub must be a string", b => b["originHub"] = 5, "originHub", "must be a string");
        Job("resources must be an object, not a string", b => b["resources"] = "big", "resources", "must be a JSON object");
        Job("maxPriceCny must be a number, not a string", b => b["maxPriceCny"] = "abc", "maxPriceCny", "must be a finite number within range");
        Job("maxPriceCny beyond any finite number is refused", b => b["maxPriceCny"] = JsonNode.Parse("1e400"), "maxPriceCny", "must be a finite number within range");
        void Quote(string name, Action<JsonObject> change, string field, string reason) =>
            cases.Add($"quote: {name}", new Case(Partner, HttpMethod.Post, "/v1/quotes", () => Bodies.Job().With(change).Json(), 400, field, reason));
        Quote("maxPriceCny must be a number, not a string", b => b["maxPriceCny"] = "abc", "maxPriceCny", "must be a finite number within range");
        Quote("maxPriceCny beyond any finite number is refused", b => b["maxPriceCny"] = JsonNode.Parse("1e400"), "maxPriceCny", "must be a finite number within range");
        void Prices(string name, Action<JsonObject> change, string field, string reason) =>
            cases.Add($"prices: {name}", new Case(Operator, HttpMethod.Put, "/v1/data-centers/qingyang/prices", () => new JsonObject { ["cpuCoreHourCny"] = 0.01, ["memoryGiBHourCny"] = 0.0003 }.With(change).Json(), 400, field, reason));
        Prices("cpuCoreHourCny must be a number, not a string", b => b["cpuCoreHourCny"] = "0.01", "cpuCoreHourCny", "must be a finite number within range");
        Prices("cpuCoreHourCny beyond the decimal range is refused", b => b["cpuCoreHourCny"] = JsonNode.Parse("1e30"), "cpuCoreHourCny", "must be a finite number within range");
        Prices("a GPU-hour price must be a number, not null", b => b["gpuHourCny"] = new JsonObject { ["910B"] = null }, "gpuHourCny.910B", "must be a finite number within range");
        Job("resources must be an object, not an array", b => b["resources"] = new JsonArray(), "resources", "must be a JSON object");
        Job("runTimeSeconds must not be a string", b => b["runTimeSeconds"] = "7200", "runTimeSeconds", "must be a whole number");
        Job("runTimeSeconds must be whole", b => b["runTimeSeconds"] = 7200.5, "runTimeSeconds", "must be a whole number");
        Job("runTimeSeconds beyond a 64-bit integer is refused", b => b["runTimeSeconds"] = JsonNode.Parse("1e30"), "runTimeSeconds", "must be a whole number");
        Resources("cpuMillicores must not be a boolean", r => r["cpuMillicores"] = true, "resources.cpuMillicores", "must be a whole number");
        Resources("cpuMillicores must not be a string", r => r["cpuMillicores"] = "4000", "resources.cpuMillicores", "must be a whole number");
        Resources("cpuMillicores beyond 64 bits is refused", r => r["cpuMillicores"] = JsonNode.Parse("99999999999999999999"), "resources.cpuMillicores", "must be a whole number");
        Resources("memoryMiB must not be an object", r => r["memoryMiB"] = new JsonObject(), "resources.memoryMiB", "must be a whole number");
        Resources("gpus must be whole", r => r["gpus"] = 1.5, "resources.gpus", "must be a whole number");
        Resources("gpus beyond 32 bits is refused", r => r["gpus"] = 3_000_000_000L, "resources.gpus", "must be a whole number");
        Resources("gpuModel must be a string", r => r["gpuModel"] = 910, "resources.gpuModel", "must be a string");
        Job("allowedHubs must be an array, not a string", b => b["allowedHubs"] = "yangtze", "allowedHubs", "must be an array");
        Job("allowedHubs must be an array, not an object", b => b["allowedHubs"] = new JsonObject(), "allowedHubs", "must be an array");
        Job("allowedHubs must hold strings", b => b["allowedHubs"] = new JsonArray(1), "allowedHubs[0]", "must be a string");
        Job("priority must be a number", b => b["priority"] = "high", "priority", "must be a whole number");
        Job("inputDataGiB must not be a string", b => b["inputDataGiB"] = "10", "inputDataGiB", "must be a number");

        // Nulls.
        Job("originHub must not be null", b => b["originHub"] = null, "originHub", "must not be null");
        Job("resources must not be null", b => b["resources"] = null, "resources", "must not be null");
        Job("runTimeSeconds must not be null", b => b["runTimeSeconds"] = null, "runTimeSeconds", "must be a whole number");
        Job("allowedHubs must not be null", b => b["allowedHubs"] = null, "allowedHubs", "must not be null");
        Job("policy must not be null", b => b["policy"] = null, "policy", "must be one of");
        Job("allowedHubs must not hold null", b => b["allowedHubs"] = new JsonArray((JsonNode?)null), "allowedHubs", "empty");

        // Bad enum values.
        Job("an unknown policy is refused", b => b["policy"] = "Green", "policy", "must be one of Greenest, Cheapest, Fastest, Balanced");
        Job("a policy by number is refused", b => b["policy"] = 1, "policy", "must be one of");
        Job("a policy by numeric string is refused", b => b["policy"] = "1", "policy", "must be one of");
        Job("an empty policy is refused", b => b["policy"] = string.Empty, "policy", "must be one of");
        Job("an unknown latency class is refused", b => b["latencyClass"] = "Fast", "latencyClass", "must be one of Interactive, Regional, Batch");
        Job("a latency class by number is refused", b => b["latencyClass"] = 0, "latencyClass", "must be one of");
        Job("a latency class as an object is refused", b => b["latencyClass"] = new JsonObject(), "latencyClass", "must be one of");

        // Negative, zero and absurd values.
        Resources("zero CPU is refused", r => r["cpuMillicores"] = 0, "resources.cpuMillicores", "at least 1 millicore");
        Resources("negative CPU is refused", r => r["cpuMillicores"] = -1, "resources.cpuMillicores", "at least 1 millicore");
        Resources("CPU above 1,024 cores is refused", r => r["cpuMillicores"] = 1_024_001, "resources.cpuMillicores", "at most 1024000 millicores");
        Resources("absurd CPU is refused", r => r["cpuMillicores"] = long.MaxValue, "resources.cpuMillicores", "at most");
        Resources("zero memory is refused", r => r["memoryMiB"] = 0, "resources.memoryMiB", "at least 1 MiB");
        Resources("negative memory is refused", r => r["memoryMiB"] = -5, "resources.memoryMiB", "at least 1 MiB");
        Resources("memory above 16 TiB is refused", r => r["memoryMiB"] = 16L * 1024 * 1024 + 1, "resources.memoryMiB", "at most");
        Resources("negative GPUs are refused", r => r["gpus"] = -1, "resources.gpus", "must not be negative");
        Resources("more than 1,024 GPUs are refused", r => r["gpus"] = 1025, "resources.gpus", "at most 1024");
        Resources("GPUs without a model are refused", r => r["gpus"] = 2, "resources.gpuModel", "is required when resources.gpus is above 0");
        Resources("GPUs with an empty model are refused", r => { r["gpus"] = 1; r["gpuModel"] = string.Empty; }, "resources.gpuModel", "is required");
        Job("a zero run time is refused", b => b["runTimeSeconds"] = 0, "runTimeSeconds", "between 1 and 2592000 seconds");
        Job("a negative run time is refused", b => b["runTimeSeconds"] = -60, "runTimeSeconds", "between 1 and 2592000 seconds");
        Job("a run time over 30 days is refused", b => b["runTimeSeconds"] = 2_592_001, "runTimeSeconds", "between 1 and 2592000 seconds");
        Job("an absurd run time is refused", b => b["runTimeSeconds"] = long.MaxValue, "runTimeSeconds", "between 1 and 2592000 seconds");
        Job("a negative priority is refused", b => b["priority"] = -1, "priority", "between 0 and 1000");
        Job("a priority over 1000 is refused", b => b["priority"] = 1001, "priority", "between 0 and 1000");
        Job("negative input data is refused", b => b["inputDataGiB"] = -1, "inputDataGiB", "between 0 and");
        Job("input data over 1 PiB is refused", b => b["inputDataGiB"] = 1_048_577, "inputDataGiB", "between 0 and");
        Job("an empty origin hub is refused", b => b["originHub"] = string.Empty, "originHub", "must not be empty");
        Job("a blank origin hub is refused", b => b["originHub"] = "   ", "originHub", "must not be empty");

        // Unknown hubs and GPU models, and jobs that can never run.
        Job("an unknown origin hub is refused", b => b["originHub"] = "mars", "originHub", "unknown hub 'mars'");
        Job("an unknown allowed hub is refused", b => b["allowedHubs"] = new JsonArray("yangtze", "mars"), "allowedHubs", "unknown hub 'mars'");
        Job("an empty allowed hub is refused", b => b["allowedHubs"] = new JsonArray(string.Empty), "allowedHubs", "empty");
        Resources("an unknown GPU model is refused", r => { r["gpus"] = 1; r["gpuModel"] = "V100"; }, "resources.gpuModel", "unknown GPU model 'V100'");
        Resources("more GPUs than any data center has can never run", r => { r["gpus"] = 600; r["gpuModel"] = "910B"; }, "resources.gpus", "exceed the largest allowed data center", 422);

        // Enums take exactly one documented name (issue 17, item 9).
        Job("a comma-separated list of policies is refused", b => b["policy"] = "Cheapest,Fastest", "policy", "must be one of Greenest, Cheapest, Fastest, Balanced");
        Job("a comma-separated list of latency classes is refused", b => b["latencyClass"] = "Batch, Interactive", "latencyClass", "must be one of Interactive, Regional, Batch");
        Job("a policy in lower case is refused", b => b["policy"] = "greenest", "policy", "must be one of");
        Job("a latency class in upper case is refused", b => b["latencyClass"] = "BATCH", "latencyClass", "must be one of");
        Job("a policy with spaces around it is refused", b => b["policy"] = " Greenest", "policy", "must be one of");

        // GPU models and lengths (issue 17, item 10).
        Resources("an unknown GPU model without GPUs is refused", r => { r["gpus"] = 0; r["gpuModel"] = "V100"; }, "resources.gpuModel", "unknown GPU model 'V100'");
        Resources("a GPU model with markup is refused", r => { r["gpus"] = 0; r["gpuModel"] = "<script>x"; }, "resources.gpuModel", "letters, digits");
        Resources("a GPU model over 32 characters is refused", r => { r["gpus"] = 1; r["gpuModel"] = new string('A', 33); }, "resources.gpuModel", "1-32");
        Job("an origin hub over 64 characters is refused", b => b["originHub"] = new string('h', 65), "originHub", "at most 64 characters");
        Job("more than 64 allowed hubs are refused", b => b["allowedHubs"] = new JsonArray([.. Enumerable.Range(0, 65).Select(_ => (JsonNode)"yangtze")]), "allowedHubs", "at most 64 hubs");
        Job("an unknown origin hub is echoed cut short", b => b["originHub"] = new string('m', 60), "originHub", $"unknown hub '{new string('m', 32)}\u2026'");

        // Idempotency keys.
        cases.Add("submit: an Idempotency-Key with a space is refused", new Case(Partner, HttpMethod.Post, "/v1/jobs", () => Bodies.Job().Json(), 400, "Idempotency-Key", "letters, digits") { IdempotencyKey = "two words" });
        cases.Add("submit: an Idempotency-Key with a dot is refused", new Case(Partner, HttpMethod.Post, "/v1/jobs", () => Bodies.Job().Json(), 400, "Idempotency-Key", "letters, digits") { IdempotencyKey = "a.b" });
        cases.Add("submit: an Idempotency-Key over 63 characters is refused", new Case(Partner, HttpMethod.Post, "/v1/jobs", () => Bodies.Job().Json(), 400, "Idempotency-Key", "1-63") { IdempotencyKey = new string('k', 64) });
        cases.Add("submit: an empty Idempotency-Key is refused", new Case(Partner, HttpMethod.Post, "/v1/jobs", () => Bodies.Job().Json(), 400, "Idempotency-Key", "1-63") { IdempotencyKey = string.Empty });
        cases.Add("submit: an Idempotency-Key with a slash is refused", new Case(Partner, HttpMethod.Post, "/v1/jobs", () => Bodies.Job().Json(), 400, "Idempotency-Key", "letters, digits") { IdempotencyKey = "a/b" });

        // Listing.
        void List(string name, string query, string field, string reason) =>
            cases.Add($"list: {name}", new Case(Partner, HttpMethod.Get, "/v1/jobs?" + query, null, 400, field, reason));
        List("a state in lower case is refused", "state=running", "state", "must be one of Pending");
        List("an unknown state is refused", "state=Done", "state", "must be one of");
        List("a state by number is refused", "state=1", "state", "must be one of");
        List("an empty state is refused", "state=", "state", "must be one of");
        List("a zero limit is refused", "limit=0", "limit", "between 1 and 500");
        List("a limit over 500 is refused", "limit=501", "limit", "between 1 and 500");
        List("a negative limit is refused", "limit=-1", "limit", "between 1 and 500");
        List("a limit that is not a number is refused", "limit=ten", "limit", "between 1 and 500");
        List("a fractional limit is refused", "limit=1.5", "limit", "between 1 and 500");
        List("a limit beyond 32 bits is refused", "limit=99999999999", "limit", "between 1 and 500");
        List("a cursor that is not ours is refused", "cursor=abc", "cursor", "not a cursor this API returned");
        List("a zero cursor is refused", "cursor=0", "cursor", "not a cursor");
        List("a negative cursor is refused", "cursor=-1", "cursor", "not a cursor");
        List("a cursor in exponent form is refused", "cursor=1e3", "cursor", "not a cursor");
        List("a cursor beyond 64 bits is refused", "cursor=99999999999999999999", "cursor", "not a cursor");
        List("the state is checked before the limit and the cursor", "state=Done&limit=0&cursor=abc", "state", "must be one of");
        List("the limit is checked before the cursor", "limit=0&cursor=abc", "limit", "between 1 and 500");
        List("a cursor the API did not issue is refused", "cursor=99999", "cursor", "not a cursor this API returned");
        List("an unknown query parameter is refused", "limt=2", "limt", "is not a query parameter of this endpoint; it takes cursor, limit, state, tenant");
        List("a query parameter in another case is refused", "Limit=2", "Limit", "is not a query parameter");
        cases.Add("loans: hub is not a query parameter (hubId is)", new Case(Partner, HttpMethod.Get, "/v1/loans?hub=bth", null, 400, "hub", "it takes cursor, hubId, limit, state"));
        cases.Add("pool: a query parameter where none is taken is refused", new Case(Partner, HttpMethod.Get, "/v1/pool?verbose=1", null, 400, "verbose", "which takes none"));

        // Unknown ids and paths.
        void Get(string name, HttpMethod method, string path, int status, string field, string reason, params (string, string)[] headers) =>
            cases.Add($"{method.Method.ToLowerInvariant()}: {name}", new Case(Partner, method, path, null, status, field, reason) { Headers = headers });
        Get("an unknown job id answers 404", HttpMethod.Get, "/v1/jobs/bad-input.no-such-job", 404, "jobId", "no job with this id");
        Get("a job id with invalid characters answers 404", HttpMethod.Get, "/v1/jobs/not%20a%20job", 404, "jobId", "no job with this id");
        Get("cancelling an unknown job answers 404", HttpMethod.Post, "/v1/jobs/bad-input.no-such-job/cancel", 404, "jobId", "no job with this id");
        Get("the events of an unknown job answer 404", HttpMethod.Get, "/v1/jobs/bad-input.no-such-job/events", 404, "jobId", "no job with this id");
        Get("a Last-Event-ID that is not a sequence is refused", HttpMethod.Get, "/v1/jobs/bad-input.no-such-job/events", 400, "Last-Event-ID", "sequence", ("Last-Event-ID", "abc"));
        Get("an unknown hub answers 404", HttpMethod.Get, "/v1/hubs/mars", 404, "hubId", "no hub with this id");
        Get("the data centers of an unknown hub answer 404", HttpMethod.Get, "/v1/hubs/mars/data-centers", 404, "hubId", "no hub with this id");
        Get("an unknown path answers 404", HttpMethod.Get, "/v1/nothing-here", 404, "path", "names no resource");
        Get("deleting the job collection is not allowed", HttpMethod.Delete, "/v1/jobs", 405, "method", "DELETE is not allowed");
        Get("replacing the pool is not allowed", HttpMethod.Put, "/v1/pool", 405, "method", "PUT is not allowed");

        // Operators' data centers.
        void Register(string name, Func<HttpContent> content, string field, string reason, int status = 400) =>
            cases.Add($"register: {name}", new Case(Operator, HttpMethod.Post, "/v1/data-centers", content, status, field, reason));
        void Dc(string name, Action<JsonObject> change, string field, string reason, int status = 400) =>
            Register(name, () => Bodies.DataCenter("bad-dc").With(change).Json(), field, reason, status);
        Dc("the id is required", b => b.Remove("id"), "id", "is required");
        Dc("an id with upper case and underscores is refused", b => b["id"] = "Bad_ID", "id", "a-z, 0-9 and '-'");
        Dc("an id that is a hub id is refused", b => b["id"] = "guizhou", "id", "is a hub id");
        Dc("an id already in the pool answers 409", b => b["id"] = "guian", "id", "already exists", 409);
        Dc("an empty name is refused", b => b["name"] = " ", "name", "must not be empty");
        Dc("an unknown hub is refused", b => b["hubId"] = "mars", "hubId", "unknown hub 'mars'");
        Dc("a latitude over 90 is refused", b => b["location"]!["lat"] = 91, "location.lat", "between -90 and 90");
        Dc("a longitude under -180 is refused", b => b["location"]!["lon"] = -181, "location.lon", "between -180 and 180");
        Dc("a PUE under 1 is refused", b => b["energy"]!["pue"] = 0.5, "energy.pue", "between 1.0 and 3.0");
        Dc("a PUE as text is refused", b => b["energy"]!["pue"] = "low", "energy.pue", "must be a number");
        Dc("a green share over 1 is refused", b => b["energy"]!["greenShare"] = 2, "energy.greenShare", "between 0 and 1");
        Dc("a negative price is refused", b => b["energy"]!["priceCnyPerKwh"] = -1, "energy.priceCnyPerKwh", "between 0 and 100");
        Dc("a grid factor over 2 is refused", b => b["energy"]!["gridKgCo2PerKwh"] = 3, "energy.gridKgCo2PerKwh", "between 0 and 2");
        Dc("negative CPU capacity is refused", b => b["capacity"]!["cpuMillicores"] = -1, "capacity.cpuMillicores", "between 0 and");
        Dc("a negative GPU count is refused", b => b["capacity"]!["gpus"] = new JsonObject { ["A800"] = -1 }, "capacity.gpus.A800", "between 0 and");
        Dc("a GPU count as text is refused", b => b["capacity"]!["gpus"] = new JsonObject { ["A800"] = "many" }, "capacity.gpus.A800", "must be a whole number");
        Dc("a status is not a field", b => b["status"] = "Online", "status", "is not a field of this request");
        Dc("energy is required", b => b.Remove("energy"), "energy", "is required");

        // Capacity bounds (issue 17, item 6) and lengths (item 10).
        Dc("CPU capacity of 2^63-1 millicores is refused", b => b["capacity"]!["cpuMillicores"] = long.MaxValue, "capacity.cpuMillicores", "between 0 and 100000000000 millicores");
        Dc("memory capacity of 2^63-1 MiB is refused", b => b["capacity"]!["memoryMiB"] = long.MaxValue, "capacity.memoryMiB", "between 0 and 1099511627776 MiB");
        Dc("2^31-1 GPUs of a model are refused", b => b["capacity"]!["gpus"] = new JsonObject { ["A800"] = int.MaxValue }, "capacity.gpus.A800", "between 0 and 1000000");
        Dc("a GPU model name with markup is refused", b => b["capacity"]!["gpus"] = new JsonObject { ["<b>x"] = 1 }, "capacity.gpus", "letters, digits");
        Dc("a name of 60 KB is refused", b => b["name"] = new string('n', 60_000), "name", "at most 200 printable characters");
        Dc("an id over 64 characters is refused", b => b["id"] = new string('d', 65), "id", "1-64 characters");
        Register("application/merge-patch+json is not application/json", () => Bodies.Raw(Bodies.DataCenter("bad-dc").ToJsonString(), "application/merge-patch+json"), "Content-Type", "must be application/json", 415);
        Register("malformed JSON is refused", () => Bodies.Raw("{\"id\":", "application/json"), "body", "is not valid JSON");
        Register("text/plain is not JSON", () => Bodies.Raw(Bodies.DataCenter("bad-dc").ToJsonString(), "text/plain"), "Content-Type", "must be application/json", 415);

        void Admin(string name, HttpMethod method, string path) =>
            cases.Add($"admin: {name}", new Case(Operator, method, path, null, 404, "dataCenterId", "no data center with this id"));
        Admin("draining an unknown data center answers 404", HttpMethod.Post, "/v1/data-centers/no-such-dc/drain");
        Admin("resuming an unknown data center answers 404", HttpMethod.Post, "/v1/data-centers/no-such-dc/resume");
        Admin("removing an unknown data center answers 404", HttpMethod.Delete, "/v1/data-centers/no-such-dc");
        Admin("draining an invalid data center id answers 404", HttpMethod.Post, "/v1/data-centers/NO_SUCH/drain");
        return cases;
    }
}
