namespace ComputeGrid.Cluster.Tests;

/// <summary>
/// The chaos test runs when <c>CHAOS=1</c> is set (as in <c>CHAOS=1 dotnet test tests/ComputeGrid.Cluster.Tests --filter
/// Category=Chaos</c>). It is not yet part of the default suite: until reconciliation (issue #4) restarts the runs a killed
/// silo held and releases reservations whose calls were lost, it does not pass reliably; see docs/operations.md.
/// </summary>
public sealed class ChaosFactAttribute : FactAttribute
{
    /// <summary>Skips unless <c>CHAOS=1</c>.</summary>
    public ChaosFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CHAOS") != "1")
        {
            Skip = "set CHAOS=1 to run the chaos test (not in the default suite until reconciliation lands, issue #4)";
        }
    }
}
