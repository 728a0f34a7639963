using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Loans;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Capacity;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Execution;
using ComputeGrid.Grains.Hosting;
using ComputeGrid.Grains.Persistence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace ComputeGrid.Grains.DataCenters;

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
    [PersistentState(DataCenterRecord.StateName, GridStorage.Name)] IPersistentState<DataCenterRecord> state,
    IGrainContext grainContext,
    IPersistentStateFactory stateFactory,
    IJobExecutor executor,
    TopologyCatalog catalog,
    GridClock clock,
    IOptions<ComputeGridOptions> options,
    IOptions<ReservationOptions> reservationOptions,
    IOptions<LoanOptions> loanOptions,
    ILogger<DataCenterGrain> logger) : Grain, IDataCenterGrain, IRemindable
{
    internal const int ReservationShards = 16;
    private const string WakeReminder = "wake";
    private readonly ShardedMap<ResourceRequest> _reservations = new(grainContext, stateFactory, "datacenter-reservations", GridStorage.Name, ReservationShards);

    // When each held job lets go at the latest (its bounded run), beside its reservation; a job not listed (reserved by an
    // older version) holds for ever. Sharded as the reservations are: it grows with the jobs held.
    private readonly ShardedMap<DateTimeOffset> _runsUntil = new(grainContext, stateFactory, "datacenter-runs-until", GridStorage.Name, ReservationShards);
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

    private IAgentGrain Agents => GrainFactory.GetGrain<IAgentGrain>(Id);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (missing, stray) = Book.RepairSlices();
        if (missing.Count > 0 || stray.Count > 0)
        {
            LogSlicesRepaired(logger, Id, missing, stray);
            await Commit.CommitAsync();
        }

        if (Book.RepairWindows() | Book.RepairBoundedRuns())
        {
            await Commit.CommitAsync();
        }

        StartWindowTimer();

        var interval = options.Value.ReconcileInterval;
        // The first pass comes soon: an activation after a silo's death (or a whole cluster's restart) has work to drive on.
        this.RegisterGrainTimer(ReconcileAsync, new GrainTimerCreationOptions(MembershipReactor.FirstPass(interval), interval) { Interleave = false, KeepAlive = false });
        if (Exists)
        {
            // The timer lives only while the grain is active; the reminder wakes it after a restart of the whole cluster,
            // so executions lost with the silos are restarted without waiting for somebody to call.
            WakeReminders.RegisterSoon(this, WakeReminder, options.Value.WakeReminderPeriod);
        }

        if (Record.HoldsLegacyAgents)
        {
            // Written by a version that kept its agents here: its agent grain and credential grain adopt them when they
            // activate (durably, before they answer), then this record lets them go.
            await Agents.ListAsync(cancellationToken);
            Record.LegacyAgents = null;
            Record.LegacyCommands = null;
            Record.HasAgents = true;
            await Commit.CommitAsync();
        }
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
        var decision = Book.Reserve(jobId, resources, hubId, loanId, priority, clock.Now);

        // Whoever asked is about to record the placement: reconciliation starts counting its passes again from here.
        _suspects.Remove(jobId);
        await DurableAsync(decision);
        return DataCenterViews.Result(decision);
    }

    public async Task<IReadOnlyList<ReservationResult>> ReserveBatchAsync(string hubId, IReadOnlyList<ReservationAsk> asks, CancellationToken cancellationToken = default)
    {
        using var activity = Telemetry.GridTracing.Start("reserve", asks.Count == 1 ? asks[0].JobId : null, hub: hubId, dataCenter: Id);
        var decisions = new List<ReserveDecision>(asks.Count);
        foreach (var ask in asks)
        {
            decisions.Add(Book.Reserve(ask.JobId, ask.Resources, hubId, null, ask.Priority, clock.Now, BoundedEnd(ask)));
            _suspects.Remove(ask.JobId);
        }

        if (decisions.Exists(d => d.Verdict is ReserveVerdict.Reserved or ReserveVerdict.AlreadyReserved))
        {
            await Commit.CommitAsync();
        }

        return [.. decisions.Select(DataCenterViews.Result)];
    }

    public async Task<ResourceVector?> ReleaseAsync(string jobId, Footprint executed, TimeSpan ranFor, CancellationToken cancellationToken = default)
    {
        if (Record.HasAgents && Book.Holds(jobId))
        {
            // Its command (if it had one) is let go first: were the capacity released first and this call cut short, a
            // process could run on capacity given to another job. A repeated release finds the command let go already.
            await Agents.ReleaseAsync(jobId, cancellationToken);
        }

        if (Book.Release(jobId, executed) is not { } intents)
        {
            return Exists ? Book.Ledger.Free : null;
        }

        await Commit.CommitAsync();
        await CarryOutAsync(intents, ranFor, executed, string.Empty);
        return Book.Ledger.Free;
    }

    public Task<ResourceVector> HoldForLoanAsync(string loanId, string borrower, ResourceVector amount, CancellationToken cancellationToken = default) =>
        HoldAsync(loanId, borrower, amount, until: null);

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

    public Task<IReadOnlyList<LoanSliceUse>> GetLoanSlicesAsync(CancellationToken cancellationToken = default) => Task.FromResult(DataCenterViews.Slices(Book));

    public Task<IReadOnlyList<string>> GetHeldJobsAsync(CancellationToken cancellationToken = default) => Task.FromResult(Book.HeldJobs());

    public async Task StartAsync(string jobId, JobSpec spec, DateTimeOffset? startedAt, CancellationToken cancellationToken = default)
    {
        if (!Book.Holds(jobId))
        {
            return;
        }

        if (spec.Command is { } command)
        {
            await Agents.AssignAsync(jobId, spec.Tenant, command, spec.RunTime, cancellationToken);
            return;
        }

        executor.Start(Id, jobId, Reconciliation.RemainingRunTime(spec.RunTime, startedAt, clock.Now));
    }

    public Task StopAsync(string jobId, CancellationToken cancellationToken = default)
    {
        executor.Stop(jobId);
        return Task.CompletedTask;
    }

    public async Task<DataCenterStatus?> OnAgentsAsync(bool heard, CancellationToken cancellationToken = default)
    {
        if (!Exists)
        {
            return null;
        }

        var first = !Record.HasAgents;
        Record.HasAgents = true;
        var back = heard && Book.HearAgent();
        if (first || back)
        {
            await Commit.CommitAsync();
        }

        if (back)
        {
            LogBackOnline(logger, Id);
        }

        return Book.Status;
    }

    public async Task<IReadOnlyList<string>?> OnAgentsSilentAsync(CancellationToken cancellationToken = default)
    {
        if (!Exists)
        {
            return null;
        }

        if (Book.GoSilent())
        {
            await Commit.CommitAsync();
            LogStatus(logger, Id, DataCenterStatus.Offline);
        }

        return Book.OfflineBySilence ? Book.HeldJobs() : null;
    }

    public Task<DataCenterSnapshot?> GetSnapshotAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Exists ? DataCenterViews.Snapshot(Book) : null);

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
                case RecallLoans recall:
                    foreach (var loanId in recall.LoanIds)
                    {
                        await GrainFactory.GetGrain<ILoanGrain>(loanId).RecallAsync(Book.Spec!.HubId, recall.Reason);
                    }

                    break;
                case PreemptOverrun overrun:
                    foreach (var jobId in overrun.JobIds)
                    {
                        await GrainFactory.GetGrain<IJobGrain>(jobId).PreemptAsync(Id, overrun.Reason);
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
        var book = new DataCenterBook(Id, Record.Spec, Record.Status, Record.Retired, _reservations, Record.Loans, Record.Windows, _runsUntil);
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
                DataCenterWrite.ReservationShards => _reservations.WriteChangesAsync(cancellationToken),
                _ => _runsUntil.WriteChangesAsync(cancellationToken),
            });
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} in {HubId} configured with {Capacity}")]
    private static partial void LogConfigured(ILogger logger, string dataCenterId, string hubId, ResourceVector capacity);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} holds {Amount} for loan {LoanId} to {Borrower}")]
    private static partial void LogHeld(ILogger logger, string dataCenterId, string loanId, string borrower, ResourceRequest amount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data center {DataCenterId} repaired its loan slices after a write cut short: held again {Missing}, released {Stray}")]
    private static partial void LogSlicesRepaired(ILogger logger, string dataCenterId, IReadOnlyList<string> missing, IReadOnlyList<string> stray);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} is back Online: an agent synced")]
    private static partial void LogBackOnline(ILogger logger, string dataCenterId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} is now {Status}")]
    private static partial void LogStatus(ILogger logger, string dataCenterId, DataCenterStatus status);
}
