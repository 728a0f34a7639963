using System.Net;

namespace ComputeGrid.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class RateLimitTests(GatewayFixture fixture)
{
    [Fact]
    public async Task A_tenant_over_its_limit_gets_429_with_retry_after_while_other_tenants_go_on()
    {
        using var limited = fixture.Client("limited");
        using var other = fixture.Client("globex");
        for (var i = 0; i < GatewayFixture.LimitedPermits; i++)
        {
            using var ok = await limited.GetAsync("/v1/tenant");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var refused = await limited.GetAsync("/v1/tenant");
        using var unaffected = await other.GetAsync("/v1/tenant");

        await refused.AssertProblemAsync(429, "tenant", "retry after");
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Assert.Equal(HttpStatusCode.OK, unaffected.StatusCode);
    }
}
