using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Gangs;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Regions;
using ComputeGrid.Domain.Gangs;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Grains.Gangs;

/// <summary>
/// One gang. Its <see cref="GangBook"/> decides; the grain writes each step before it acts on it: it asks its origin
/// region to place the gang whole (<see cref="IRegionGrain.PlaceGangAsync"/>), hands every member its placement
/// (<see cref="IJobGrain.StartMemberAsync"/>, all at once, so they start together), hears each member's transitions, and
/// cancels the others when one fails (then ends, or places the gang again whole under a new attempt). It calls down only
/// (region, members); the region tells it of a queue placement one-way and members report one-way, so it never waits on
/// a grain that waits on it. A reminder repairs what a crash or a lost one-way message left: a queued gang asks its
/// region again (idempotent), a placed one reads its members and hands a placement again to one that never got it.
/// </summary>
internal sealed partial class GangGrain(
    [PersistentState("gang", GridStorage.Name)] IPersistentState<GangRecord> state,
    GridClock clock,
    IOptions<ComputeGridOptions> options,
    ILogger<GangGrain> logger) : Grain, IGangGrain, IRemindable
{
    private const string WakeReminder = "wake";

    private string GangId => this.GetPrimaryKeyString();

    private GangRecord Record => state.State;

    private GangBook Book => new(GangId, Record);

    private IRegionGrain Region => GrainFactory.GetGrain<IRegionGrain>(Record.Template!.OriginHub);

    public async Task<GangSubmitResult> SubmitAsync(JobSpec template, int members, int maxRestarts, CancellationToken cancellationToken = default)
    {
        var submission = Book.Submit(template, members, maxRestarts);
        if (submission.Verdict != SubmitVerdict.Place)
        {
            return submission.Verdict == SubmitVerdict.Known ? GangSubmitResult.Accepted(Snapshot())
                : GangSubmitResult.Refused(submission.Verdict == SubmitVerdict.Conflict ? SubmitRefusal.Conflict : SubmitRefusal.Invalid, submission.Errors);
        }

        Book.Open(template, members, maxRestarts, clock.Now);
        var placed = await Region.PlaceGangAsync(GangId, Book.WholeSpec, cancellationToken);
        if (placed.Outcome == PlaceOutcome.Rejected)
        {
            if (state.RecordExists)
            {
                await state.ClearStateAsync(cancellationToken);
            }

            state.State = new GangRecord();
            return GangSubmitResult.Refused(placed.Refusal, placed.Errors);
        }

        // Nothing was acknowledged before this write: a crash before it leaves at most the region's queue entry or its
        // members' placements, which a retry of the same submission finds (the region answers idempotently).
        await this.RegisterOrUpdateReminder(WakeReminder, options.Value.WakeReminderPeriod, options.Value.WakeReminderPeriod, cancellationToken);
        await ApplyPlacedAsync(Record.Attempt, placed, cancellationToken);
        LogSubmitted(logger, GangId, template.Tenant, members, Record.State);
        return GangSubmitResult.Accepted(Snapshot());
    }

    public Task<GangSnapshot?> GetAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Record.Template is null ? null : Snapshot());

    public async Task<GangSnapshot?> CancelAsync(string reason, CancellationToken cancellationToken = default)
    {
        if (Record.Template is null)
        {
            return null;
        }

        await ReactAsync(Book.Cancel(reason, clock.Now), cancellationToken);
        return Snapshot();
    }

    public async Task OnPlacedAsync(int attempt, IReadOnlyList<JobPlacement> placements)
    {
        if (Record.Template is null || attempt != Record.Attempt || Record.State is not (JobState.Pending or JobState.Queued))
        {
            if (Record.Template is not null && attempt == Record.Attempt && Record.State is JobState.Scheduled or JobState.Running)
            {
                return;
            }

            // A placement the gang no longer wants (it was cancelled, or restarted since): its members never existed, so
            // the reservations are given back here rather than left to reconciliation.
            await ReleaseUnwantedAsync(attempt, placements);
            return;
        }

        await ApplyPlacedAsync(attempt, new GangPlaceResult(PlaceOutcome.Placed, placements, SubmitRefusal.None, [], Describe(placements)), CancellationToken.None);
    }

    public async Task OnMemberChangedAsync(int index, int attempt, JobState memberState, string detail)
    {
        if (Record.Template is null)
        {
            return;
        }

        await ReactAsync(Book.MemberChanged(index, attempt, memberState, detail, clock.Now), CancellationToken.None);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (Record.Template is null || Record.State.IsTerminal())
        {
            if (await this.GetReminder(WakeReminder, CancellationToken.None) is { } reminder)
            {
                await this.UnregisterReminder(reminder, CancellationToken.None);
            }

            return;
        }

        if (Record.State is JobState.Pending or JobState.Queued)
        {
            await PlaceAsync(CancellationToken.None);
            return;
        }

        // Placed: a member whose report was lost is read, one that never got its placement gets it again.
        foreach (var index in Book.Unended().ToList())
        {
            var member = GrainFactory.GetGrain<IJobGrain>(Book.MemberId(index));
            if (await member.GetAsync() is { } job)
            {
                await ReactAsync(Book.MemberChanged(index, Record.Attempt, job.State, job.History.Count > 0 ? job.History[^1].Detail : string.Empty, clock.Now), CancellationToken.None);
            }
            else if (index < Record.Placements.Count)
            {
                await member.StartMemberAsync(Book.MemberSpec(index), Record.Placements[index]);
            }

            if (Record.State is not (JobState.Scheduled or JobState.Running))
            {
                return;
            }
        }
    }

    /// <summary>Asks the region to place the gang's current attempt whole (idempotent), and records its answer.</summary>
    private async Task PlaceAsync(CancellationToken cancellationToken)
    {
        var attempt = Record.Attempt;
        var placed = await Region.PlaceGangAsync(GangId, Book.WholeSpec, cancellationToken);
        if (placed.Outcome != PlaceOutcome.Rejected)
        {
            await ApplyPlacedAsync(attempt, placed, cancellationToken);
        }
    }

    /// <summary>Records the region's answer (placed: "gang placed"; queued), then hands every member its placement at once.</summary>
    private async Task ApplyPlacedAsync(int attempt, GangPlaceResult placed, CancellationToken cancellationToken)
    {
        var isPlaced = placed.Outcome == PlaceOutcome.Placed;
        var steps = Book.Placed(attempt, isPlaced ? [.. placed.Placements.Select(p => p.DataCenterId)] : null, placed.Detail, clock.Now);
        if (steps.Count == 0)
        {
            return;
        }

        if (isPlaced)
        {
            Record.Placements = [.. placed.Placements];
        }

        await state.WriteStateAsync(cancellationToken);
        if (isPlaced)
        {
            LogPlaced(logger, GangId, attempt, placed.Detail);
            await StartMembersAsync(cancellationToken);
        }
    }

    /// <summary>Hands every member of the current attempt its placement, all at once: the members start together.</summary>
    private async Task StartMembersAsync(CancellationToken cancellationToken)
    {
        var attempt = Record.Attempt;
        await Task.WhenAll(Enumerable.Range(0, Record.Members).Select(async i =>
        {
            try
            {
                await GrainFactory.GetGrain<IJobGrain>(GangRules.MemberId(GangId, i, attempt)).StartMemberAsync(Book.MemberSpec(i), Record.Placements[i], cancellationToken);
            }
            catch (Exception e) when (e is TimeoutException or OrleansException)
            {
                // The reminder hands it its placement again.
                LogMemberFailed(logger, GangId, i, e);
            }
        }));
    }

    /// <summary>Writes the book's steps, then cancels the members it names, takes a cancelled gang out of the queue, or places it again.</summary>
    private async Task ReactAsync(GangReaction reaction, CancellationToken cancellationToken)
    {
        if (!reaction.Changed)
        {
            return;
        }

        if (reaction.Steps.Count == 0)
        {
            // Only a member's state changed (the gang's view): written, nothing to carry out.
            await state.WriteStateAsync(cancellationToken);
            return;
        }

        if (reaction.PlaceAgain)
        {
            Record.Placements = [];
        }

        await state.WriteStateAsync(cancellationToken);
        var last = reaction.Steps[^1];
        LogStep(logger, GangId, last.State, last.Detail);
        await Task.WhenAll(reaction.CancelMembers.Select(async id =>
        {
            try
            {
                await GrainFactory.GetGrain<IJobGrain>(id).CancelAsync(reaction.CancelReason, cancellationToken);
            }
            catch (Exception e) when (e is TimeoutException or OrleansException)
            {
                LogMemberFailed(logger, GangId, -1, e);
            }
        }));

        if (reaction.Dequeue)
        {
            await Region.DequeueAsync(GangId);
        }

        if (reaction.PlaceAgain)
        {
            // The cancelled members gave their capacity back above: the new attempt may take it.
            await PlaceAsync(cancellationToken);
        }
    }

    private async Task ReleaseUnwantedAsync(int attempt, IReadOnlyList<JobPlacement> placements)
    {
        for (var i = 0; i < placements.Count; i++)
        {
            var memberId = GangRules.MemberId(GangId, i, attempt);
            await GrainFactory.GetGrain<IDataCenterGrain>(placements[i].DataCenterId).ReleaseAsync(memberId, default, TimeSpan.Zero);
            // A gang's members are placed on its origin hub's own data centers; the gang's record may be gone (a
            // submission that crashed before its write), so the hub comes from the placement.
            await GrainFactory.GetGrain<IRegionGrain>(placements[i].HubId).OnJobReleasedAsync(memberId);
        }
    }

    private static string Describe(IReadOnlyList<JobPlacement> placements) =>
        new GangPlan([.. placements.GroupBy(p => p.DataCenterId, StringComparer.Ordinal).Select(g => new GangShare(g.Key, g.First().HubId, g.Count()))]).Describe();

    private GangSnapshot Snapshot() => new(
        GangId,
        Record.Template!,
        Record.Members,
        Record.MaxRestarts,
        Record.State,
        Record.Attempt,
        Record.Restarts,
        Record.SubmittedAt,
        [.. Enumerable.Range(0, Record.Members).Select(i => new GangMember(i, GangRules.MemberId(GangId, i, Record.Attempt), Record.MemberStates[i], Record.MemberDataCenters[i]))],
        [.. Record.History]);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gang {GangId} of {Tenant} accepted with {Members} members: {State}")]
    private static partial void LogSubmitted(ILogger logger, string gangId, string tenant, int members, JobState state);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gang {GangId} placed (attempt {Attempt}): {Where}")]
    private static partial void LogPlaced(ILogger logger, string gangId, int attempt, string where);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gang {GangId} {State}: {Detail}")]
    private static partial void LogStep(ILogger logger, string gangId, JobState state, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A call to member {Index} of gang {GangId} failed; the gang's reminder repairs it")]
    private static partial void LogMemberFailed(ILogger logger, string gangId, int index, Exception exception);
}
