using System.Diagnostics;

namespace ComputeGrid.Replay.Running;

/// <summary>Where a policy's replay spends its wall-clock time.</summary>
public enum Phase
{
    /// <summary>Starting the in-process federation and seeding the pool.</summary>
    Startup,

    /// <summary>Moving the virtual clock to the next event and letting the reports it fires reach their grains.</summary>
    Events,

    /// <summary>Reading hub utilisation for the charts.</summary>
    Sampling,

    /// <summary>Submitting jobs through the SDK.</summary>
    Submitting,

    /// <summary>Letting newly waiting jobs be placed (loan negotiations) before virtual time moves on.</summary>
    Settling,

    /// <summary>Reading every job's outcome and the pool's totals at the end.</summary>
    Collecting,
}

/// <summary>Charges the wall time since the previous lap to a phase; not thread-safe (the replay driver is one loop).</summary>
internal sealed class PhaseClock
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly Dictionary<Phase, TimeSpan> _totals = Enum.GetValues<Phase>().ToDictionary(p => p, _ => TimeSpan.Zero);

    /// <summary>Wall time per phase so far.</summary>
    public IReadOnlyDictionary<Phase, TimeSpan> Totals => _totals;

    /// <summary>Charges the time since the last lap to <paramref name="phase"/>.</summary>
    public void Lap(Phase phase)
    {
        _totals[phase] += _watch.Elapsed;
        _watch.Restart();
    }
}
