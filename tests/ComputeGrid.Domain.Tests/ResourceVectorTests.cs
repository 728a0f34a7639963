using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Tests;

public class ResourceVectorTests
{
    private static readonly ResourceVector Capacity = ResourceVector.Of(4_000, 8_192, [new("A800", 2)]);

    [Theory]
    [InlineData(4_000, 8_192, 0, null, true)]
    [InlineData(4_001, 1, 0, null, false)]
    [InlineData(1, 8_193, 0, null, false)]
    [InlineData(1_000, 1_024, 2, "A800", true)]
    [InlineData(1_000, 1_024, 3, "A800", false)]
    [InlineData(1_000, 1_024, 1, "H800", false)]
    [InlineData(1_000, 1_024, 0, "H800", true)]
    public void A_request_fits_only_when_every_dimension_including_the_GPU_model_is_within_the_vector(
        long cpuMillicores, long memoryMiB, int gpus, string? gpuModel, bool fits)
    {
        var request = new ResourceRequest(cpuMillicores, memoryMiB, gpus, gpuModel);

        Assert.Equal(fits, Capacity.Fits(request));
    }

    [Fact]
    public void GPUs_of_a_model_the_vector_lacks_count_as_zero()
    {
        Assert.Equal(2, Capacity.GpusOf("A800"));
        Assert.Equal(0, Capacity.GpusOf("910B"));
    }

    [Fact]
    public void Plus_then_minus_a_request_gives_back_the_same_vector_without_a_zero_GPU_entry()
    {
        var request = new ResourceRequest(500, 1_024, 1, "910B");

        var roundTrip = Capacity.Plus(request).Minus(request);

        Assert.Equal(Capacity, roundTrip);
        Assert.DoesNotContain("910B", roundTrip.Gpus.Keys);
    }

    [Theory]
    [InlineData(1_000, 1_024, 0, 0.25)] // CPU 1/4, memory 1/8 -> CPU dominates
    [InlineData(500, 4_096, 0, 0.5)] // CPU 1/8, memory 1/2 -> memory dominates
    [InlineData(500, 1_024, 3, 0.75)] // GPUs 3/4 dominate
    [InlineData(0, 0, 0, 0.0)]
    public void DominantShareOf_is_the_largest_share_over_CPU_memory_and_GPUs(long cpu, long memory, int gpus, double expected)
    {
        var total = ResourceVector.Of(4_000, 8_192, [new("A800", 4)]);
        var use = ResourceVector.Of(cpu, memory, [new("A800", gpus)]);

        Assert.Equal(expected, use.DominantShareOf(total), 10);
    }

    [Fact]
    public void DominantShareOf_ignores_a_dimension_the_total_lacks()
    {
        var totalWithoutGpus = ResourceVector.Of(4_000, 8_192);
        var useWithGpus = ResourceVector.Of(1_000, 1_024, [new("A800", 8)]);

        Assert.Equal(0.25, useWithGpus.DominantShareOf(totalWithoutGpus), 10);
    }

    [Fact]
    public void Vectors_with_the_same_GPU_counts_are_equal_whatever_the_insertion_order()
    {
        var a = ResourceVector.Of(1, 2, [new("A800", 1), new("910B", 2)]);
        var b = ResourceVector.Of(1, 2, [new("910B", 2), new("A800", 1)]);

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }

    [Fact]
    public void A_sum_beyond_64_bits_of_CPU_or_memory_throws_instead_of_going_negative()
    {
        var huge = ResourceVector.Of(long.MaxValue, long.MaxValue);

        Assert.Throws<OverflowException>(() => huge.Plus(ResourceVector.Of(1, 0)));
        Assert.Throws<OverflowException>(() => huge.Plus(ResourceVector.Of(0, 1)));
        Assert.Throws<OverflowException>(() => huge.Plus(new ResourceRequest(1, 1)));
        Assert.Throws<OverflowException>(() => ResourceVector.Of(long.MinValue, 0).Minus(ResourceVector.Of(1, 0)));
    }

    [Fact]
    public void A_sum_beyond_32_bits_of_GPUs_throws_instead_of_going_negative()
    {
        var huge = ResourceVector.Of(0, 0, [new("A800", int.MaxValue)]);

        Assert.Throws<OverflowException>(() => huge.Plus(ResourceVector.Of(0, 0, [new("A800", 1)])));
        Assert.Throws<OverflowException>(() => huge.Plus(new ResourceRequest(1, 1, 1, "A800")));
        Assert.Throws<OverflowException>(() => ResourceVector.Of(0, 0, [new("A800", int.MaxValue), new("H800", 1)]).TotalGpus);
    }
}
