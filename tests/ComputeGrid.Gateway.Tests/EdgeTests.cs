using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace ComputeGrid.Gateway.Tests;

/// <summary>The edge of the API (issue 17, items 5-11): what is checked first, and how every refusal is written.</summary>
[Collection(GatewayCollection.Name)]
public sealed class EdgeTests(GatewayFixture fixture)
{
    [Theory]
    [InlineData("GET", "/v1/nothing-here", null)]
    [InlineData("DELETE", "/v1/jobs", null)]
    [InlineData("PUT", "/v1/pool", null)]
    [InlineData("POST", "/v1/jobs", "text/plain")]
    [InlineData("POST", "/v1/data-centers", "application/xml")]
    [InlineData("GET", "/v1/jobs?limt=2", null)]
    public async Task Without_a_valid_key_every_v1_request_answers_401_before_path_method_media_type_or_query_are_checked(string method, string path, string? contentType)
    {
        using var none = fixture.Client(null);
        using var wrong = fixture.Client(null);
        wrong.DefaultRequestHeaders.Add("X-API-Key", "not-a-key");

        foreach (var http in new[] { none, wrong })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (contentType is not null)
            {
                request.Content = Bodies.Raw("<job/>", contentType);
            }

            using var response = await http.SendAsync(request);

            await response.AssertProblemAsync(401, "X-API-Key");
        }
    }

    [Theory]
    [InlineData("/v1/data-centers", "text/plain")]
    [InlineData("/v1/tenants/acme/api-keys", "application/xml")]
    [InlineData("/v1/tenants/acme/api-keys/k-000000000000/rotate", "application/xml")]
    [InlineData("/v1/data-centers/ningxia-a/agents", "application/xml")]
    public async Task A_partner_key_on_an_operator_route_answers_403_before_the_media_type_is_checked(string path, string contentType)
    {
        using var partner = fixture.Client("acme");

        using var response = await partner.PostAsync(path, Bodies.Raw("<dc/>", contentType));

        await response.AssertProblemAsync(403, "X-API-Key", "for operators");
    }

    [Fact]
    public async Task An_agent_sync_without_a_credential_answers_401_before_the_media_type_is_checked()
    {
        using var anonymous = fixture.Client(null);

        using var response = await anonymous.PostAsync("/v1/agent/sync", Bodies.Raw("<sync/>", "application/xml"));

        await response.AssertProblemAsync(401, "Authorization");
    }

    [Theory]
    [InlineData(400, "Bad Request", "/v1/jobs?limit=0")]
    [InlineData(404, "Not Found", "/v1/nothing-here")]
    [InlineData(404, "Not Found", "/v1/hubs/mars")]
    public async Task Every_problem_has_the_status_reason_phrase_as_its_title_and_a_type(int status, string title, string path)
    {
        using var http = fixture.Client("acme");

        using var response = await http.GetAsync(path);

        var problem = await response.AssertProblemAsync(status, problem => true);
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.StartsWith("https://tools.ietf.org/html/rfc9110#section-15.5.", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_429_has_a_type_and_the_reason_phrase_as_its_title()
    {
        using var limited = fixture.Client("limited");
        HttpResponseMessage? refused = null;
        for (var i = 0; i <= GatewayFixture.LimitedPermits && refused is null; i++)
        {
            var response = await limited.GetAsync("/v1/tenant");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.NotNull(refused);
        using (refused)
        {
            var problem = await refused.AssertProblemAsync(429, "tenant", "retry after");
            Assert.Equal("Too Many Requests", problem.GetProperty("title").GetString());
            Assert.Equal("https://tools.ietf.org/html/rfc6585#section-4", problem.GetProperty("type").GetString());
        }
    }

    [Fact]
    public async Task Requests_without_a_valid_key_are_rate_limited_by_client_address_while_keyed_requests_go_on()
    {
        const int permits = 3;
        await using var gateway = await fixture.StartGatewayAsync(new Dictionary<string, string?> { ["Gateway:RateLimit:AnonymousPermitLimit"] = $"{permits}" });
        var address = new Uri(gateway.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var anonymous = new HttpClient { BaseAddress = address };
        using var wrongKey = new HttpClient { BaseAddress = address };
        wrongKey.DefaultRequestHeaders.Add("X-API-Key", "guessed-key");
        using var keyed = new HttpClient { BaseAddress = address };
        keyed.DefaultRequestHeaders.Add("X-API-Key", GatewayFixture.Keys["globex"].Key);

        for (var i = 0; i < permits; i++)
        {
            using var unauthorized = await (i % 2 == 0 ? anonymous : wrongKey).GetAsync("/v1/pool");
            Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        }

        using var refused = await wrongKey.GetAsync("/v1/pool");
        using var refusedAnonymous = await anonymous.GetAsync("/v1/no-such-path");
        using var served = await keyed.GetAsync("/v1/tenant");

        var problem = await refused.AssertProblemAsync(429, "X-API-Key", "retry after");
        Assert.Equal("https://tools.ietf.org/html/rfc6585#section-4", problem.GetProperty("type").GetString());
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        await refusedAnonymous.AssertProblemAsync(429, "X-API-Key");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task A_body_with_several_problems_lists_every_one_of_them()
    {
        using var http = fixture.Client("bad-input");
        const string body = """
            {"originHub": 5, "resources": {"cpuMillicores": "a lot", "memoryMiB": 1024, "disk": 1},
             "runTimeSeconds": "60", "policy": "Cheapest,Fastest", "bogus": true}
            """;

        using var response = await http.PostAsync("/v1/jobs", Bodies.Raw(body, "application/json"));

        var problem = await response.AssertProblemAsync(400, "originHub", "must be a string");
        var fields = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ToList();
        Assert.Equal(["originHub", "resources.cpuMillicores", "resources.disk", "runTimeSeconds", "policy", "bogus"], fields);
        Assert.Contains("and 5 more", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_bad_paging_parameter_is_listed()
    {
        using var http = fixture.Client("bad-input");

        using var response = await http.GetAsync("/v1/jobs?state=Done&limit=0&cursor=abc&limt=2&hub=x");

        var problem = await response.AssertProblemAsync(400, "limt");
        Assert.Equal(["limt", "hub", "state", "limit", "cursor"], problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()));
        using var issueExample = await http.GetAsync("/v1/jobs?limt=2&foo=1&limit=0&cursor=zz");
        var example = await issueExample.AssertProblemAsync(400, "limt");
        Assert.Equal(["limt", "foo", "limit", "cursor"], example.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()));
        using var paging = await http.GetAsync("/v1/jobs?state=Done&limit=0&cursor=abc");
        var listed = await paging.AssertProblemAsync(400, "state");
        Assert.Equal(["state", "limit", "cursor"], listed.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()));
    }

    [Fact]
    public async Task Cursors_are_opaque_and_refused_on_another_listing_or_when_edited()
    {
        using var http = fixture.Client("pager");
        for (var i = 0; i < 3; i++)
        {
            using var submitted = await http.SubmitAsync(Bodies.Job(), Bodies.NewKey("cursor"));
        }

        using var first = await http.GetAsync("/v1/jobs?limit=1");
        var firstPage = await first.JsonAsync();
        var cursor = firstPage.GetProperty("nextCursor").GetString()!;
        Assert.False(long.TryParse(cursor, out _), $"{cursor} is not a bare number");

        using var next = await http.GetAsync($"/v1/jobs?limit=1&cursor={cursor}");
        using var otherState = await http.GetAsync($"/v1/jobs?limit=1&state=Queued&cursor={cursor}");
        using var loans = await http.GetAsync($"/v1/loans?limit=1&cursor={cursor}");
        var edited = cursor[..^2] + (cursor[^2] == 'A' ? "B" : "A") + cursor[^1];
        using var tampered = await http.GetAsync($"/v1/jobs?limit=1&cursor={edited}");

        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.NotEqual(
            firstPage.GetProperty("jobs")[0].GetProperty("jobId").GetString(),
            (await next.JsonAsync()).GetProperty("jobs")[0].GetProperty("jobId").GetString());
        await otherState.AssertProblemAsync(400, "cursor", "not a cursor this API returned");
        await loans.AssertProblemAsync(400, "cursor", "not a cursor this API returned");
        await tampered.AssertProblemAsync(400, "cursor", "not a cursor this API returned");
    }

    [Fact]
    public async Task Data_centers_at_the_capacity_bounds_keep_the_pool_capacity_positive()
    {
        using var operators = fixture.Client("operator");
        var id = $"max-{Guid.NewGuid():n}"[..20];
        var body = Bodies.DataCenter(id).With(b => b["capacity"] = new JsonObject
        {
            ["cpuMillicores"] = 100_000_000_000,
            ["memoryMiB"] = 1L << 40,
            ["gpus"] = new JsonObject { ["A800"] = 1_000_000 },
        });

        using var registered = await operators.PostAsync("/v1/data-centers", body.Json());
        using var pool = await operators.GetAsync("/v1/pool");

        // Drained at once so that it takes none of the other tests' jobs, then removed if none arrived meanwhile.
        using var drained = await operators.PostAsync($"/v1/data-centers/{id}/drain", content: null);
        using var removed = await operators.DeleteAsync($"/v1/data-centers/{id}");

        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        var p = await pool.JsonAsync();
        foreach (var part in new[] { "capacity", "free" })
        {
            Assert.True(p.GetProperty(part).GetProperty("cpuMillicores").GetInt64() >= 100_000_000_000, p.ToString());
            Assert.True(p.GetProperty(part).GetProperty("memoryMiB").GetInt64() >= 1L << 40, p.ToString());
            Assert.True(p.GetProperty(part).GetProperty("gpus").GetProperty("A800").GetInt32() >= 1_000_000, p.ToString());
        }

        Assert.Equal(HttpStatusCode.OK, drained.StatusCode);
    }

    [Fact]
    public async Task The_schema_states_the_bounds_of_capacity_names_ids_and_gpu_models()
    {
        using var http = fixture.Client(null);
        var schemas = (await http.GetFromJsonElementAsync("/openapi/v1.json")).GetProperty("components").GetProperty("schemas");

        var capacity = schemas.GetProperty("CapacityBody").GetProperty("properties");
        Assert.Equal(100_000_000_000, capacity.GetProperty("cpuMillicores").GetProperty("maximum").GetInt64());
        Assert.Equal(1L << 40, capacity.GetProperty("memoryMiB").GetProperty("maximum").GetInt64());
        var dataCenter = schemas.GetProperty("RegisterDataCenterBody").GetProperty("properties");
        Assert.Equal(200, dataCenter.GetProperty("name").GetProperty("maxLength").GetInt32());
        Assert.Equal(64, dataCenter.GetProperty("id").GetProperty("maxLength").GetInt32());
        Assert.Equal(64, dataCenter.GetProperty("hubId").GetProperty("maxLength").GetInt32());
        Assert.Equal(32, schemas.GetProperty("ResourcesBody").GetProperty("properties").GetProperty("gpuModel").GetProperty("maxLength").GetInt32());
        var job = schemas.GetProperty("SubmitJobBody").GetProperty("properties");
        Assert.Equal(64, job.GetProperty("originHub").GetProperty("maxLength").GetInt32());
        Assert.Equal(64, job.GetProperty("allowedHubs").GetProperty("maxItems").GetInt32());
    }

    [Fact]
    public async Task Request_bodies_are_documented_as_application_json_only()
    {
        using var http = fixture.Client(null);
        var paths = (await http.GetFromJsonElementAsync("/openapi/v1.json")).GetProperty("paths");

        var submit = paths.GetProperty("/v1/jobs").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        var register = paths.GetProperty("/v1/data-centers").GetProperty("post").GetProperty("requestBody").GetProperty("content");

        Assert.Equal(["application/json"], submit.EnumerateObject().Select(c => c.Name));
        Assert.Equal(["application/json"], register.EnumerateObject().Select(c => c.Name));
    }

    public static TheoryData<string, string, int, string> KestrelCases => new()
    {
        { "a NUL (%00) in the path", "GET /v1/pool%00 HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, "request" },
        { "a raw LF in the path", "GET /v1/po\nol HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, "request" },
        { "a URL over 8 KiB", $"GET /v1/pool?{new string('a', 9000)} HTTP/1.1\r\nHost: localhost\r\n\r\n", 414, "path" },
        { "a Content-Length that is not a number", "POST /v1/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n", 400, "request" },
        { "two different Content-Lengths", "POST /v1/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400, "request" },
        { "headers over 32 KiB", $"GET /v1/pool HTTP/1.1\r\nHost: localhost\r\nX-Big: {new string('b', 40_000)}\r\n\r\n", 431, "headers" },
    };

    [Theory]
    [MemberData(nameof(KestrelCases))]
    public async Task A_request_Kestrel_refuses_itself_still_answers_a_problem(string name, string request, int status, string field)
    {
        var (head, body) = await RawAsync(request);

        Assert.True(head.StartsWith($"HTTP/1.1 {status} ", StringComparison.Ordinal), $"{name}: {head}");
        Assert.Contains("Content-Type: application/problem+json", head, StringComparison.Ordinal);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("type").GetString()));
        Assert.Equal(1, problem.GetProperty("errors").GetArrayLength());
    }

    [Theory]
    [InlineData("GET /v1/po\rol HTTP/1.1\r\nHost: localhost\r\n\r\n")]
    [InlineData("GET /v1/po%0Dol HTTP/1.1\r\nHost: localhost\r\n\r\n")]
    [InlineData("GET /v1/hubs/a%1Bb HTTP/1.1\r\nHost: localhost\r\nX-API-Key: test-key-acme\r\n\r\n")]
    [InlineData("GET /v1/jobs/a%7Fb HTTP/1.1\r\nHost: localhost\r\n\r\n")]
    public async Task A_path_with_a_control_character_answers_400_naming_the_path_before_authentication(string request)
    {
        var (head, body) = await RawAsync(request);

        Assert.True(head.StartsWith("HTTP/1.1 400 ", StringComparison.Ordinal), head);
        Assert.Contains("Content-Type: application/problem+json", head, StringComparison.Ordinal);
        Assert.Equal("path", JsonDocument.Parse(body).RootElement.GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_good_request_on_the_same_raw_connection_is_answered_unchanged()
    {
        var (head, body) = await RawAsync("GET /v1/hubs/mars HTTP/1.1\r\nHost: localhost\r\nX-API-Key: test-key-acme\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 404 ", head, StringComparison.Ordinal);
        Assert.Equal("hubId", JsonDocument.Parse(body).RootElement.GetProperty("field").GetString());
    }

    /// <summary>Sends <paramref name="request"/> as it is on a new TCP connection and reads the whole answer (the server closes).</summary>
    private async Task<(string Head, string Body)> RawAsync(string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(fixture.BaseAddress.Host, fixture.BaseAddress.Port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var read = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await stream.CopyToAsync(read, timeout.Token);
        var text = Encoding.UTF8.GetString(read.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, text);
        var head = text[..split];
        var body = text[(split + 4)..];
        if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }

        return (head, body);
    }

    private static string Dechunk(string chunked)
    {
        var result = new StringBuilder();
        var at = 0;
        while (true)
        {
            var end = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(chunked[at..end], 16);
            if (size == 0)
            {
                return result.ToString();
            }

            result.Append(chunked, end + 2, size);
            at = end + 2 + size + 2;
        }
    }
}

internal static class EdgeHttp
{
    public static async Task<JsonElement> GetFromJsonElementAsync(this HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    /// <summary>Asserts the status and the problem shape, whatever the field.</summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, int status, Func<JsonElement, bool> check)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.True(check(problem), text);
        return problem;
    }
}
