using System.Diagnostics;

namespace ComputeGrid.Contracts.Telemetry;

/// <summary>
/// The names of ComputeGrid's trace sources and of the tags its spans carry, shared by the SDK and the grains so a trace
/// viewer finds one job's spans by one tag everywhere (docs/operations.md, "Reading a trace").
/// </summary>
public static class TraceTags
{
    /// <summary>The SDK's spans: one per call an application makes.</summary>
    public const string ClientSource = "ComputeGrid.Client";

    /// <summary>The grains' spans: submit, place, reserve, borrow, lend, accept, assign.</summary>
    public const string GrainsSource = "ComputeGrid.Grains";

    /// <summary>The job's id.</summary>
    public const string JobId = "computegrid.job.id";

    /// <summary>The tenant the job is accounted to.</summary>
    public const string Tenant = "computegrid.tenant";

    /// <summary>The hub (region) that acts: the job's origin for a submission, the lender for an offer.</summary>
    public const string Hub = "computegrid.hub";

    /// <summary>The data center that reserves or holds capacity.</summary>
    public const string DataCenter = "computegrid.data_center";

    /// <summary>The loan a reservation is made under, or the loan being negotiated.</summary>
    public const string LoanId = "computegrid.loan.id";

    /// <summary>The peer hub of a loan negotiation: the lender asked, or the borrower answered.</summary>
    public const string PeerHub = "computegrid.peer_hub";

    /// <summary>How the span's work ended, for example <c>Placed</c>, <c>Queued</c> or <c>Refused</c>.</summary>
    public const string Outcome = "computegrid.outcome";

    /// <summary>Sets the ComputeGrid tags that have a value; null tags are left out.</summary>
    public static Activity? Tag(this Activity? activity, string? jobId = null, string? tenant = null, string? hub = null, string? dataCenter = null, string? loanId = null, string? peerHub = null)
    {
        if (activity is null)
        {
            return null;
        }

        Set(activity, JobId, jobId);
        Set(activity, Tenant, tenant);
        Set(activity, Hub, hub);
        Set(activity, DataCenter, dataCenter);
        Set(activity, LoanId, loanId);
        Set(activity, PeerHub, peerHub);
        return activity;
    }

    private static void Set(Activity activity, string key, string? value)
    {
        if (value is not null)
        {
            activity.SetTag(key, value);
        }
    }
}
