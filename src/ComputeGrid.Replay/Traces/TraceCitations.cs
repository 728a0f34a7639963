namespace ComputeGrid.Replay.Traces;

/// <summary>
/// The citations the traces' owners ask for; every report prints the one of its trace. An SWF log's comes from its own
/// header (<see cref="SwfHeader.Citation"/>).
/// </summary>
public static class TraceCitations
{
    /// <summary>Alibaba cluster-trace-gpu-v2023 (openb_pod_list / openb_node_list).</summary>
    public const string AlibabaGpu2023 =
        "Alibaba cluster-trace-gpu-v2023 (github.com/alibaba/clusterdata, cluster-trace-gpu-v2023), for research or study purposes. "
        + "Q. Weng, L. Yang, Y. Yu, W. Wang, X. Tang, G. Yang, L. Zhang, \"Beware of Fragmentation: Scheduling GPU-Sharing Workloads "
        + "with Fragmentation Gradient Descent\", USENIX ATC '23.";
}
