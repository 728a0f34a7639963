namespace ComputeGrid.Cluster.Tests;

/// <summary>
/// The chaos test runs when <c>CHAOS=1</c> is set (as in <c>CHAOS=1 dotnet test tests/ComputeGrid.Cluster.Tests --filter
/// Category=Chaos</c>). It is not part of the default suite: it passed nine runs in a row and then, in the tenth, found
/// two jobs Running where their data center held no reservation (a reconciliation pass had acted on a duplicate job
/// activation's unwritten state). The fix (job reads answer only durable states) needs more runs before CI depends on
/// it (docs/operations.md, issue #4).
/// </summary>
public sealed class ChaosFactAttribute : FactAttribute
{
    /// <summary>Skips unless <c>CHAOS=1</c>.</summary>
    public ChaosFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CHAOS") != "1")
        {
            Skip = "set CHAOS=1 to run the chaos test (opt-in until the fix for the 1-in-10 lost reservation is confirmed by repeated runs; issue #4)";
        }
    }
}
