namespace ComputeGrid.Replay.Traces;

/// <summary>One job of a workload trace, in the trace's own terms before it is mapped to a ComputeGrid request.</summary>
/// <param name="Id">The trace's job id (SWF job number, Alibaba pod name).</param>
/// <param name="Submit">Submission time after the trace's start.</param>
/// <param name="RunTime">How long the job ran in the trace; above zero.</param>
/// <param name="CpuMillicores">Requested CPU in millicores (1000 = one core).</param>
/// <param name="MemoryMiB">Requested memory in MiB; null when the trace does not say.</param>
/// <param name="Gpus">Whole GPUs (a fractional GPU share counts as one).</param>
/// <param name="User">Who submitted it (SWF user, Alibaba QoS class); decides the tenant, and the origin hub unless <paramref name="OriginKey"/> is set.</param>
/// <param name="LatencySensitive">True when the trace marks the job latency-sensitive (Alibaba QoS <c>LS</c>).</param>
/// <param name="GpuSpec">The trace GPU models the job may run on (Alibaba <c>gpu_spec</c>, <c>|</c>-separated); empty when any model will do.</param>
/// <param name="OriginKey">What the origin hub is hashed from when the trace names no user (Alibaba: the pod name); null to use <paramref name="User"/>.</param>
public sealed record TraceJob(
    string Id,
    TimeSpan Submit,
    TimeSpan RunTime,
    long CpuMillicores,
    long? MemoryMiB,
    int Gpus,
    string User,
    bool LatencySensitive,
    IReadOnlyList<string>? GpuSpec = null,
    string? OriginKey = null);

/// <summary>What a reader made of a trace file: the usable jobs and a count of every line it could not use.</summary>
/// <param name="Format">The trace format, for example <c>SWF</c>.</param>
/// <param name="Jobs">Usable jobs, in submission order.</param>
/// <param name="Malformed">Lines that could not be parsed (wrong field count, not numbers).</param>
/// <param name="Unusable">Parsed lines that describe no runnable job (run time or processors unknown or zero).</param>
/// <param name="Truncated">True when the file was cut off: its last line has no line end, or the gzip stream broke.</param>
/// <param name="Citation">How to cite the trace.</param>
public sealed record TraceReadResult(
    string Format,
    IReadOnlyList<TraceJob> Jobs,
    int Malformed,
    int Unusable,
    bool Truncated,
    string Citation);
