using ComputeGrid.Client;
using ComputeGrid.Contracts;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace ComputeGrid.Grains.Tests;

/// <summary>
/// Queue disciplines end to end on a private data center of 4 GPUs (its own GPU model, so the test owns it): a big job
/// that needs all 4 waits while smaller jobs of long declared run times keep arriving. Under backfill (the shared
/// cluster's default) it starts as soon as the jobs running when it queued have ended; under fair share (first fit) the
/// stream takes every GPU that frees and it waits as long as the stream goes on.
/// </summary>
internal static class BigJobAndStream
{
    /// <summary>What the scenario left: the big job's state, and how many of the stream's jobs hold capacity.</summary>
    public sealed record Outcome(JobState Big, int StreamPlaced, int StreamQueued)
    {
        /// <summary>Every job's history, for the failure message.</summary>
        public string Histories { get; init; } = string.Empty;

        public bool Equals(Outcome? other) => other is not null && (Big, StreamPlaced, StreamQueued) == (other.Big, other.StreamPlaced, other.StreamQueued);

        public override int GetHashCode() => HashCode.Combine(Big, StreamPlaced, StreamQueued);

        public override string ToString() => $"big {Big}, stream {StreamPlaced} placed and {StreamQueued} queued; {Histories}";
    }

    public static JobRequest Gpus(string tenant, string model, int gpus, TimeSpan runTime) =>
        Jobs.OnGpu(tenant, model, "gansu", runTime) with { Gpus = gpus, CpuMillicores = gpus * 1000 };

    /// <summary>
    /// Waits until each job runs: a job that holds capacity is started a moment later, and its run time counts from its
    /// start on the cluster's clock, so the clock must not be moved before (on a loaded machine the start came after the
    /// move, and the job held its GPUs for a whole run time more).
    /// </summary>
    /// <param name="grid">The cluster's SDK.</param>
    /// <param name="jobIds">The jobs.</param>
    public static async Task RunningAsync(IComputeGridClient grid, params string[] jobIds)
    {
        foreach (var id in jobIds)
        {
            await Eventually.TrueAsync(async () => (await grid.GetJobAsync(id)).State == JobState.Running, $"job {id} runs");
        }
    }

    /// <summary>
    /// Two jobs of 2 GPUs hold the data center for 1 h and 2 h; the big job (4 GPUs) queues; then two jobs of 1 GPU and 10 h
    /// arrive, one before the first hour ends and one after. The clock then passes the second hour.
    /// </summary>
    /// <param name="grid">The cluster's SDK.</param>
    /// <param name="time">The cluster's clock.</param>
    /// <param name="register">Registers a private data center of 4 GPUs (id, GPU model) in hub gansu.</param>
    /// <param name="name">The scenario's name: its tenant, data center and GPU model.</param>
    /// <param name="firstFit">
    /// True for a first-fit discipline: the stream's first job then takes the GPUs the first hour freed, and the scenario
    /// waits for that before it goes on (the region learns of freed capacity a moment after the job's end).
    /// </param>
    public static async Task<Outcome> RunAsync(IComputeGridClient grid, FakeTimeProvider time, Func<string, string, Task> register, string name, bool firstFit)
    {
        var model = name.ToUpperInvariant();
        await register($"{name}-dc", model);
        var first = await grid.SubmitAsync(Gpus(name, model, 2, TimeSpan.FromHours(1)));
        var second = await grid.SubmitAsync(Gpus(name, model, 2, TimeSpan.FromHours(2)));
        Assert.True(first.State.HoldsCapacity() && second.State.HoldsCapacity(), "the two first jobs fill the data center");
        var big = await grid.SubmitAsync(Gpus(name, model, 4, TimeSpan.FromHours(1)));
        Assert.Equal(JobState.Queued, big.State);

        var stream = new List<string> { (await grid.SubmitAsync(Gpus(name, model, 1, TimeSpan.FromHours(10)))).JobId };
        await RunningAsync(grid, first.JobId, second.JobId);
        time.Advance(TimeSpan.FromHours(1));
        await Eventually.TrueAsync(async () => (await grid.GetJobAsync(first.JobId)).State == JobState.Succeeded, "the 1 h job ended");
        if (firstFit)
        {
            await Eventually.TrueAsync(async () => (await grid.GetJobAsync(stream[0])).State.HoldsCapacity(), "the stream's first job takes the freed GPUs");
        }

        stream.Add((await grid.SubmitAsync(Gpus(name, model, 1, TimeSpan.FromHours(10)))).JobId);

        time.Advance(TimeSpan.FromHours(1));
        await Eventually.TrueAsync(async () => (await grid.GetJobAsync(second.JobId)).State == JobState.Succeeded, "the 2 h job ended");

        // Either the big job starts, or the stream holds what it needs for the next 10 h.
        var states = await Eventually.ValueAsync(
            async () => (Big: (await grid.GetJobAsync(big.JobId)).State, Stream: await Task.WhenAll(stream.Select(async id => (await grid.GetJobAsync(id)).State))),
            s => s.Big.HoldsCapacity() || s.Stream.All(j => j.HoldsCapacity()),
            "the big job starts or the stream holds the data center");
        var histories = await Task.WhenAll(new[] { first.JobId, second.JobId, big.JobId }.Concat(stream).Select(async id =>
            id + ": " + string.Join(" > ", (await grid.GetJobAsync(id)).History.Select(e => $"{e.State} ({e.Detail})"))));
        var outcome = new Outcome(states.Big, states.Stream.Count(s => s.HoldsCapacity()), states.Stream.Count(s => s == JobState.Queued)) { Histories = string.Join(" || ", histories) };
        foreach (var id in stream.Append(big.JobId))
        {
            await grid.CancelJobAsync(id);
        }

        return outcome;
    }
}

