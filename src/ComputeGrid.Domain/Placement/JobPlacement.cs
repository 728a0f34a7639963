using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Placement;

/// <summary>Where a job was placed and why.</summary>
/// <param name="DataCenterId">The chosen data center.</param>
/// <param name="HubId">Its hub.</param>
/// <param name="Reason">Why it won: the policy, the deciding number and the runner-up.</param>
/// <param name="LatencyMs">One-way latency from the job's origin hub, ms.</param>
/// <param name="Estimate">The job's estimated energy (kWh), carbon (kgCO2) and cost (CNY) there for its declared run time.</param>
/// <param name="Energy">The data center's energy profile at placement, used for the job's actual footprint.</param>
/// <param name="LoanId">The loan the job runs on when the data center belongs to another hub than its origin; null at home.</param>
public sealed record JobPlacement(
    string DataCenterId,
    string HubId,
    string Reason,
    double LatencyMs,
    Footprint Estimate,
    EnergyProfile Energy,
    string? LoanId = null);
