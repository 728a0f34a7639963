namespace ComputeGrid.Grains.Hosting;

/// <summary>
/// Registers a grain's wake reminder just after it activated instead of during activation: the reminder is a write to the
/// reminder table, and a region or data center activated by a failover should answer its first calls without waiting for
/// it. The registration runs on an interleaving timer (it touches no grain state) and is tried again until it succeeds.
/// </summary>
internal static class WakeReminders
{
    /// <summary>How long after a failed registration (storage not answering) it is tried again.</summary>
    private static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(15);

    public static void RegisterSoon(IGrainBase grain, string name, TimeSpan period)
    {
        IGrainTimer? timer = null;
        timer = grain.RegisterGrainTimer(
            async cancellationToken =>
            {
                await grain.RegisterOrUpdateReminder(name, period, period, cancellationToken);
                timer?.Dispose();
            },
            new GrainTimerCreationOptions(TimeSpan.Zero, RetryEvery) { Interleave = true, KeepAlive = false });
    }
}
