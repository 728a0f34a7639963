using System.Text.Json;
using System.Text.Json.Nodes;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

/// <summary>A hub's quota in the topology file: lendingLimit, borrowingLimit and reclaimPolicy, each error naming its field.</summary>
public class TopologyQuotaTests
{
    private const string ValidJson = """
        {
          "hubs": [
            {
              "id": "east-hub", "name": "East Hub", "zone": "east", "lat": 31.2, "lon": 121.5,
              "quota": {
                "lendingLimit": { "cpuMillicores": 100000, "memoryMiB": 409600, "gpus": { "A800": 4 } },
                "borrowingLimit": { "cpuMillicores": 500000, "memoryMiB": 2048000 },
                "reclaimPolicy": "Any"
              }
            },
            { "id": "west-hub", "name": "West Hub", "zone": "west", "lat": 26.4, "lon": 106.6 }
          ],
          "dataCenters": [
            {
              "id": "dc-east", "name": "DC East", "hub": "east-hub", "lat": 31.1, "lon": 121.1,
              "pue": 1.25, "gridKgCo2PerKwh": 0.58, "greenShare": 0.2, "priceCnyPerKwh": 0.78,
              "capacity": { "cpuMillicores": 1000000, "memoryMiB": 4096000, "gpus": { "A800": 16 } }
            }
          ]
        }
        """;

    private static readonly JsonDocumentOptions ReadOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private static readonly Dictionary<string, (Action<JsonObject> Change, string Field)> Errors = new()
    {
        ["a quota that is not an object"] = (q => q.Parent!["quota"] = "generous", "quota"),
        ["an unknown reclaim policy"] = (q => q["reclaimPolicy"] = "Sometimes", "quota.reclaimPolicy"),
        ["a reclaim policy number out of the enum's range"] = (q => q["reclaimPolicy"] = "7", "quota.reclaimPolicy"),
        ["a reclaim policy given as a number in a string"] = (q => q["reclaimPolicy"] = "0", "quota.reclaimPolicy"),
        ["a reclaim policy given as a list of names"] = (q => q["reclaimPolicy"] = "Never, Any", "quota.reclaimPolicy"),
        ["a reclaim policy given as a JSON number"] = (q => q["reclaimPolicy"] = 2, "quota.reclaimPolicy"),
        ["a reclaim policy given as a JSON boolean"] = (q => q["reclaimPolicy"] = true, "quota.reclaimPolicy"),
        ["a lending limit that is not an object"] = (q => q["lendingLimit"] = 5, "quota.lendingLimit"),
        ["a borrowing limit that is not an object"] = (q => q["borrowingLimit"] = new JsonArray(), "quota.borrowingLimit"),
        ["a lending limit without cpuMillicores"] = (q => q["lendingLimit"]!.AsObject().Remove("cpuMillicores"), "quota.lendingLimit.cpuMillicores"),
        ["a borrowing limit without memoryMiB"] = (q => q["borrowingLimit"]!.AsObject().Remove("memoryMiB"), "quota.borrowingLimit.memoryMiB"),
        ["a fractional cpuMillicores"] = (q => q["lendingLimit"]!["cpuMillicores"] = 1.5, "quota.lendingLimit.cpuMillicores"),
        ["a negative cpuMillicores"] = (q => q["borrowingLimit"]!["cpuMillicores"] = -1, "quota.borrowingLimit.cpuMillicores"),
        ["a negative memoryMiB"] = (q => q["lendingLimit"]!["memoryMiB"] = -1024, "quota.lendingLimit.memoryMiB"),
        ["GPUs that are not an object"] = (q => q["lendingLimit"]!["gpus"] = 4, "quota.lendingLimit.gpus"),
        ["a fractional GPU count"] = (q => q["lendingLimit"]!["gpus"]!["A800"] = 1.5, "quota.lendingLimit.gpus.A800"),
        ["a GPU count given as a string"] = (q => q["borrowingLimit"]!["gpus"] = new JsonObject { ["910B"] = "8" }, "quota.borrowingLimit.gpus.910B"),
        ["a negative GPU count"] = (q => q["lendingLimit"]!["gpus"]!["A800"] = -4, "quota.lendingLimit"),
    };

    public static TheoryData<string> ErrorScenarios => [.. Errors.Keys];