[Collection(GridCollection.Name)]
public sealed class BackfillTests(GridClusterFixture fixture)
{
    private IComputeGridClient Grid => fixture.Grid;

    /// <summary>
    /// Each scenario starts with gansu's queue empty: EASY protects only the first job a pass cannot place, so a job an
    /// earlier test of the shared cluster left waiting in gansu would be the head instead of the scenario's big job, and
    /// the jobs behind it would start as they would without backfill (seen when the suite ran in another order).
    /// </summary>
    private async Task EmptyQueueAsync()
    {
        var region = fixture.Cluster.Client.GetGrain<IRegionGrain>("gansu");
        foreach (var waiting in await region.GetQueueAsync())
        {
            try
            {
                await Grid.CancelJobAsync(waiting.JobId, "cleared for a backfill scenario");
            }
            catch (ComputeGridNotFoundException)
            {
                // A whole gang waits under its gang id.
                await Grid.CancelGangAsync(waiting.JobId, "cleared for a backfill scenario");
            }
        }

        await Eventually.TrueAsync(async () => (await region.GetQueueAsync()).Count == 0, "gansu's queue is empty");
    }

    [Fact]
    public async Task Under_backfill_a_big_job_at_the_head_is_not_overtaken_by_a_stream_of_small_long_jobs()
    {
        await EmptyQueueAsync();
        var outcome = await BigJobAndStream.RunAsync(Grid, fixture.Time, (id, model) => fixture.RegisterPrivateDataCenterAsync(id, "gansu", model, gpus: 4, cores: 16), "bfhead", firstFit: false);

        Assert.True(outcome.Big.HoldsCapacity() && outcome is { StreamPlaced: 0, StreamQueued: 2 }, outcome.ToString());
    }

