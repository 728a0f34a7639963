using System.Globalization;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Tenants;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Grains.Hosting;

namespace ComputeGrid.Grains.Tenants;

/// <summary>A tenant's persisted job index and accounting.</summary>
[GenerateSerializer, Alias("cg.TenantRecord")]
internal sealed class TenantRecord
{
    [Id(0)] public Dictionary<string, JobSummary> Jobs { get; set; } = new(StringComparer.Ordinal);

    [Id(1)] public long NextSequence { get; set; } = 1;

    [Id(2)] public Footprint Executed { get; set; }

    [Id(3)] public HashSet<string> Booked { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One tenant: the index its job listing reads, and the footprint of its finished work (booked once per job).</summary>
internal sealed class TenantGrain(
    [PersistentState("tenant", GridStorage.Name)] IPersistentState<TenantRecord> state) : Grain, ITenantGrain
{
    /// <summary>Most rows in one page.</summary>
    public const int MaxPageSize = 500;

    private TenantRecord Record => state.State;

    public async Task OnJobChangedAsync(JobSummary job)
    {
        if (Record.Jobs.TryGetValue(job.JobId, out var known) && known.Version >= job.Version)
        {
            // One-way notifications may arrive out of order; never let a job's row go back in time.
            return;
        }

        var sequence = known?.Sequence ?? Record.NextSequence++;
        Record.Jobs[job.JobId] = job with { Sequence = sequence };
        await state.WriteStateAsync();
    }

    public async Task BookAsync(string jobId, Footprint footprint)
    {
        if (Record.Booked.Add(jobId))
        {
            Record.Executed += footprint;
            await state.WriteStateAsync();
        }
    }

    public Task<JobPage> ListJobsAsync(JobState? state, int limit, string? cursor, CancellationToken cancellationToken = default)
    {
        limit = Math.Clamp(limit, 1, MaxPageSize);
        var before = cursor is null ? long.MaxValue : long.Parse(cursor, CultureInfo.InvariantCulture);
        var page = Record.Jobs.Values
            .Where(j => j.Sequence < before && (state is null || j.State == state))
            .OrderByDescending(j => j.Sequence)
            .Take(limit + 1)
            .ToList();
        var next = page.Count > limit ? page[limit - 1].Sequence.ToString(CultureInfo.InvariantCulture) : null;
        return Task.FromResult(new JobPage([.. page.Take(limit)], next));
    }

    public Task<TenantSummary> GetSummaryAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new TenantSummary(
            this.GetPrimaryKeyString(),
            Record.Jobs.Values.GroupBy(j => j.State).ToDictionary(g => g.Key, g => g.Count()),
            Record.Executed));
}
