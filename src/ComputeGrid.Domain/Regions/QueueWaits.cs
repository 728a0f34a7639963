using System.Globalization;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;

namespace ComputeGrid.Domain.Regions;

/// <summary>The first job strict priority cannot start, which no job behind it passes.</summary>
/// <param name="JobId">The head job.</param>
/// <param name="Priority">Its priority.</param>
/// <param name="EarliestStart">Its earliest start from the declared run times of the jobs holding capacity; null when none can be promised.</param>
public sealed record StrictHead(string JobId, int Priority, ShadowStart? EarliestStart);

/// <summary>The window of the advance reservation a job names.</summary>
/// <param name="ReservationId">The reservation.</param>
/// <param name="Start">When its window opens.</param>
/// <param name="End">When it closes.</param>
public sealed record ReservationWindow(string ReservationId, DateTimeOffset Start, DateTimeOffset End);

/// <summary>
/// Why a queued job waits when the queue discipline or an advance reservation holds it back rather than a lack of room:
/// the sentence its Queued event and explain give. Pure: the region passes what it knows.
/// </summary>
public static class QueueWaits
{
    /// <summary>
    /// The sentence for <paramref name="jobId"/> waiting in <paramref name="hubId"/>'s queue, or null when neither the
    /// discipline nor a reservation holds it back (it waits for room, or for a loan). In order: a job naming an advance
    /// reservation waits for its window (<paramref name="reservation"/>); under strict priority a job behind the head
    /// (<paramref name="strictHead"/>) waits for it; under backfill the protected head (<paramref name="backfillHead"/>)
    /// waits for its shadow start, and a job that has room now in one of its own hub's data centers
    /// (<paramref name="ownRoomNow"/>) but would delay that start waits until it would not.
    /// </summary>
    public static string? Reason(
        string hubId,
        string jobId,
        JobSpec spec,
        QueueDiscipline discipline,
        ReservationWindow? reservation,
        StrictHead? strictHead,
        ShadowStart? backfillHead,
        IReadOnlyCollection<string> ownRoomNow,
        DateTimeOffset now)
    {
        if (spec.Reservation is { } reservationId)
        {
            return reservation is null ? null
                : now < reservation.Start
                    ? $"waits for advance reservation {reservationId}, whose window opens at {Time(reservation.Start)}"
                    : $"advance reservation {reservationId}'s window is open (since {Time(reservation.Start)}, until {Time(reservation.End)}): it starts when the reservation's share has room for it";
        }

        if (discipline == QueueDiscipline.StrictPriority && strictHead is not null && strictHead.JobId != jobId)
        {
            var start = strictHead.EarliestStart is { } s
                ? $"its earliest start is {Time(s.At)} in {s.DataCenterId}, from the declared run times"
                : "no start can be promised to it from the declared run times";
            return $"strict priority: {hubId}'s queue stops at its head, job {strictHead.JobId} (priority {strictHead.Priority}), which cannot start now ({start}); no job behind it starts before it";
        }

        if (discipline != QueueDiscipline.Backfill || backfillHead is null)
        {
            return null;
        }

        if (backfillHead.JobId == jobId)
        {
            return $"backfill: it heads {hubId}'s queue, and its shadow start at {Time(backfillHead.At)} in {backfillHead.DataCenterId} (from the declared run times) is kept clear of later jobs";
        }

        return ownRoomNow.Count > 0 && ownRoomNow.All(d => !BackfillPlanner.MayStart(backfillHead, d, spec.Resources, spec.RunTime, now))
            ? $"backfill: {backfillHead.DataCenterId} has room now, but a run of {Hours(spec.RunTime)} started there would delay job {backfillHead.JobId}, the head of {hubId}'s queue, past its shadow start at {Time(backfillHead.At)}; it starts once it no longer would"
            : null;
    }

    /// <summary>
    /// The explain summary of a queued job held back for <paramref name="reason"/> (<see cref="Reason"/>): its place in
    /// the queue, the reason, and how many data centers are feasible for it now (as the explainer counts them).
    /// </summary>
    public static string Summary(string hubId, int? queuePosition, int queueLength, string reason, int feasible, int total)
    {
        var position = queuePosition is { } p ? $"position {p} of {queueLength} in {hubId}'s queue" : $"waiting for {hubId}'s queue";
        return $"Queued, {position}: {reason}; {feasible} of {total} data centers feasible";
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Hours(TimeSpan runTime) =>
        runTime.TotalHours >= 1 ? $"{runTime.TotalHours.ToString("0.##", CultureInfo.InvariantCulture)} h" : $"{runTime.TotalMinutes.ToString("0.##", CultureInfo.InvariantCulture)} min";
}
