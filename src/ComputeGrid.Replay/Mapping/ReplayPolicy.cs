using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Replay.Mapping;

/// <summary>A placement policy the replay compares; each runs the same jobs on a fresh federation.</summary>
public enum ReplayPolicy
{
    /// <summary>Every job in its origin hub, no loans (the baseline every saving is measured against).</summary>
    OriginOnly,

    /// <summary>The lowest-latency feasible data center (ComputeGrid's Fastest), loans allowed.</summary>
    Nearest,

    /// <summary>Job n may run only in hub n mod 8 (in the topology's hub order); the origin borrows there when it is another hub.</summary>
    RoundRobin,

    /// <summary>ComputeGrid's Greenest policy with loans.</summary>
    Greenest,

    /// <summary>ComputeGrid's Cheapest policy with loans.</summary>
    Cheapest,

    /// <summary>ComputeGrid's Balanced policy with loans.</summary>
    Balanced,

    /// <summary>ComputeGrid's GreenestPredictive policy with loans: Greenest that waits, within a bound, for a full greenest data center predicted to free.</summary>
    GreenestPredictive,
}

/// <summary>What each replay policy means for the federation and for each submitted job.</summary>
public static class ReplayPolicies
{
    /// <summary>Every policy, baseline first.</summary>
    public static IReadOnlyList<ReplayPolicy> All { get; } = Enum.GetValues<ReplayPolicy>();

    /// <summary>Whether hubs may borrow capacity from each other under this policy.</summary>
    public static bool LoansEnabled(this ReplayPolicy policy) => policy != ReplayPolicy.OriginOnly;

    /// <summary>The ComputeGrid placement policy jobs are submitted with.</summary>
    public static PlacementPolicy Placement(this ReplayPolicy policy) => policy switch
    {
        ReplayPolicy.Nearest => PlacementPolicy.Fastest,
        ReplayPolicy.Greenest => PlacementPolicy.Greenest,
        ReplayPolicy.Cheapest => PlacementPolicy.Cheapest,
        ReplayPolicy.GreenestPredictive => PlacementPolicy.GreenestPredictive,
        _ => PlacementPolicy.Balanced,
    };

    /// <summary>The hubs job number <paramref name="index"/> may run in; empty for every hub.</summary>
    public static IReadOnlyList<string> AllowedHubs(this ReplayPolicy policy, int index, string origin, IReadOnlyList<string> hubs) => policy switch
    {
        ReplayPolicy.OriginOnly => [origin],
        ReplayPolicy.RoundRobin => [hubs[index % hubs.Count]],
        _ => [],
    };

    /// <summary>The policy's name on the command line and in reports (kebab case).</summary>
    public static string Name(this ReplayPolicy policy) => policy switch
    {
        ReplayPolicy.OriginOnly => "origin-only",
        ReplayPolicy.RoundRobin => "round-robin",
        ReplayPolicy.GreenestPredictive => "greenest-predictive",
        _ => policy.ToString().ToLowerInvariant(),
    };

    /// <summary>Parses a kebab-case policy name; null when unknown.</summary>
    public static ReplayPolicy? Parse(string name) => All.Cast<ReplayPolicy?>().FirstOrDefault(p => string.Equals(p!.Value.Name(), name.Trim(), StringComparison.OrdinalIgnoreCase));
}
