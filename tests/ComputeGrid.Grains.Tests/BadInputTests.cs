using ComputeGrid.Client;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Grains.Tests;

[Collection(GridCollection.Name)]
public sealed class BadInputTests(GridClusterFixture fixture)
{
    private IComputeGridClient Grid => fixture.Grid;

    public static TheoryData<string, string> InvalidFields => new()
    {
        { "cpu-zero", "resources.cpuMillicores" },
        { "cpu-negative", "resources.cpuMillicores" },
        { "cpu-absurd", "resources.cpuMillicores" },
        { "memory-zero", "resources.memoryMiB" },
        { "memory-negative", "resources.memoryMiB" },
        { "gpus-negative", "resources.gpus" },
        { "gpus-without-model", "resources.gpuModel" },
        { "unknown-gpu-model", "resources.gpuModel" },
        { "unknown-origin", "originHub" },
        { "empty-origin", "originHub" },
        { "unknown-allowed-hub", "allowedHubs" },
        { "empty-tenant", "tenant" },
        { "runtime-zero", "runTime" },
        { "runtime-absurd", "runTime" },
        { "priority-negative", "priority" },
        { "bad-policy", "policy" },
        { "bad-latency-class", "latencyClass" },
        { "bad-job-id", "jobId" },
        { "negative-input-data", "inputDataGiB" },
    };

    [Theory]
    [MemberData(nameof(InvalidFields))]
    public async Task Each_invalid_field_gives_a_typed_error_naming_it_and_changes_nothing(string @case, string field)
    {
        var tenant = $"bad-{@case}";
        var valid = Jobs.Batch(tenant);
        var request = @case switch
        {
            "cpu-zero" => valid with { CpuMillicores = 0 },
            "cpu-negative" => valid with { CpuMillicores = -1000 },
            "cpu-absurd" => valid with { CpuMillicores = long.MaxValue },
            "memory-zero" => valid with { MemoryMiB = 0 },
            "memory-negative" => valid with { MemoryMiB = -1 },
            "gpus-negative" => valid with { Gpus = -1, GpuModel = "910B" },
            "gpus-without-model" => valid with { Gpus = 1 },
            "unknown-gpu-model" => valid with { Gpus = 1, GpuModel = "NoSuchGpu" },
            "unknown-origin" => valid with { OriginHub = "atlantis" },
            "empty-origin" => valid with { OriginHub = "" },
            "unknown-allowed-hub" => valid with { AllowedHubs = ["guizhou", "atlantis"] },
            "empty-tenant" => valid with { Tenant = " " },
            "runtime-zero" => valid with { RunTime = TimeSpan.Zero },
            "runtime-absurd" => valid with { RunTime = TimeSpan.FromDays(3650) },
            "priority-negative" => valid with { Priority = -5 },
            "bad-policy" => valid with { Policy = (PlacementPolicy)42 },
            "bad-latency-class" => valid with { LatencyClass = (LatencyClass)42 },
            "bad-job-id" => valid with { JobId = "has spaces/and slashes" },
            "negative-input-data" => valid with { InputDataGiB = -3 },
            _ => throw new ArgumentOutOfRangeException(nameof(@case)),
        };
        var poolBefore = await Grid.GetPoolAsync();

        var e = await Assert.ThrowsAnyAsync<ComputeGridValidationException>(() => Grid.SubmitAsync(request));

        Assert.Equal(field, e.Field);
        Assert.False(string.IsNullOrWhiteSpace(e.Reason));
        if (JobRequest.IsValidJobId(request.JobId))
        {
            await Assert.ThrowsAsync<ComputeGridNotFoundException>(() => Grid.GetJobAsync(request.JobId!));
        }

        if (!string.IsNullOrWhiteSpace(request.Tenant))
        {
            Assert.Empty((await Grid.ListJobsAsync(request.Tenant)).Jobs);
        }

        var poolAfter = await Grid.GetPoolAsync();
        Assert.Equal(poolBefore.Queued, poolAfter.Queued);
    }

    [Theory]
    [InlineData("", "jobId")]
    [InlineData("white space", "jobId")]
    public async Task A_malformed_job_id_is_refused_when_reading_or_cancelling(string jobId, string field)
    {
        var get = await Assert.ThrowsAsync<ComputeGridValidationException>(() => Grid.GetJobAsync(jobId));
        var cancel = await Assert.ThrowsAsync<ComputeGridValidationException>(() => Grid.CancelJobAsync(jobId));

        Assert.Equal(field, get.Field);
        Assert.Equal(field, cancel.Field);
    }

    [Theory]
    [InlineData(0, null, "limit")]
    [InlineData(501, null, "limit")]
    [InlineData(10, "not-a-cursor", "cursor")]
    public async Task A_bad_listing_request_names_the_field(int limit, string? cursor, string field)
    {
        var e = await Assert.ThrowsAsync<ComputeGridValidationException>(() => Grid.ListJobsAsync("someone", limit: limit, cursor: cursor));

        Assert.Equal(field, e.Field);
    }
}