    [Fact]
    public void A_quota_reads_its_lending_limit_borrowing_limit_and_reclaim_policy()
    {
        var quota = TopologyLoader.Parse(ValidJson).Hubs["east-hub"].Quota;

        Assert.Equal(new HubQuota(ResourceVector.Of(100_000, 409_600, [new("A800", 4)]), ResourceVector.Of(500_000, 2_048_000), ReclaimPolicy.Any), quota);
    }

    [Fact]
    public void A_hub_without_a_quota_has_no_limits_and_the_LowerPriority_reclaim_policy()
    {
        var hub = TopologyLoader.Parse(ValidJson).Hubs["west-hub"];

        Assert.Null(hub.Quota);
        Assert.Equal(HubQuota.Default, hub.EffectiveQuota);
    }

    [Fact]
    public void The_shipped_western_hubs_lend_up_to_80_percent_and_the_eastern_up_to_25_percent_of_their_capacity()
    {
        foreach (var hub in Shipped.Topology.Hubs.Values)
        {
            var nominal = Shipped.Topology.DataCentersOf(hub.Id).Aggregate(ResourceVector.Zero, (sum, d) => sum.Plus(d.Capacity));
            var share = hub.Zone == Zone.West ? 0.8 : 0.25;
            var limit = hub.EffectiveQuota.LendingLimit!;
            Assert.Equal((long)(nominal.CpuMillicores * share), limit.CpuMillicores);
            Assert.Equal((long)(nominal.MemoryMiB * share), limit.MemoryMiB);
            Assert.All(nominal.Gpus, g => Assert.Equal((int)(g.Value * share), limit.GpusOf(g.Key)));
            Assert.Null(hub.EffectiveQuota.BorrowingLimit);
            Assert.Equal(hub.Zone == Zone.West ? ReclaimPolicy.LowerPriority : ReclaimPolicy.Any, hub.EffectiveQuota.Reclaim);
        }
    }

    [Theory]
    [InlineData("lendingLimit")]
    [InlineData("borrowingLimit")]
    public void A_missing_or_null_limit_is_no_limit(string limit)
    {
        var missing = TopologyLoader.Parse(WithQuota(q => q.Remove(limit))).Hubs["east-hub"].EffectiveQuota;
        var isNull = TopologyLoader.Parse(WithQuota(q => q[limit] = null)).Hubs["east-hub"].EffectiveQuota;

        Assert.Equal(missing, isNull);
        Assert.Null(limit == "lendingLimit" ? missing.LendingLimit : missing.BorrowingLimit);
        Assert.NotNull(limit == "lendingLimit" ? missing.BorrowingLimit : missing.LendingLimit);
    }

    [Fact]
    public void A_quota_without_a_reclaim_policy_recalls_from_lower_priorities()
    {
        var quota = TopologyLoader.Parse(WithQuota(q => q.Remove("reclaimPolicy"))).Hubs["east-hub"].EffectiveQuota;

        Assert.Equal(ReclaimPolicy.LowerPriority, quota.Reclaim);
    }

    [Theory]
    [InlineData("Never", ReclaimPolicy.Never)]
    [InlineData("lowerpriority", ReclaimPolicy.LowerPriority)]
    [InlineData("ANY", ReclaimPolicy.Any)]
    public void The_reclaim_policy_is_read_whatever_its_case(string text, ReclaimPolicy policy)
    {
        var quota = TopologyLoader.Parse(WithQuota(q => q["reclaimPolicy"] = text)).Hubs["east-hub"].EffectiveQuota;

        Assert.Equal(policy, quota.Reclaim);
    }

    [Fact]
    public void A_limit_without_gpus_lends_or_borrows_no_GPU()
    {
        var quota = TopologyLoader.Parse(ValidJson).Hubs["east-hub"].EffectiveQuota;

        Assert.Empty(quota.BorrowingLimit!.Gpus);
    }

    [Theory]
    [MemberData(nameof(ErrorScenarios))]
    public void An_invalid_quota_throws_a_TopologyException_naming_the_hub_and_the_field(string scenario)
    {
        var (change, field) = Errors[scenario];

        var e = Assert.Throws<TopologyException>(() => TopologyLoader.Parse(WithQuota(change)));

        Assert.Equal(field, e.Field);
        Assert.Equal("hubs[0] (east-hub)", e.Entry);
    }

    private static string WithQuota(Action<JsonObject> change)
    {
        var root = JsonNode.Parse(ValidJson, documentOptions: ReadOptions)!;
        change(root["hubs"]![0]!["quota"]!.AsObject());
        return root.ToJsonString();
    }
}
