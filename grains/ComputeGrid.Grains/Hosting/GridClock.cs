namespace ComputeGrid.Grains.Hosting;

/// <summary>
/// The federation's clock. All of ComputeGrid's time (job timestamps, run times, executor timers) comes from this
/// <see cref="TimeProvider"/>, so tests and trace replays can drive a virtual clock without touching Orleans' own timers.
/// </summary>
public sealed class GridClock(TimeProvider time)
{
    /// <summary>The underlying time provider.</summary>
    public TimeProvider Time { get; } = time;

    /// <summary>Now, in UTC.</summary>
    public DateTimeOffset Now => Time.GetUtcNow();
}
