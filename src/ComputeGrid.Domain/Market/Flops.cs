using System.Collections.Immutable;

namespace ComputeGrid.Domain.Market;

/// <summary>Peak dense throughput of one unit, TFLOPS, at FP16 and FP32, as its vendor publishes it.</summary>
/// <param name="Fp16Tflops">FP16 (tensor cores where the part has them, without sparsity), TFLOPS.</param>
/// <param name="Fp32Tflops">FP32 (non-tensor), TFLOPS; null when the vendor does not publish it.</param>
/// <param name="Source">Where the figures come from (docs/topology.md cites each).</param>
public sealed record FlopsRating(double Fp16Tflops, double? Fp32Tflops, string Source);

/// <summary>
/// The standard unit of the national plan: compute in FLOPS, so that PFLOPS-hours of different models add up.
/// PFLOPS-hours of a line = units x hours x TFLOPS / 1000. A GPU model without a published rating counts 0 and
/// is listed as unrated in the catalog. The sources are cited in docs/topology.md ("Standard compute units").
/// </summary>
public static class FlopsTable
{
    /// <summary>
    /// One CPU core (ASSUMPTION: a 2.5 GHz x86 server core with two AVX-512 FMA units: 2.5e9 x 16 lanes x 2 x 2 = 160
    /// GFLOPS FP32; FP16 runs at the FP32 rate on cores without native FP16 vectors).
    /// </summary>
    public static FlopsRating CpuCore { get; } = new(0.16, 0.16, "ASSUMPTION: 2.5 GHz core, 2x AVX-512 FMA");

    /// <summary>GPU models and their vendor datasheet ratings (the topology's models and the Alibaba trace's).</summary>
    public static ImmutableSortedDictionary<string, FlopsRating> Gpus { get; } = new Dictionary<string, FlopsRating>
    {
        ["A800"] = new(312, 19.5, "NVIDIA A800 datasheet (SXM/PCIe 80GB)"),
        ["H800"] = new(989.5, 67, "NVIDIA H800 SXM5 datasheet (as H100 SXM5)"),
        ["910B"] = new(320, null, "Huawei Ascend 910 datasheet (FP16 320 TFLOPS; FP32 not published)"),
        ["V100M16"] = new(125, 15.7, "NVIDIA V100 SXM2 datasheet"),
        ["V100M32"] = new(125, 15.7, "NVIDIA V100 SXM2 datasheet"),
        ["P100"] = new(18.7, 9.3, "NVIDIA P100 PCIe datasheet"),
        ["T4"] = new(65, 8.1, "NVIDIA T4 datasheet"),
        ["A10"] = new(125, 31.2, "NVIDIA A10 datasheet"),
    }.ToImmutableSortedDictionary(StringComparer.Ordinal);

    /// <summary>The rating of one unit of <paramref name="product"/>; null for memory, transfer and an unrated GPU model.</summary>
    public static FlopsRating? RatingOf(ProductKey product) => product.Class switch
    {
        ResourceClass.CpuCoreHour => CpuCore,
        ResourceClass.GpuHour when product.GpuModel is { } m && Gpus.TryGetValue(m, out var r) => r,
        _ => null,
    };

    /// <summary>PFLOPS-hours (FP16, FP32) of <paramref name="unitHours"/> unit-hours of <paramref name="product"/>.</summary>
    public static (double Fp16, double Fp32) PflopsHours(ProductKey product, decimal unitHours) =>
        RatingOf(product) is { } r ? ((double)unitHours * r.Fp16Tflops / 1000, (double)unitHours * (r.Fp32Tflops ?? 0) / 1000) : (0, 0);
}
