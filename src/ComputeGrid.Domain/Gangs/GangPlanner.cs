using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Gangs;

/// <summary>A data center a gang's members could run in, as its region sees it now.</summary>
/// <param name="DataCenterId">The data center.</param>
/// <param name="HubId">Its hub.</param>
/// <param name="LatencyMs">One-way latency from the gang's origin hub, ms.</param>
/// <param name="Room">What it has free for the gang (or, to judge whether a gang could ever fit, its capacity).</param>
public sealed record GangSite(string DataCenterId, string HubId, double LatencyMs, ResourceVector Room);

/// <summary>How many of a gang's members go to one data center.</summary>
/// <param name="DataCenterId">The data center.</param>
/// <param name="HubId">Its hub.</param>
/// <param name="Members">How many members, at least 1.</param>
public sealed record GangShare(string DataCenterId, string HubId, int Members);

/// <summary>Where all of a gang's members go: one data center, or several of one hub.</summary>
/// <param name="Shares">The data centers and their share of the members, which add up to the gang's size.</param>
public sealed record GangPlan(IReadOnlyList<GangShare> Shares)
{
    /// <summary>The hub every share is in.</summary>
    public string HubId => Shares[0].HubId;

    /// <summary>The members in a sentence: <c>4 members in dc-a</c> or <c>8 members in dc-a (6), dc-b (2)</c>.</summary>
    public string Describe()
    {
        var members = Shares.Sum(s => s.Members);
        return Shares.Count == 1
            ? $"{members} members in {Shares[0].DataCenterId}"
            : $"{members} members in {string.Join(", ", Shares.Select(s => $"{s.DataCenterId} ({s.Members})"))}, all in hub {HubId}";
    }
}

/// <summary>
/// Where a gang's members go, all or nothing (as Slurm allocates a multi-node job's nodes at once and Kueue admits a
/// workload's pod sets together): all in the first data center, in the policy's ranking, with room for every member;
/// else spread over the data centers of ONE hub, the ones with room for most members first (the fewest data centers;
/// ties by rank), when together they have room for all. Never over two hubs, never outside the gang's latency class,
/// and never a part: when no hub has room for all of it, nothing is planned and the gang waits whole.
/// </summary>
public static class GangPlanner
{
    /// <summary>How many members of <paramref name="member"/>'s shape fit in <paramref name="room"/>, at most <paramref name="most"/>.</summary>
    public static int MembersFitting(ResourceVector room, ResourceRequest member, int most)
    {
        var fitting = 0;
        var left = room;
        while (fitting < most && left.Fits(member))
        {
            left = left.Minus(member);
            fitting++;
        }

        return fitting;
    }

    /// <summary>
    /// The plan for <paramref name="members"/> members of shape <paramref name="member"/> over <paramref name="ranked"/>
    /// (the feasible data centers in the policy's order), or null when no one hub has room for all of them.
    /// </summary>
    public static GangPlan? Plan(ResourceRequest member, int members, LatencyClass latencyClass, IReadOnlyList<GangSite> ranked)
    {
        if (members < 1)
        {
            return null;
        }

        var bound = latencyClass.BoundMs() ?? double.PositiveInfinity;
        var sites = ranked.Where(s => s.LatencyMs <= bound).Select((s, rank) => (Site: s, Rank: rank, Fits: MembersFitting(s.Room, member, members))).ToList();
        if (sites.FirstOrDefault(s => s.Fits >= members) is { Site: { } whole })
        {
            return new GangPlan([new GangShare(whole.DataCenterId, whole.HubId, members)]);
        }

        // Hubs in the order of their best-ranked data center: the policy's preference decides between hubs too.
        foreach (var hub in sites.GroupBy(s => s.Site.HubId, StringComparer.Ordinal))
        {
            var shares = new List<GangShare>();
            var left = members;
            foreach (var (site, _, fits) in hub.Where(s => s.Fits > 0).OrderByDescending(s => s.Fits).ThenBy(s => s.Rank))
            {
                var take = Math.Min(fits, left);
                shares.Add(new GangShare(site.DataCenterId, site.HubId, take));
                left -= take;
                if (left == 0)
                {
                    return new GangPlan(shares);
                }
            }
        }

        return null;
    }

    /// <summary>Which member goes where: members 0.. fill the shares in order.</summary>
    public static IReadOnlyList<(int Member, GangShare Share)> Assign(GangPlan plan)
    {
        var members = new List<(int, GangShare)>();
        foreach (var share in plan.Shares)
        {
            for (var k = 0; k < share.Members; k++)
            {
                members.Add((members.Count, share));
            }
        }

        return members;
    }
}
