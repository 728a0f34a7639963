namespace ComputeGrid.Domain.Gangs;

/// <summary>One member's reservation answer in a placement attempt.</summary>
/// <param name="MemberId">The member's job id (its reservation's id at the data center).</param>
/// <param name="DataCenterId">Where it was asked for.</param>
/// <param name="Held">True when the data center holds it.</param>
public sealed record MemberReservation(string MemberId, string DataCenterId, bool Held);

/// <summary>The outcome of one attempt to reserve a whole gang.</summary>
/// <param name="Placed">True when every member is held: the gang is placed.</param>
/// <param name="Release">When not placed: the reservations this attempt did get, to give back before the attempt ends.</param>
public sealed record GangAttemptOutcome(bool Placed, IReadOnlyList<MemberReservation> Release);

/// <summary>
/// The rule that keeps gangs from deadlocking each other: an attempt to place a gang reserves every member (one call per
/// data center), and unless every one is held, it releases in the same attempt whatever it did get, at every data center.
/// So a waiting gang never holds part of its capacity across queue passes, and two gangs that together exceed the
/// capacity cannot each hold half of it while waiting for the other's half (the classic hold-and-wait).
/// </summary>
public static class GangReservation
{
    /// <summary>Placed when every member is held; otherwise what must be released now.</summary>
    public static GangAttemptOutcome Settle(IReadOnlyList<MemberReservation> answers) =>
        answers.Count > 0 && answers.All(a => a.Held)
            ? new GangAttemptOutcome(true, [])
            : new GangAttemptOutcome(false, [.. answers.Where(a => a.Held)]);
}
