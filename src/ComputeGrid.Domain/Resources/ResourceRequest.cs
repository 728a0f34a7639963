namespace ComputeGrid.Domain.Resources;

/// <summary>What one job asks for: CPU in millicores, memory in MiB, and optionally GPUs of one model.</summary>
/// <param name="CpuMillicores">CPU in millicores (1000 = one core); at least 1.</param>
/// <param name="MemoryMiB">Memory in MiB; at least 1.</param>
/// <param name="Gpus">Number of whole GPUs; 0 for none.</param>
/// <param name="GpuModel">The GPU model (for example <c>910B</c>); required when <paramref name="Gpus"/> is above 0, ignored otherwise.</param>
public sealed record ResourceRequest(long CpuMillicores, long MemoryMiB, int Gpus = 0, string? GpuModel = null)
{
    /// <summary>The GPU model that counts, or null when the request has no GPU.</summary>
    public string? EffectiveGpuModel => Gpus > 0 ? GpuModel : null;

    /// <summary>CPU in cores (millicores / 1000).</summary>
    public double Cores => CpuMillicores / 1000.0;

    /// <summary>Memory in GiB.</summary>
    public double MemoryGiB => MemoryMiB / 1024.0;

    /// <inheritdoc />
    public override string ToString() =>
        Gpus > 0 ? $"{CpuMillicores}m CPU, {MemoryMiB} MiB, {Gpus}x {GpuModel}" : $"{CpuMillicores}m CPU, {MemoryMiB} MiB";
}
