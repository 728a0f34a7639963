using System.Diagnostics;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Client.Tests;

[Collection(SdkCollection.Name)]
public sealed class ResilienceTests(SdkClusterFixture fixture) : IDisposable
{
    private static readonly ComputeGridRetryOptions Quick = new()
    {
        MaxAttempts = 4,
        BaseDelay = TimeSpan.FromMilliseconds(10),
        MaxDelay = TimeSpan.FromMilliseconds(100),
        Deadline = TimeSpan.FromSeconds(60),
    };

    public void Dispose() => fixture.Faults.Clear();

    [Fact]
    public async Task A_read_that_meets_transient_faults_is_retried_and_answers()
    {
        var job = await fixture.Grid.SubmitAsync(Request("retry-read", id: NewId()));
        fixture.Faults.Arm("GetAsync", job.JobId, times: 2, () => new SiloUnavailableException("test: the gateway went away"));
        var grid = new ComputeGridClient(fixture.Cluster.Client, Quick);

        var read = await grid.GetJobAsync(job.JobId);

        Assert.Equal(job.JobId, read.JobId);
        Assert.Equal(3, fixture.Faults.Calls("GetAsync", job.JobId));
    }

    [Fact]
    public async Task A_call_failed_by_a_stale_duplicate_activations_write_is_retried_and_answers()
    {
        var job = await fixture.Grid.SubmitAsync(Request("retry-stale", id: NewId()));
        fixture.Faults.Arm("GetAsync", job.JobId, times: 1, () => new Orleans.Storage.InconsistentStateException("test: the stored ETag moved on"));
        var grid = new ComputeGridClient(fixture.Cluster.Client, Quick);

        var read = await grid.GetJobAsync(job.JobId);

        Assert.Equal(job.JobId, read.JobId);
        Assert.Equal(2, fixture.Faults.Calls("GetAsync", job.JobId));
    }

    [Fact]
    public async Task Without_a_retry_policy_the_same_transient_fault_reaches_the_caller()
    {
        var job = await fixture.Grid.SubmitAsync(Request("retry-none", id: NewId()));
        fixture.Faults.Arm("GetAsync", job.JobId, times: 1, () => new SiloUnavailableException("test: the gateway went away"));

        await Assert.ThrowsAsync<SiloUnavailableException>(() => fixture.Grid.GetJobAsync(job.JobId));
    }

    [Fact]
    public async Task A_submission_without_a_job_id_whose_answer_is_lost_is_retried_and_makes_one_job()
    {
        var tenant = $"retry-{Guid.NewGuid():n}"[..20];
        fixture.Faults.Arm("SubmitAsync", "*", times: 1, () => new TimeoutException("test: the answer was lost"), afterAnswer: true);
        var grid = new ComputeGridClient(fixture.Cluster.Client, Quick);

        var job = await grid.SubmitAsync(Request(tenant));

        Assert.Equal(2, fixture.Faults.Calls("SubmitAsync", job.JobId));
        await Eventually.TrueAsync(async () => (await fixture.Grid.ListJobsAsync(tenant)).Jobs.Count > 0, $"{tenant}'s job is listed");
        var listed = (await fixture.Grid.ListJobsAsync(tenant)).Jobs;
        Assert.Equal(job.JobId, Assert.Single(listed).JobId);
    }

    [Fact]
    public async Task A_refusal_the_cluster_answered_is_not_retried()
    {
        var request = Request("retry-conflict", id: NewId());
        await fixture.Grid.SubmitAsync(request);
        var grid = new ComputeGridClient(fixture.Cluster.Client, Quick);

        await Assert.ThrowsAsync<JobConflictException>(() => grid.SubmitAsync(request with { CpuMillicores = 2000 }));

        Assert.Equal(2, fixture.Faults.Calls("SubmitAsync", request.JobId!));
    }

    [Fact]
    public async Task Retries_stop_at_the_deadline_with_a_connection_error_naming_the_call()
    {
        var job = await fixture.Grid.SubmitAsync(Request("retry-deadline", id: NewId()));
        fixture.Faults.Arm("GetAsync", job.JobId, times: int.MaxValue, () => new SiloUnavailableException("test: no gateway"));
        var grid = new ComputeGridClient(fixture.Cluster.Client, new ComputeGridRetryOptions { MaxAttempts = 20, BaseDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(1), Deadline = TimeSpan.FromSeconds(1) });
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<ComputeGridConnectionException>(() => grid.GetJobAsync(job.JobId));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Contains("get job", e.Message, StringComparison.Ordinal);
        Assert.InRange(fixture.Faults.Calls("GetAsync", job.JobId), 2, 19);
    }

    [Fact]
    public async Task The_callers_cancellation_ends_the_retries()
    {
        var job = await fixture.Grid.SubmitAsync(Request("retry-cancel", id: NewId()));
        fixture.Faults.Arm("GetAsync", job.JobId, times: int.MaxValue, () => new SiloUnavailableException("test: no gateway"));
        var grid = new ComputeGridClient(fixture.Cluster.Client, new ComputeGridRetryOptions { MaxAttempts = 20, BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(5) });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => grid.GetJobAsync(job.JobId, cancel.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_call_left_unanswered_past_the_attempt_timeout_is_overtaken_by_a_hedged_attempt()
    {
        var job = await fixture.Grid.SubmitAsync(Request("retry-hang", id: NewId()));
        fixture.Faults.Hang("GetAsync", job.JobId, times: 1);
        var grid = new ComputeGridClient(fixture.Cluster.Client, With(o => o.AttemptTimeout = TimeSpan.FromMilliseconds(500)));
        var clock = Stopwatch.StartNew();

        var read = await grid.GetJobAsync(job.JobId);

        Assert.Equal(job.JobId, read.JobId);
        Assert.Equal(2, fixture.Faults.Calls("GetAsync", job.JobId));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}: the first attempt was held for a response timeout");
    }

    [Fact]
    public async Task After_a_silo_became_unavailable_the_call_is_sent_again_at_once_without_back_off()
    {
        var job = await fixture.Grid.SubmitAsync(Request("retry-failover", id: NewId()));
        fixture.Faults.Arm("GetAsync", job.JobId, times: 1, () => new SiloUnavailableException("test: the grain's silo died"));
        var grid = new ComputeGridClient(fixture.Cluster.Client, With(o => (o.BaseDelay, o.MaxDelay) = (TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20))));
        var clock = Stopwatch.StartNew();

        var read = await grid.GetJobAsync(job.JobId);

        Assert.Equal(job.JobId, read.JobId);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}: the retry waited for the 20 s back-off");
    }

    /// <summary><see cref="Quick"/> with one change.</summary>
    private static ComputeGridRetryOptions With(Action<ComputeGridRetryOptions> change)
    {
        var options = new ComputeGridRetryOptions { MaxAttempts = Quick.MaxAttempts, BaseDelay = Quick.BaseDelay, MaxDelay = Quick.MaxDelay, Deadline = Quick.Deadline };
        change(options);
        return options;
    }

    private static string NewId() => $"sdk-{Guid.NewGuid():n}";

    private static JobRequest Request(string tenant, string? id = null) => new()
    {
        JobId = id,
        Tenant = tenant,
        OriginHub = "yangtze",
        CpuMillicores = 1000,
        MemoryMiB = 1024,
        RunTime = TimeSpan.FromHours(1),
        Policy = PlacementPolicy.Fastest,
    };
}
