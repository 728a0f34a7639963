namespace ComputeGrid.Replay.Tests;

/// <summary>Paths of the trace excerpts copied from the real traces (see Data/README.md).</summary>
internal static class TestData
{
    public static string KthExcerpt => Path.Combine(AppContext.BaseDirectory, "Data", "kth-sp2-excerpt.swf");

    public static string AlibabaExcerpt => Path.Combine(AppContext.BaseDirectory, "Data", "openb-pod-excerpt.csv");

    public static string AlibabaNodeExcerpt => Path.Combine(AppContext.BaseDirectory, "Data", "openb-node-excerpt.csv");
}