    [Fact]
    public async Task Under_backfill_a_short_job_starts_ahead_of_a_blocked_head_and_a_long_one_waits()
    {
        await EmptyQueueAsync();
        await fixture.RegisterPrivateDataCenterAsync("bfshort-dc", "gansu", "BFSHORT", gpus: 4, cores: 16);
        var running = await Grid.SubmitAsync(BigJobAndStream.Gpus("bfshort", "BFSHORT", 3, TimeSpan.FromHours(1)));
        Assert.True(running.State.HoldsCapacity());
        var big = await Grid.SubmitAsync(BigJobAndStream.Gpus("bfshort", "BFSHORT", 4, TimeSpan.FromHours(1)));
        Assert.Equal(JobState.Queued, big.State);

        // The head can start in 1 h at the earliest: 30 min ends before that, 10 h would hold a GPU it needs.
        var shortJob = await Grid.SubmitAsync(BigJobAndStream.Gpus("bfshort", "BFSHORT", 1, TimeSpan.FromMinutes(30)));
        var longJob = await Grid.SubmitAsync(BigJobAndStream.Gpus("bfshort", "BFSHORT", 1, TimeSpan.FromHours(10)));

        Assert.True(shortJob.State.HoldsCapacity(), $"the short job is backfilled ({shortJob.State})");
        Assert.Equal(JobState.Queued, longJob.State);

        // The short job ends first, and its GPU does not go to the long job (it would delay the head); then the first job
        // ends and the head starts. One end at a time: two ends at one instant reach the region as notices from the data
        // center and releases from the jobs, in any order (docs/scheduling.md, "The shadow start", its limit).
        await BigJobAndStream.RunningAsync(Grid, running.JobId, shortJob.JobId);
        fixture.Time.Advance(TimeSpan.FromMinutes(30));
        await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(shortJob.JobId)).State == JobState.Succeeded, "the short job ended");
        Assert.Equal(JobState.Queued, (await Grid.GetJobAsync(longJob.JobId)).State);
        fixture.Time.Advance(TimeSpan.FromMinutes(30));
        await Eventually.TrueAsync(
            async () => (await Grid.GetJobAsync(big.JobId)).State.HoldsCapacity(),
            "the head starts when the first job ends",
            describe: async () => string.Join(" || ", await Task.WhenAll(new[] { running.JobId, shortJob.JobId, big.JobId, longJob.JobId }.Select(async id =>
                id + ": " + string.Join(" > ", (await Grid.GetJobAsync(id)).History.Select(e => $"{e.State} ({e.Detail})"))))));
        Assert.Equal(JobState.Queued, (await Grid.GetJobAsync(longJob.JobId)).State);
        foreach (var id in new[] { big.JobId, longJob.JobId })
        {
            await Grid.CancelJobAsync(id);
        }
    }

    [Fact]
    public async Task Under_backfill_a_job_held_back_for_the_head_says_so_in_its_Queued_event_and_explain_naming_the_head_and_its_shadow_start()
    {
        await EmptyQueueAsync();
        await fixture.RegisterPrivateDataCenterAsync("bfwhy-dc", "gansu", "BFWHY", gpus: 4, cores: 16);
        var running = await Grid.SubmitAsync(BigJobAndStream.Gpus("bfwhy", "BFWHY", 3, TimeSpan.FromHours(1)));
        Assert.True(running.State.HoldsCapacity());
        var shadowAt = (fixture.Time.GetUtcNow() + TimeSpan.FromHours(1)).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var big = await Grid.SubmitAsync(BigJobAndStream.Gpus("bfwhy", "BFWHY", 4, TimeSpan.FromHours(1)));

        // One GPU is free, but a 10 h run would still hold it when the head may start, in 1 h.
        var longJob = await Grid.SubmitAsync(BigJobAndStream.Gpus("bfwhy", "BFWHY", 1, TimeSpan.FromHours(10)));

        Assert.True((big.State, longJob.State) == (JobState.Queued, JobState.Queued), $"{string.Join(" > ", longJob.History.Select(e => $"{e.State} ({e.Detail})"))} || {(await Grid.ExplainJobAsync(big.JobId)).Region.Summary}");
        var queued = longJob.History.Last(e => e.State == JobState.Queued).Detail;
        Assert.Contains($"would delay job {big.JobId}, the head of gansu's queue, past its shadow start at {shadowAt}", queued, StringComparison.Ordinal);
        var explained = await Grid.ExplainJobAsync(longJob.JobId);
        Assert.Contains($"would delay job {big.JobId}", explained.Region.Summary, StringComparison.Ordinal);
        Assert.StartsWith("Queued, position ", explained.Region.Summary, StringComparison.Ordinal);
        var head = await Grid.ExplainJobAsync(big.JobId);
        Assert.Contains($"backfill: it heads gansu's queue, and its shadow start at {shadowAt} in bfwhy-dc", head.Region.Summary, StringComparison.Ordinal);
        foreach (var id in new[] { longJob.JobId, big.JobId, running.JobId })
        {
            await Grid.CancelJobAsync(id);
        }
    }

    [Fact]
    public async Task Under_backfill_a_head_that_can_start_only_beyond_the_backfill_window_holds_no_job_back()
    {
        await EmptyQueueAsync();
        await fixture.RegisterPrivateDataCenterAsync("bfwin-dc", "gansu", "BFWIN", gpus: 4, cores: 16);
        var running = await Grid.SubmitAsync(BigJobAndStream.Gpus("bfwin", "BFWIN", 3, TimeSpan.FromHours(30)));
        Assert.True(running.State.HoldsCapacity());
        var big = await Grid.SubmitAsync(BigJobAndStream.Gpus("bfwin", "BFWIN", 4, TimeSpan.FromHours(1)));
        Assert.Equal(JobState.Queued, big.State);

        // The head's earliest start is in 30 h, beyond the default window of a day (Slurm's bf_window): it protects
        // nothing, so a 40 h job that would run past that start takes the free GPU now.
        var longJob = await Grid.SubmitAsync(BigJobAndStream.Gpus("bfwin", "BFWIN", 1, TimeSpan.FromHours(40)));

        Assert.True(longJob.State.HoldsCapacity(), $"the long job starts ({longJob.State})");
        foreach (var id in new[] { big.JobId, longJob.JobId, running.JobId })
        {
            await Grid.CancelJobAsync(id);
        }
    }
}

