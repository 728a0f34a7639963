using System.Net;
using System.Text.Json.Nodes;

namespace ComputeGrid.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class GangsApiTests(GatewayFixture fixture)
{
    private static JsonObject Gang(int members, int maxRestarts = 0) =>
        new() { ["gang"] = new JsonObject { ["members"] = members, ["maxRestarts"] = maxRestarts }, ["template"] = Bodies.Job() };

    private static async Task<HttpResponseMessage> SubmitGangAsync(HttpClient http, JsonNode body, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/gangs") { Content = body.Json() };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return await http.SendAsync(request);
    }

    [Fact]
    public async Task Posting_a_gang_places_all_its_members_and_get_shows_them_and_the_gang_placed_step()
    {
        using var http = fixture.Client("acme");
        var key = Bodies.NewKey("gang");

        using var created = await SubmitGangAsync(http, Gang(3), key);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/v1/gangs/acme.{key}", created.Headers.Location?.OriginalString);
        var gang = await created.JsonAsync();
        Assert.Equal("Scheduled", gang.GetProperty("state").GetString());
        var members = gang.GetProperty("memberList").EnumerateArray().ToList();
        Assert.Equal(3, members.Count);
        Assert.Equal($"acme.{key}+0", members[0].GetProperty("jobId").GetString());
        Assert.Contains(gang.GetProperty("history").EnumerateArray(), e => e.GetProperty("detail").GetString()!.StartsWith("gang placed: 3 members in", StringComparison.Ordinal));

        using var member = await http.GetAsync($"/v1/jobs/acme.{key}+1");
        Assert.Equal(HttpStatusCode.OK, member.StatusCode);

        using var again = await SubmitGangAsync(http, Gang(3), key);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        using var different = await SubmitGangAsync(http, Gang(4), key);
        await different.AssertProblemAsync(422, "Idempotency-Key", "already used");

        using var cancelled = await http.PostAsync($"/v1/gangs/acme.{key}/cancel", content: null);
        Assert.Equal("Cancelled", (await cancelled.JsonAsync()).GetProperty("state").GetString());
    }

    [Theory]
    [InlineData(0, 0, "gang.members", "must be at least 1")]
    [InlineData(-2, 0, "gang.members", "must be at least 1")]
    [InlineData(257, 0, "gang.members", "must be at most 256")]
    [InlineData(2, 11, "gang.maxRestarts", "must be between 0 and 10")]
    public async Task A_gang_outside_its_limits_is_refused_with_a_problem_naming_the_field(int members, int maxRestarts, string field, string reason)
    {
        using var http = fixture.Client("acme");
        using var response = await SubmitGangAsync(http, Gang(members, maxRestarts), Bodies.NewKey("gang"));
        await response.AssertProblemAsync(400, field, reason);
    }

    [Fact]
    public async Task A_gang_without_its_gang_object_is_refused_naming_gang()
    {
        using var http = fixture.Client("acme");
        using var response = await SubmitGangAsync(http, new JsonObject { ["template"] = Bodies.Job() }, Bodies.NewKey("gang"));
        await response.AssertProblemAsync(400, "gang");
    }

    [Fact]
    public async Task A_gang_that_no_hub_could_ever_hold_whole_answers_422_naming_gang_members()
    {
        using var http = fixture.Client("acme");
        var body = Gang(256).With(b => b["template"]!["resources"] = new JsonObject { ["cpuMillicores"] = 1_024_000, ["memoryMiB"] = 8192 });
        using var response = await SubmitGangAsync(http, body, Bodies.NewKey("gang"));
        await response.AssertProblemAsync(422, "gang.members", "can never be placed together");
    }

    [Fact]
    public async Task Another_tenants_gang_is_as_absent_as_an_unknown_one()
    {
        using var acme = fixture.Client("acme");
        using var globex = fixture.Client("globex");
        var key = Bodies.NewKey("gang");
        using var created = await SubmitGangAsync(acme, Gang(1), key);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using var foreign = await globex.GetAsync($"/v1/gangs/acme.{key}");
        await foreign.AssertProblemAsync(404, "gangId");
        await acme.PostAsync($"/v1/gangs/acme.{key}/cancel", content: null);
    }
}
