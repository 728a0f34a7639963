namespace ComputeGrid.Domain.Resources;

/// <summary>Choosing what to take back so that a waiting request fits, as Kueue chooses preemption victims.</summary>
public static class RoomMaking
{
    /// <summary>
    /// Takes <paramref name="ordered"/> in turn (each freeing <paramref name="amount"/>) until <paramref name="waiting"/>
    /// fits in <paramref name="free"/> plus what was taken, then gives back, last taken first, every one it fits without.
    /// Null when taking all of them is not enough.
    /// </summary>
    public static List<T>? Choose<T>(ResourceVector free, ResourceRequest waiting, IEnumerable<T> ordered, Func<T, ResourceVector> amount)
    {
        var chosen = new List<T>();
        foreach (var candidate in ordered)
        {
            if (free.Fits(waiting))
            {
                break;
            }

            chosen.Add(candidate);
            free = free.Plus(amount(candidate));
        }

        if (!free.Fits(waiting))
        {
            return null;
        }

        for (var i = chosen.Count - 2; i >= 0; i--)
        {
            var without = free.Minus(amount(chosen[i]));
            if (without.Fits(waiting))
            {
                free = without;
                chosen.RemoveAt(i);
            }
        }

        return chosen;
    }
}