/// <summary>A one-silo cluster whose regions run <paramref name="discipline"/>, for the contrast with the shared cluster's backfill.</summary>
/// <param name="discipline">The queue discipline of its regions.</param>
public abstract class DisciplineClusterFixture(QueueDiscipline discipline) : IAsyncLifetime
{
    private InProcessTestCluster? _cluster;

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero));

    public NationalTopology Topology { get; } = TopologyLoader.Load(Path.Combine(AppContext.BaseDirectory, "Topology", "national.json"));

    public IComputeGridClient Grid { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(GridStorage.Name);
            silo.AddMemoryGrainStorage(GridStorage.PubSub);
            silo.AddMemoryStreams(GridStreams.Provider);
            silo.Services.AddSingleton(new GridClock(Time));
            silo.UseInMemoryReminderService();
            silo.AddComputeGrid(Topology);
            silo.Services.Configure<ComputeGridOptions>(o => o.QueueDiscipline = discipline);
        });
        builder.ConfigureClient(client => client.AddMemoryStreams(GridStreams.Provider));
        _cluster = builder.Build();
        await _cluster.DeployAsync();
        Grid = new ComputeGridClient(_cluster.Client);
        await Eventually.TrueAsync(async () => (await Grid.Admin.GetDirectoryAsync()).DataCenters.Count >= Topology.DataCenters.Count, "the pool is seeded");
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.StopAllSilosAsync();
            await _cluster.DisposeAsync();
        }
    }

    public Task RegisterAsync(string id, string model) =>
        Grid.Admin.RegisterDataCenterAsync(new DataCenterSpec(id, $"Test {id}", "gansu", Topology.Hubs["gansu"].Location, ResourceVector.Of(16_000, 65_536, [new(model, 4)]), new EnergyProfile(1.2, 0.5, 0.8, 0.4)));
}

/// <summary>A one-silo cluster whose regions run the fair-share discipline (first fit).</summary>
public sealed class FairShareClusterFixture() : DisciplineClusterFixture(QueueDiscipline.FairShare);

/// <summary>A one-silo cluster whose regions run strict priority (the pass stops at the first job it cannot place).</summary>
public sealed class StrictPriorityClusterFixture() : DisciplineClusterFixture(QueueDiscipline.StrictPriority);

public sealed class StrictPriorityDisciplineTests(StrictPriorityClusterFixture fixture) : IClassFixture<StrictPriorityClusterFixture>
{
    [Fact]
    public async Task Under_strict_priority_a_job_behind_the_blocked_head_says_so_in_its_Queued_event_and_explain_naming_the_head_and_its_earliest_start()
    {
        var grid = fixture.Grid;
        await grid.Admin.RegisterDataCenterAsync(new DataCenterSpec(
            "spwhy-dc", "Test spwhy-dc", "gansu", fixture.Topology.Hubs["gansu"].Location, ResourceVector.Of(16_000, 65_536, [new("SPWHY", 4)]), new EnergyProfile(1.2, 0.5, 0.8, 0.4)));
        var running = await grid.SubmitAsync(BigJobAndStream.Gpus("spwhy", "SPWHY", 3, TimeSpan.FromHours(1)));
        Assert.True(running.State.HoldsCapacity());
        var startAt = (fixture.Time.GetUtcNow() + TimeSpan.FromHours(1)).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var head = await grid.SubmitAsync(BigJobAndStream.Gpus("spwhy", "SPWHY", 4, TimeSpan.FromHours(1)) with { Priority = 500 });

        // One GPU is free and the job would fit it, but strict priority starts nothing behind the head.
        var behind = await grid.SubmitAsync(BigJobAndStream.Gpus("spwhy", "SPWHY", 1, TimeSpan.FromMinutes(10)));

        Assert.Equal((JobState.Queued, JobState.Queued), (head.State, behind.State));
        var says = $"strict priority: gansu's queue stops at its head, job {head.JobId} (priority 500), which cannot start now (its earliest start is {startAt} in spwhy-dc";
        Assert.Contains(says, behind.History.Last(e => e.State == JobState.Queued).Detail, StringComparison.Ordinal);
        Assert.Contains(says, (await grid.ExplainJobAsync(behind.JobId)).Region.Summary, StringComparison.Ordinal);
        Assert.DoesNotContain("strict priority", (await grid.ExplainJobAsync(head.JobId)).Region.Summary, StringComparison.Ordinal);
    }
}

public sealed class FairShareDisciplineTests(FairShareClusterFixture fixture) : IClassFixture<FairShareClusterFixture>
{
    [Fact]
    public async Task Under_fair_share_a_stream_of_small_long_jobs_overtakes_a_big_job_at_the_head_for_as_long_as_it_goes_on()
    {
        var outcome = await BigJobAndStream.RunAsync(fixture.Grid, fixture.Time, fixture.RegisterAsync, "fshead", firstFit: true);

        // The stream holds 2 of the 4 GPUs for 10 h: the big job cannot start before they end.
        Assert.True(outcome is { Big: JobState.Queued, StreamPlaced: 2, StreamQueued: 0 }, outcome.ToString());
    }
}
