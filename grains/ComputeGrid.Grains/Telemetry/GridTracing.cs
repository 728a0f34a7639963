using System.Collections.Concurrent;
using System.Diagnostics;
using ComputeGrid.Contracts.Telemetry;

namespace ComputeGrid.Grains.Telemetry;

/// <summary>
/// The grains' trace source (<see cref="TraceTags.GrainsSource"/>): spans named for what they do (submit, place, reserve,
/// borrow, lend, accept loan, assign), tagged with the job, tenant, hub, data center and loan. Within a grain call a span
/// is a child of the call's span, which Orleans' activity propagation continues from the caller (a REST request, an SDK
/// call, another grain, a stream message). Work that a timer or a queue resumes later has no caller: its span continues
/// the trace of the job's last span seen on this silo, so a placement that waited for a loan stays in its submission's trace.
/// </summary>
internal static class GridTracing
{
    /// <summary>How many jobs' trace contexts a silo remembers for work resumed later; the oldest are forgotten first.</summary>
    private const int Remembered = 16_384;

    private static readonly ActivitySource Source = new(TraceTags.GrainsSource, typeof(GridTracing).Assembly.GetName().Version?.ToString());
    private static readonly ConcurrentDictionary<string, ActivityContext> Contexts = new(StringComparer.Ordinal);
    private static readonly ConcurrentQueue<string> Order = new();

    /// <summary>
    /// Starts the span of a job's submission, a child of the caller's span: from here on the job's later spans on this
    /// silo continue this trace (a retried submission with its own trace takes them over).
    /// </summary>
    public static Activity? StartSubmit(string jobId, string tenant, string hub)
    {
        var activity = Source.HasListeners() ? Source.StartActivity("submit", ActivityKind.Internal) : null;
        if (activity is not null)
        {
            Remember(jobId, activity.Context, replace: true);
        }

        return activity.Tag(jobId, tenant, hub);
    }

    /// <summary>
    /// Starts a span named <paramref name="name"/> with the tags that have a value; null when nobody listens. A span of a
    /// job whose submission this silo saw belongs to the submission's trace, even when a timer, a queue pass or another
    /// job's message resumed the work (the span that did so is linked).
    /// </summary>
    public static Activity? Start(string name, string? jobId = null, string? tenant = null, string? hub = null, string? dataCenter = null, string? loanId = null, string? peerHub = null)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var current = Activity.Current;
        Activity? activity;
        if (jobId is not null && Contexts.TryGetValue(jobId, out var submitted) && current?.TraceId != submitted.TraceId)
        {
            activity = Source.StartActivity(name, ActivityKind.Internal, submitted, links: current is null ? null : [new ActivityLink(current.Context)]);
        }
        else
        {
            activity = Source.StartActivity(name, ActivityKind.Internal);
            if (activity is not null && jobId is not null)
            {
                Remember(jobId, activity.Context, replace: false);
            }
        }

        return activity.Tag(jobId, tenant, hub, dataCenter, loanId, peerHub);
    }

    /// <summary>
    /// The span of a hub asking <paramref name="peers"/> for capacity for <paramref name="jobs"/>; it continues (and is
    /// tagged with) the first job's trace: the submission that made the hub borrow.
    /// </summary>
    public static Activity? StartBorrowing(IEnumerable<Domain.Regions.WaitingJob> jobs, string hub, IEnumerable<string> peers)
    {
        var first = jobs.FirstOrDefault();
        return Start("borrow", first?.JobId, first?.Spec.Tenant, hub, peerHub: string.Join(",", peers));
    }

    private static void Remember(string jobId, ActivityContext context, bool replace)
    {
        if (replace && Contexts.ContainsKey(jobId))
        {
            Contexts[jobId] = context;
        }
        else if (Contexts.TryAdd(jobId, context))
        {
            Order.Enqueue(jobId);
            while (Contexts.Count > Remembered && Order.TryDequeue(out var oldest))
            {
                Contexts.TryRemove(oldest, out _);
            }
        }
    }
}
