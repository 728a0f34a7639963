namespace ComputeGrid.Domain.Placement;

/// <summary>Sentences a placement adds to its reason for the person who follows the job's events.</summary>
public static class PlacementNotes
{
    /// <summary>
    /// Why a job waiting in <paramref name="originHub"/>'s queue, whose event announced that its best place was in
    /// <paramref name="announcedHub"/> (and that the origin borrows there), was placed in <paramref name="placedHub"/>
    /// instead; null when it went where announced. <paramref name="announcedLentNothing"/>: the announced hub refused,
    /// offered nothing useful or did not answer in time (the origin stopped asking it for a while).
    /// </summary>
    public static string? NotWhereAnnounced(string? announcedHub, string placedHub, string originHub, bool onLoan, bool announcedLentNothing)
    {
        if (announcedHub is null || announcedHub == placedHub)
        {
            return null;
        }

        var instead = announcedLentNothing
            ? $"{announcedHub} lent no capacity (it refused, had nothing useful to offer or did not answer in time)"
            : $"{announcedHub}'s capacity did not come first";
        var here = placedHub == originHub
            ? $"room in {originHub}'s own data centers"
            : onLoan ? $"a loan in {placedHub}" : $"room in {placedHub}";
        return $"not in {announcedHub} as announced: {instead}, and {here} was the best place it could use";
    }
}
