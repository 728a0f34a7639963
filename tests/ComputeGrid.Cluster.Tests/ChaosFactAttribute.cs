namespace ComputeGrid.Cluster.Tests;

/// <summary>
/// The chaos test runs when <c>CHAOS=1</c> is set (as in <c>CHAOS=1 dotnet test tests/ComputeGrid.Cluster.Tests --filter
/// Category=Chaos</c>). It is not part of the default suite yet: with reconciliation it passed in two of three full-suite
/// runs (lost=0 duplicated=0 overcommitted=0), and the third found two jobs Running where their data center held no
/// reservation; until that race is understood and fixed it stays opt-in (docs/operations.md, issue #4).
/// </summary>
public sealed class ChaosFactAttribute : FactAttribute
{
    /// <summary>Skips unless <c>CHAOS=1</c>.</summary>
    public ChaosFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CHAOS") != "1")
        {
            Skip = "set CHAOS=1 to run the chaos test (not in the default suite: one of three full-suite runs found 2 jobs Running where their data center held no reservation; issue #4)";
        }
    }
}
