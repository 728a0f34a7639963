namespace ComputeGrid.Replay.Traces;

/// <summary>The citations the traces' owners ask for; every report prints the one of its trace.</summary>
public static class TraceCitations
{
    /// <summary>The Parallel Workloads Archive (SWF logs such as KTH-SP2).</summary>
    public const string ParallelWorkloadsArchive =
        "Parallel Workloads Archive (https://www.cs.huji.ac.il/labs/parallel/workload/); KTH-SP2 log courtesy of Lars Malinowsky (KTH / PDC). "
        + "D. G. Feitelson, D. Tsafrir, D. Krakov, \"Experience with using the Parallel Workloads Archive\", "
        + "J. Parallel & Distributed Computing 74(10):2967-2982, 2014, doi:10.1016/j.jpdc.2014.06.013.";

    /// <summary>Alibaba cluster-trace-gpu-v2023 (openb_pod_list / openb_node_list).</summary>
    public const string AlibabaGpu2023 =
        "Alibaba cluster-trace-gpu-v2023 (github.com/alibaba/clusterdata, cluster-trace-gpu-v2023), for research or study purposes. "
        + "Q. Weng, L. Yang, Y. Yu, W. Wang, X. Tang, G. Yang, L. Zhang, \"Beware of Fragmentation: Scheduling GPU-Sharing Workloads "
        + "with Fragmentation Gradient Descent\", USENIX ATC '23.";
}
