using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Loans;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Capacity;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Execution;
using ComputeGrid.Grains.Hosting;
using ComputeGrid.Grains.Jobs;
using ComputeGrid.Grains.Persistence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace ComputeGrid.Grains.DataCenters;

/// <summary>
/// A data center's persisted state, apart from its reservations: they grow with the jobs it holds, so they are a
/// <see cref="ShardedMap{TValue}"/> of their own (id 2 was theirs when they lived here).
/// </summary>
[GenerateSerializer, Alias("cg.DataCenterRecord")]
internal sealed class DataCenterRecord
{
    [Id(0)] public DataCenterSpec? Spec { get; set; }

    [Id(1)] public DataCenterStatus Status { get; set; }

    [Id(3)] public Footprint Executed { get; set; }

    [Id(4)] public long JobsFinished { get; set; }

    [Id(5)] public bool Retired { get; set; }

    [Id(6)] public Dictionary<string, HeldSlice> Loans { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Its agents (a cache of their credentials, kept by the credential grain) and what they reported, by agent id.</summary>
    [Id(7)] public Dictionary<string, AgentRecord> Agents { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Jobs with a command placed here, by job id, until they release their capacity.</summary>
    [Id(8)] public Dictionary<string, CommandRecord> Commands { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Offline because its agents went silent (it comes back by itself when one syncs), not by an operator's hand.</summary>
    [Id(9)] public bool OfflineBySilence { get; set; }
}

/// <summary>
/// The single authority over one data center's capacity: a thin shell around its <see cref="DataCenterBook"/>. Each call
/// is decided by the book in one synchronous step, so calls may interleave (the grain is reentrant) and still never
/// over-commit; changes are written by group commit (<see cref="GroupCommit"/>, in the order of
/// <see cref="DataCenterBook.WritePlan"/>), each caller is answered once a write holding its change has succeeded, and
/// only then are the book's intents carried out.
/// </summary>
[Placement.ZonePlacement]
[Reentrant]
internal sealed partial class DataCenterGrain(
    [PersistentState("datacenter", GridStorage.Name)] IPersistentState<DataCenterRecord> state,
    IGrainContext grainContext,
    IPersistentStateFactory stateFactory,
    IJobExecutor executor,
    TopologyCatalog catalog,
    GridClock clock,
    IOptions<ComputeGridOptions> options,
    IOptions<AgentOptions> agentOptions,
    ILogger<DataCenterGrain> logger) : Grain, IDataCenterGrain, IRemindable
{
    internal const int ReservationShards = 16;
    private const string WakeReminder = "wake";
    private readonly ShardedMap<ResourceRequest> _reservations = new(grainContext, stateFactory, "datacenter-reservations", GridStorage.Name, ReservationShards);
    private readonly Dictionary<string, int> _suspects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _sliceSuspects = new(StringComparer.Ordinal);
    private readonly ReconcileRotation _rotation = new();
    private DataCenterBook? _book;
    private GroupCommit? _commit;

    private string Id => this.GetPrimaryKeyString();

    private DataCenterRecord Record => state.State;

    private DataCenterBook Book => _book ??= LoadBook();

    private bool Exists => Book.Exists;

    private GroupCommit Commit => _commit ??= new GroupCommit(WriteAsync, _ => this.DeactivateOnIdle());

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (missing, stray) = Book.RepairSlices();
        if (missing.Count > 0 || stray.Count > 0)
        {
            LogSlicesRepaired(logger, Id, missing, stray);
            await Commit.CommitAsync();
        }

        var interval = options.Value.ReconcileInterval;
        this.RegisterGrainTimer(ReconcileAsync, new GrainTimerCreationOptions(interval, interval) { Interleave = false, KeepAlive = false });
        if (Exists)
        {
            // The timer lives only while the grain is active; the reminder wakes it after a restart of the whole cluster,
            // so executions lost with the silos are restarted without waiting for somebody to call.
            await this.RegisterOrUpdateReminder(WakeReminder, options.Value.WakeReminderPeriod, options.Value.WakeReminderPeriod, cancellationToken);
        }

        StartAgentWatch();
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;

    public async Task<AdminResult> ConfigureAsync(DataCenterSpec spec, CancellationToken cancellationToken = default)
    {
        if (Book.Configure(spec) is { } refusal)
        {
            return AdminResult.Refused(refusal.Field, refusal.Reason);
        }

        await Commit.CommitAsync();
        await this.RegisterOrUpdateReminder(WakeReminder, options.Value.WakeReminderPeriod, options.Value.WakeReminderPeriod, cancellationToken);
        LogConfigured(logger, Id, spec.HubId, spec.Capacity);
        return AdminResult.Ok;
    }

    public async Task<AdminResult> SetStatusAsync(DataCenterStatus status, CancellationToken cancellationToken = default)
    {
        if (!Exists)
        {
            return AdminResult.Missing(Id);
        }

        if (Book.SetStatus(status))
        {
            await Commit.CommitAsync();
            LogStatus(logger, Id, status);
        }

        return AdminResult.Ok;
    }

    public async Task<AdminResult> RetireAsync(CancellationToken cancellationToken = default)
    {
        if (!Exists)
        {
            return AdminResult.Missing(Id);
        }

        if (Book.Retire() is { } refusal)
        {
            return AdminResult.Refused(refusal.Field, refusal.Reason);
        }

        await Commit.CommitAsync();
        if (await this.GetReminder(WakeReminder, cancellationToken) is { } wake)
        {
            await this.UnregisterReminder(wake, cancellationToken);
        }

        return AdminResult.Ok;
    }

    public async Task<ReservationResult> ReserveAsync(string jobId, ResourceRequest resources, string hubId, string? loanId, int priority, CancellationToken cancellationToken = default)
    {
        using var activity = Telemetry.GridTracing.Start("reserve", jobId, hub: hubId, dataCenter: Id, loanId: loanId);
        var decision = Book.Reserve(jobId, resources, hubId, loanId, priority);

        // Whoever asked is about to record the placement: reconciliation starts counting its passes again from here.
        _suspects.Remove(jobId);
        await DurableAsync(decision);
        return ToResult(decision);
    }

    public async Task<IReadOnlyList<ReservationResult>> ReserveBatchAsync(string hubId, IReadOnlyList<ReservationAsk> asks, CancellationToken cancellationToken = default)
    {
        using var activity = Telemetry.GridTracing.Start("reserve", asks.Count == 1 ? asks[0].JobId : null, hub: hubId, dataCenter: Id);
        var decisions = new List<ReserveDecision>(asks.Count);
        foreach (var ask in asks)
        {
            decisions.Add(Book.Reserve(ask.JobId, ask.Resources, hubId, null, ask.Priority));
            _suspects.Remove(ask.JobId);
        }

        if (decisions.Exists(d => d.Verdict is ReserveVerdict.Reserved or ReserveVerdict.AlreadyReserved))
        {
            await Commit.CommitAsync();
        }

        return [.. decisions.Select(ToResult)];
    }

    public async Task ReleaseAsync(string jobId, Footprint executed, TimeSpan ranFor, CancellationToken cancellationToken = default)
    {
        if (Book.Release(jobId, executed) is not { } intents)
        {
            return;
        }

        ReleaseCommand(jobId);
        await Commit.CommitAsync();
        await CarryOutAsync(intents, ranFor, executed, string.Empty);
    }

    public async Task<ResourceVector> HoldForLoanAsync(string loanId, string borrower, ResourceVector amount, CancellationToken cancellationToken = default)
    {
        using var activity = Telemetry.GridTracing.Start("hold for loan", dataCenter: Id, loanId: loanId, peerHub: borrower);
        var held = Book.HoldForLoan(loanId, borrower, amount, out var changed);
        if (changed)
        {
            await Commit.CommitAsync();
            LogHeld(logger, Id, loanId, borrower, Book.Slices[loanId].Amount);
        }
        else if (held != ResourceVector.Zero)
        {
            // A retry of a hold that may still be on its way to storage: answer it once it is there.
            await Commit.CommitAsync();
        }

        return held;
    }

    public async Task OpenLoanAsync(string loanId, CancellationToken cancellationToken = default)
    {
        if (Book.OpenLoan(loanId))
        {
            await Commit.CommitAsync();
        }
    }

    public async Task<bool> CloseLoanAsync(string loanId, bool preempt, string reason, CancellationToken cancellationToken = default)
    {
        var decision = Book.CloseLoan(loanId, preempt);
        if (decision.Changed)
        {
            await Commit.CommitAsync();
        }

        await CarryOutAsync(decision.Intents, TimeSpan.Zero, Footprint.Zero, reason);
        return decision.Returned;
    }

    public Task<IReadOnlyList<LoanSliceUse>> GetLoanSlicesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<LoanSliceUse>>([.. Book.Slices.Select(l =>
        {
            var ledger = l.Value.Ledger();
            return new LoanSliceUse(
                l.Key,
                l.Value.Borrower,
                ledger.Capacity,
                ledger.Used,
                l.Value.State == SliceState.Open,
                l.Value.Reservations.Count,
                l.Value.Priorities.Count == 0 ? null : l.Value.Priorities.Values.Max());
        })]);

    public async Task StartAsync(string jobId, JobSpec spec, DateTimeOffset? startedAt, CancellationToken cancellationToken = default)
    {
        if (!Book.Holds(jobId))
        {
            return;
        }

        if (spec.Command is { } command)
        {
            // An agent starts it at its next sync; the record is durable so that it does, whatever restarts between.
            if (!Record.Commands.TryGetValue(jobId, out var known) || known.Released)
            {
                Record.Commands[jobId] = new CommandRecord { Tenant = spec.Tenant, Command = command, WallTime = spec.RunTime };
                await Commit.CommitAsync();
            }

            return;
        }

        executor.Start(Id, jobId, Reconciliation.RemainingRunTime(spec.RunTime, startedAt, clock.Now));
    }

    public Task StopAsync(string jobId, CancellationToken cancellationToken = default)
    {
        executor.Stop(jobId);
        return Task.CompletedTask;
    }

    public Task<DataCenterSnapshot?> GetSnapshotAsync(CancellationToken cancellationToken = default)
    {
        if (!Exists)
        {
            return Task.FromResult<DataCenterSnapshot?>(null);
        }

        var book = Book;
        return Task.FromResult<DataCenterSnapshot?>(new DataCenterSnapshot(
            book.Spec!, book.Status, book.Ledger.Used, book.Ledger.Free, book.OwnJobs + book.BorrowedJobs, book.Executed, book.JobsFinished, book.Lent, book.BorrowedJobs));
    }

    /// <summary>
    /// One reconciliation pass over the jobs holding capacity here, each asked where it stands (its record is the truth):
    /// executions lost with a silo are restarted; a job that ended is told to finish its exit again; a reservation whose
    /// job holds no capacity here is released once it has disagreed for <see cref="ComputeGridOptions.ReconcilePasses"/>
    /// passes in a row and nobody reserved it again meanwhile. Idempotent, so it can run any number of times.
    /// </summary>
    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        if (!Exists)
        {
            return;
        }

        var held = Book.HeldJobs();
        foreach (var gone in _suspects.Keys.Except(held, StringComparer.Ordinal).ToList())
        {
            _suspects.Remove(gone);
        }

        var turn = _rotation.Next(held, options.Value.ReconcileBatch).Where(Book.Holds).ToList();
        var snapshots = await JobReads.ReadAsync(GrainFactory, turn, JobReads.DeadlineFor(options.Value.ReconcileInterval), cancellationToken);
        foreach (var (jobId, snapshot) in snapshots)
        {
            var job = GrainFactory.GetGrain<IJobGrain>(jobId);
            switch (Reconciliation.JudgeReservation(Id, snapshot?.State, snapshot?.Placement?.DataCenterId))
            {
                case ReservationVerdict.KeepAndRun:
                    _suspects.Remove(jobId);
                    await StartAsync(jobId, snapshot!.Spec, snapshot.StartedAt, cancellationToken);
                    if (Record.Commands.TryGetValue(jobId, out var ended) && ended.Ended is { } report)
                    {
                        // Recorded here, but the job has not heard yet (the one-way forward was lost): tell it again.
                        await job.OnAgentReportAsync(Id, report.Phase, report.Outcome, report.Detail);
                    }

                    break;
                case ReservationVerdict.FinishExit:
                    await job.DriveAsync();
                    break;
                case ReservationVerdict.Suspect when Reconciliation.Persisted(_suspects, jobId, options.Value.ReconcilePasses):
                    await ReleaseOrphanAsync(jobId, snapshot, cancellationToken);
                    break;
            }
        }

        await ReconcileSlicesAsync(cancellationToken);
    }

    /// <summary>
    /// Asks each loan with a slice here where it stands (the loan grain is the truth) and brings a slice that disagreed for
    /// <see cref="ComputeGridOptions.ReconcilePasses"/> passes in a row in line: a lost OpenLoan or CloseLoan, or a loan that
    /// its grain does not know, cannot keep capacity forever.
    /// </summary>
    private async Task ReconcileSlicesAsync(CancellationToken cancellationToken)
    {
        foreach (var gone in _sliceSuspects.Keys.Where(k => !Book.Slices.ContainsKey(k)).ToList())
        {
            _sliceSuspects.Remove(gone);
        }

        foreach (var loanId in Book.Slices.Keys.ToList())
        {
            LoanState? truth;
            try
            {
                truth = (await GrainFactory.GetGrain<ILoanGrain>(loanId).GetAsync(cancellationToken))?.State;
            }
            catch (Exception e) when (e is TimeoutException or OrleansException && !cancellationToken.IsCancellationRequested)
            {
                continue;
            }

            if (!Book.Disagrees(loanId, truth))
            {
                _sliceSuspects.Remove(loanId);
                continue;
            }

            if (!Reconciliation.Persisted(_sliceSuspects, loanId, options.Value.ReconcilePasses) || Book.SettleWithLoan(loanId, truth) is not { } decision)
            {
                continue;
            }

            _sliceSuspects.Remove(loanId);
            LogSliceSettled(logger, Id, loanId, truth);
            await Commit.CommitAsync();
            await CarryOutAsync(decision.Intents, TimeSpan.Zero, Footprint.Zero, "the loan no longer takes placements");
        }
    }

    private async Task ReleaseOrphanAsync(string jobId, JobSnapshot? snapshot, CancellationToken cancellationToken)
    {
        if (await GrainFactory.GetGrain<IRegionGrain>(Book.PlacedBy(jobId)).HoldsPlacementAsync(jobId, Id))
        {
            // Its region placed it here and the job has not recorded it yet (slow, or cut short by a crash): the region's
            // own reconciliation settles that first.
            return;
        }

        if (await JobReads.IsSettlingAsync(GrainFactory, jobId, JobReads.DeadlineFor(options.Value.ReconcileInterval), cancellationToken) is not false)
        {
            // The job is about to record a placement (or did not answer): judge it again from the start.
            _suspects.Remove(jobId);
            return;
        }

        if (!_suspects.Remove(jobId))
        {
            // Reserved again while this pass asked around (the grain is reentrant): whoever reserved it records it.
            return;
        }

        LogOrphanReleased(logger, Id, jobId, snapshot?.State, snapshot?.Placement?.DataCenterId);
        executor.Stop(jobId);
        await ReleaseAsync(jobId, Footprint.Zero, TimeSpan.Zero, cancellationToken);
    }

    /// <summary>Answers a reservation once it is durable: a new one, and a retry of one that may still be on its way to storage.</summary>
    private Task DurableAsync(ReserveDecision decision) =>
        decision.Verdict is ReserveVerdict.Reserved or ReserveVerdict.AlreadyReserved ? Commit.CommitAsync() : Task.CompletedTask;

    /// <summary>Carries out what the book asked for, after the change that asked for it is durable.</summary>
    private async Task CarryOutAsync(IReadOnlyList<DataCenterIntent> intents, TimeSpan ranFor, Footprint executed, string reason)
    {
        foreach (var intent in intents)
        {
            switch (intent)
            {
                case SettleBorrowedJob settle:
                    await GrainFactory.GetGrain<ILoanGrain>(settle.LoanId).OnJobSettledAsync(Id, settle.JobId, settle.Resources, ranFor, executed);
                    break;
                case SliceReturned returned:
                    await GrainFactory.GetGrain<ILoanGrain>(returned.LoanId).OnSliceDrainedAsync(Id);
                    break;
                case TellBorrower tell:
                    await GrainFactory.GetGrain<IRegionGrain>(tell.HubId).OnCapacityFreedAsync(Id, Book.Ledger.Free);
                    break;
                case AnnounceFreed:
                    var free = Book.Ledger.Free;
                    foreach (var hub in catalog.Seed.Hubs.Keys)
                    {
                        await GrainFactory.GetGrain<IRegionGrain>(hub).OnCapacityFreedAsync(Id, free);
                    }

                    break;
                case PreemptBorrowed preempt:
                    foreach (var jobId in preempt.JobIds)
                    {
                        await GrainFactory.GetGrain<IJobGrain>(jobId).PreemptAsync(Id, reason);
                    }

                    break;
            }
        }
    }

    private DataCenterBook LoadBook()
    {
        var book = new DataCenterBook(Id, Record.Spec, Record.Status, Record.Retired, _reservations, Record.Loans);
        book.Restore(Record.Executed, Record.JobsFinished, Record.OfflineBySilence);
        return book;
    }

    /// <summary>
    /// One write of <see cref="DataCenterBook.WritePlan"/>: the record (with the book's scalars), then the reservation shards
    /// that changed. The record is written even when only a shard changed: its ETag fences the whole data center, so a
    /// stale duplicate activation cannot grant capacity through a shard the new one has not written yet.
    /// </summary>
    private async Task WriteAsync(CancellationToken cancellationToken)
    {
        var book = Book;
        Record.Spec = book.Spec;
        Record.Status = book.Status;
        Record.Retired = book.Retired;
        Record.OfflineBySilence = book.OfflineBySilence;
        Record.Executed = book.Executed;
        Record.JobsFinished = book.JobsFinished;
        foreach (var step in DataCenterBook.WritePlan)
        {
            await (step switch
            {
                DataCenterWrite.Record => state.WriteStateAsync(cancellationToken),
                _ => _reservations.WriteChangesAsync(cancellationToken),
            });
        }
    }

    private static ReservationResult ToResult(ReserveDecision decision) => new(
        decision.Verdict switch
        {
            ReserveVerdict.Reserved => ReservationOutcome.Reserved,
            ReserveVerdict.AlreadyReserved => ReservationOutcome.AlreadyReserved,
            ReserveVerdict.Conflict => ReservationOutcome.Conflict,
            ReserveVerdict.Insufficient => ReservationOutcome.Insufficient,
            ReserveVerdict.NoLoan => ReservationOutcome.NoLoan,
            _ => ReservationOutcome.NotAccepting,
        },
        decision.Free,
        decision.Status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} in {HubId} configured with {Capacity}")]
    private static partial void LogConfigured(ILogger logger, string dataCenterId, string hubId, ResourceVector capacity);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} holds {Amount} for loan {LoanId} to {Borrower}")]
    private static partial void LogHeld(ILogger logger, string dataCenterId, string loanId, string borrower, ResourceRequest amount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data center {DataCenterId} released the reservation of job {JobId}: the job is {State} at {PlacedAt}")]
    private static partial void LogOrphanReleased(ILogger logger, string dataCenterId, string jobId, JobState? state, string? placedAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data center {DataCenterId} repaired its loan slices after a write cut short: held again {Missing}, released {Stray}")]
    private static partial void LogSlicesRepaired(ILogger logger, string dataCenterId, IReadOnlyList<string> missing, IReadOnlyList<string> stray);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data center {DataCenterId} brought its slice of loan {LoanId} in line with the loan ({State}; null: the loan never opened)")]
    private static partial void LogSliceSettled(ILogger logger, string dataCenterId, string loanId, LoanState? state);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} is now {Status}")]
    private static partial void LogStatus(ILogger logger, string dataCenterId, DataCenterStatus status);
}
