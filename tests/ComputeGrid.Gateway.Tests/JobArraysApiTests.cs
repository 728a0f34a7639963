using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ComputeGrid.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class JobArraysApiTests(GatewayFixture fixture)
{
    private static JsonObject Array(int count, long runTimeSeconds = 3600) => new() { ["count"] = count, ["template"] = Bodies.Job(runTimeSeconds) };

    private static async Task<HttpResponseMessage> SubmitArrayAsync(HttpClient http, JsonNode body, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/job-arrays") { Content = body.Json() };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return await http.SendAsync(request);
    }

    private static async Task<JsonElement> EventuallyAsync(HttpClient http, string arrayId, Func<JsonElement, bool> until, string what)
    {
        var last = default(JsonElement);
        await Eventually.TrueAsync(async () => until(last = await (await http.GetAsync($"/v1/job-arrays/{arrayId}")).JsonAsync()), what, describe: () => Task.FromResult(last.ToString()));
        return last;
    }

    [Fact]
    public async Task Posting_an_array_creates_its_elements_as_jobs_and_get_counts_them_by_state()
    {
        using var http = fixture.Client("acme");
        var key = Bodies.NewKey("array");

        using var created = await SubmitArrayAsync(http, Array(5), key);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/v1/job-arrays/acme.{key}", created.Headers.Location?.OriginalString);
        var array = await created.JsonAsync();
        Assert.Equal($"acme.{key}", array.GetProperty("arrayId").GetString());
        Assert.Equal(5, array.GetProperty("count").GetInt32());
        Assert.Equal(5, array.GetProperty("counts").EnumerateObject().Sum(c => c.Value.GetInt32()));

        var placed = await EventuallyAsync(http, $"acme.{key}", a => a.GetProperty("counts").GetProperty("Scheduled").GetInt32() + a.GetProperty("counts").GetProperty("Running").GetInt32() == 5, "every element is placed");
        Assert.Equal(5, placed.GetProperty("submitted").GetInt32());
        using var element = await http.GetAsync($"/v1/jobs/acme.{key}-4");
        Assert.Equal(HttpStatusCode.OK, element.StatusCode);
        Assert.Equal($"acme.{key}-4", (await element.JsonAsync()).GetProperty("jobId").GetString());
    }

    [Fact]
    public async Task The_same_key_and_body_return_the_same_array_and_a_different_body_answers_422()
    {
        using var http = fixture.Client("acme");
        var key = Bodies.NewKey("array-idem");
        using var first = await SubmitArrayAsync(http, Array(3), key);
        using var second = await SubmitArrayAsync(http, Array(3), key);
        using var different = await SubmitArrayAsync(http, Array(4), key);

        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal((await first.JsonAsync()).GetProperty("submittedAt").GetString(), (await second.JsonAsync()).GetProperty("submittedAt").GetString());
        await different.AssertProblemAsync(422, "Idempotency-Key", "already used");
    }

    [Theory]
    [InlineData(0, "count")]
    [InlineData(100_001, "count")]
    public async Task An_array_outside_1_to_100000_elements_answers_400_naming_count(int count, string field)
    {
        using var http = fixture.Client("acme");
        using var response = await SubmitArrayAsync(http, Array(count), Bodies.NewKey("array-bad"));
        await response.AssertProblemAsync(400, field, "between 1 and 100000");
    }

    [Fact]
    public async Task A_bad_template_field_answers_400_naming_it_under_template()
    {
        using var http = fixture.Client("acme");
        using var response = await SubmitArrayAsync(http, Array(2).With(b => b["template"]!["priority"] = 5000), null);
        await response.AssertProblemAsync(400, "template.priority");
    }

    [Fact]
    public async Task An_unknown_array_answers_404_and_another_tenants_array_is_as_absent_to_a_partner_but_not_to_an_operator()
    {
        using var acme = fixture.Client("acme");
        using var globex = fixture.Client("globex");
        using var operators = fixture.Client("operator");
        var key = Bodies.NewKey("array-private");
        using var created = await SubmitArrayAsync(acme, Array(2), key);

        using var unknown = await acme.GetAsync("/v1/job-arrays/acme.no-such-array");
        using var foreign = await globex.GetAsync($"/v1/job-arrays/acme.{key}");
        using var foreignCancel = await globex.PostAsync($"/v1/job-arrays/acme.{key}/cancel", content: null);
        using var foreignElements = await globex.GetAsync($"/v1/job-arrays/acme.{key}/elements");
        using var seen = await operators.GetAsync($"/v1/job-arrays/acme.{key}");

        await unknown.AssertProblemAsync(404, "arrayId");
        await foreign.AssertProblemAsync(404, "arrayId");
        await foreignCancel.AssertProblemAsync(404, "arrayId");
        await foreignElements.AssertProblemAsync(404, "arrayId");
        Assert.Equal(HttpStatusCode.OK, seen.StatusCode);
        Assert.False((await EventuallyAsync(acme, $"acme.{key}", _ => true, "read")).GetProperty("cancelled").GetBoolean());
    }

    [Fact]
    public async Task Elements_are_listed_in_index_order_with_opaque_cursors_and_filtered_by_state()
    {
        using var http = fixture.Client("acme");
        var key = Bodies.NewKey("array-pages");
        using var created = await SubmitArrayAsync(http, Array(5), key);

        using var first = await http.GetAsync($"/v1/job-arrays/acme.{key}/elements?limit=3");
        var page = await first.JsonAsync();
        var cursor = page.GetProperty("nextCursor").GetString();
        using var second = await http.GetAsync($"/v1/job-arrays/acme.{key}/elements?limit=3&cursor={cursor}");
        var rest = await second.JsonAsync();
        using var forged = await http.GetAsync($"/v1/job-arrays/acme.{key}/elements?cursor=4");
        using var badState = await http.GetAsync($"/v1/job-arrays/acme.{key}/elements?state=Done");

        Assert.Equal([0, 1, 2], page.GetProperty("elements").EnumerateArray().Select(e => e.GetProperty("index").GetInt32()));
        Assert.Equal([3, 4], rest.GetProperty("elements").EnumerateArray().Select(e => e.GetProperty("index").GetInt32()));
        Assert.Equal(JsonValueKind.Null, rest.GetProperty("nextCursor").ValueKind);
        await forged.AssertProblemAsync(400, "cursor");
        await badState.AssertProblemAsync(400, "state");

        await EventuallyAsync(http, $"acme.{key}", a => a.GetProperty("submitted").GetInt32() == 5, "every element is a job");
        using var cancelOne = await http.PostAsync($"/v1/jobs/acme.{key}-1/cancel", content: null);
        Assert.Equal(HttpStatusCode.OK, cancelOne.StatusCode);
        await EventuallyAsync(http, $"acme.{key}", a => a.GetProperty("counts").GetProperty("Cancelled").GetInt32() == 1, "the array counts the cancelled element");
        using var cancelled = await http.GetAsync($"/v1/job-arrays/acme.{key}/elements?state=Cancelled");
        Assert.Equal([1], (await cancelled.JsonAsync()).GetProperty("elements").EnumerateArray().Select(e => e.GetProperty("index").GetInt32()));
    }

    [Fact]
    public async Task Cancelling_an_array_cancels_every_element()
    {
        using var http = fixture.Client("acme");
        var key = Bodies.NewKey("array-cancel");
        using var created = await SubmitArrayAsync(http, Array(4), key);

        using var cancelled = await http.PostAsync($"/v1/job-arrays/acme.{key}/cancel", content: null);

        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        var array = await cancelled.JsonAsync();
        Assert.True(array.GetProperty("cancelled").GetBoolean());
        Assert.Equal(4, array.GetProperty("counts").GetProperty("Cancelled").GetInt32());

        // Elements the array had not submitted yet never become jobs; every one that is a job is cancelled.
        using var listed = await http.GetAsync($"/v1/job-arrays/acme.{key}/elements");
        var elements = (await listed.JsonAsync()).GetProperty("elements").EnumerateArray().ToList();
        Assert.Equal(4, elements.Count);
        Assert.All(elements, e => Assert.Equal("Cancelled", e.GetProperty("state").GetString()));
        foreach (var e in elements.Where(e => e.GetProperty("submitted").GetBoolean()))
        {
            Assert.Equal(Domain.Jobs.JobState.Cancelled, (await fixture.Grid.GetJobAsync(e.GetProperty("jobId").GetString()!)).State);
        }
    }

    [Fact]
    public async Task The_event_stream_sends_the_arrays_counts_as_they_change_and_ends_when_every_element_has_ended()
    {
        using var http = fixture.Client("acme");
        var key = Bodies.NewKey("array-sse");
        using var created = await SubmitArrayAsync(http, Array(3), key);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/v1/job-arrays/acme.{key}/events"), HttpCompletionOption.ResponseHeadersRead, timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = new List<(string Type, JsonElement Data)>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        var type = string.Empty;
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add((type, JsonDocument.Parse(line[6..]).RootElement.Clone()));
                if (events.Count == 1)
                {
                    using var cancel = await http.PostAsync($"/v1/job-arrays/acme.{key}/cancel", content: null, timeout.Token);
                }
            }
        }

        Assert.All(events, e => Assert.Equal("array-counts", e.Type));
        Assert.Equal(3, events[0].Data.GetProperty("counts").EnumerateObject().Sum(c => c.Value.GetInt32()));
        Assert.Equal(3, events[^1].Data.GetProperty("counts").GetProperty("Cancelled").GetInt32());
    }
}
