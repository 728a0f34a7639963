using System.Net;
using System.Text.Json;

namespace ComputeGrid.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class LoansApiTests(GatewayFixture fixture)
{
    [Fact]
    public async Task A_greenest_job_from_Yangtze_shows_its_loan_and_the_loan_is_listed_read_and_counted_in_the_balances_with_the_jobs_running_on_it()
    {
        using var http = fixture.Client("loans");
        var key = Bodies.NewKey("loan");
        using var submitted = await http.SubmitAsync(Bodies.Job().With(b => b["policy"] = "Greenest"), key);
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);

        JsonElement job = default;
        await Eventually.TrueAsync(
            async () =>
            {
                using var response = await http.GetAsync($"/v1/jobs/loans.{key}");
                job = await response.JsonAsync();
                return job.GetProperty("state").GetString() is "Scheduled" or "Running";
            },
            "the job is placed under a loan");
        var placement = job.GetProperty("placement");
        Assert.Equal("guizhou", placement.GetProperty("hubId").GetString());
        var loanId = placement.GetProperty("loanId").GetString()!;

        using var one = await http.GetAsync($"/v1/loans/{loanId}");
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        var loan = await one.JsonAsync();
        Assert.Equal("guizhou", loan.GetProperty("lender").GetString());
        Assert.Equal("yangtze", loan.GetProperty("borrower").GetString());
        Assert.Equal("Active", loan.GetProperty("state").GetString());
        Assert.True(loan.GetProperty("cnyPerCoreHour").GetDouble() > 0);
        Assert.Equal(["Offered", "Active"], loan.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("state").GetString()));
        Assert.NotEmpty(loan.GetProperty("slices").EnumerateArray());

        // Usage is settled as each job leaves the loan; the job running on it now is counted from the lender's data centers.
        Assert.True(loan.GetProperty("jobsRunning").GetInt32() >= 1, loan.ToString());

        using var list = await http.GetAsync("/v1/loans?hubId=yangtze&state=Active&limit=500");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var listed = (await list.JsonAsync()).GetProperty("loans").EnumerateArray().Single(l => l.GetProperty("loanId").GetString() == loanId);
        Assert.True(listed.GetProperty("jobsRunning").GetInt32() >= 1, listed.ToString());

        using var balances = await http.GetAsync("/v1/balances");
        Assert.Equal(HttpStatusCode.OK, balances.StatusCode);
        var rows = (await balances.JsonAsync()).EnumerateArray().ToList();
        Assert.Equal(fixture.Topology.Hubs.Count, rows.Count);
        Assert.True(rows.Single(r => r.GetProperty("hubId").GetString() == "guizhou").GetProperty("lentNow").GetProperty("cpuMillicores").GetInt64() >= 4000);

        using var cancelled = await http.PostAsync($"/v1/jobs/loans.{key}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
    }

    [Theory]
    [InlineData("/v1/loans?state=Lent", 400, "state", "must be one of Offered, Active")]
    [InlineData("/v1/loans?state=active", 400, "state", "must be one of Offered")]
    [InlineData("/v1/loans?state=1", 400, "state", "must be one of Offered")]
    [InlineData("/v1/loans?state=", 400, "state", "must be one of Offered")]
    [InlineData("/v1/loans?limit=0", 400, "limit", "must be a whole number between 1 and 500")]
    [InlineData("/v1/loans?limit=501", 400, "limit", "must be a whole number between 1 and 500")]
    [InlineData("/v1/loans?limit=ten", 400, "limit", "must be a whole number between 1 and 500")]
    [InlineData("/v1/loans?limit=-1", 400, "limit", "must be a whole number between 1 and 500")]
    [InlineData("/v1/loans?limit=1.5", 400, "limit", "must be a whole number between 1 and 500")]
    [InlineData("/v1/loans?limit=99999999999", 400, "limit", "must be a whole number between 1 and 500")]
    [InlineData("/v1/loans?cursor=abc", 400, "cursor", "is not a cursor this API returned")]
    [InlineData("/v1/loans?cursor=-1", 400, "cursor", "is not a cursor this API returned")]
    [InlineData("/v1/loans?cursor=0", 400, "cursor", "is not a cursor this API returned")]
    [InlineData("/v1/loans?cursor=1e3", 400, "cursor", "is not a cursor this API returned")]
    [InlineData("/v1/loans?cursor=99999999999999999999", 400, "cursor", "is not a cursor this API returned")]
    [InlineData("/v1/loans?state=Lent&limit=0&cursor=abc", 400, "state", "must be one of")]
    [InlineData("/v1/loans?limit=0&cursor=abc&hubId=atlantis", 400, "limit", "between 1 and 500")]
    [InlineData("/v1/loans?cursor=abc&hubId=atlantis", 400, "cursor", "is not a cursor")]
    [InlineData("/v1/loans?hubId=atlantis", 400, "hubId", "no hub with this id")]
    [InlineData("/v1/loans/no-such-loan", 404, "loanId", "no loan with this id")]
    public async Task A_bad_loan_query_names_the_first_bad_field_and_the_reason(string path, int status, string field, string reason)
    {
        using var http = fixture.Client("loans");

        using var response = await http.GetAsync(path);

        await response.AssertProblemAsync(status, field, reason);
    }

    [Fact]
    public async Task Loans_need_an_api_key()
    {
        using var http = fixture.Client(null);

        using var response = await http.GetAsync("/v1/loans");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
