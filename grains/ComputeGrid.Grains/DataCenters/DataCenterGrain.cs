using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Loans;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Execution;
using ComputeGrid.Grains.Hosting;
using ComputeGrid.Grains.Jobs;
using ComputeGrid.Grains.Persistence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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

    [Id(6)] public Dictionary<string, LoanSliceRecord> Loans { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Its agents (a cache of their credentials, kept by the credential grain) and what they reported, by agent id.</summary>
    [Id(7)] public Dictionary<string, AgentRecord> Agents { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Jobs with a command placed here, by job id, until they release their capacity.</summary>
    [Id(8)] public Dictionary<string, CommandRecord> Commands { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Offline because its agents went silent (it comes back by itself when one syncs), not by an operator's hand.</summary>
    [Id(9)] public bool OfflineBySilence { get; set; }
}

/// <summary>
/// A loan's slice of this data center: its amount is one reservation in the data center's own ledger (so the lender's
/// own jobs cannot use it), and the borrower's jobs reserve inside it.
/// </summary>
[GenerateSerializer, Alias("cg.LoanSliceRecord")]
internal sealed class LoanSliceRecord
{
    [Id(0)] public string Borrower { get; set; } = string.Empty;

    [Id(1)] public ResourceRequest Amount { get; set; } = new(0, 0);

    [Id(2)] public bool Open { get; set; }

    [Id(3)] public bool Closed { get; set; }

    [Id(4)] public Dictionary<string, ResourceRequest> Reservations { get; set; } = new(StringComparer.Ordinal);

    [Id(5)] public Dictionary<string, int> Priorities { get; set; } = new(StringComparer.Ordinal);

    public CapacityLedger Ledger() => new(ResourceVector.Of(Amount.CpuMillicores, Amount.MemoryMiB, Amount.EffectiveGpuModel is { } m ? [new(m, Amount.Gpus)] : null), Reservations);
}

/// <summary>
/// The single authority over one data center's capacity. Reservations are checked and written here, one call at a
/// time, so the sum of reservations can never exceed capacity whatever the concurrency outside.
/// </summary>
[Placement.ZonePlacement]
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
    private const string SlicePrefix = "loan:";
    private readonly ShardedMap<ResourceRequest> _reservations = new(grainContext, stateFactory, "datacenter-reservations", GridStorage.Name, ReservationShards);
    private readonly Dictionary<string, int> _suspects = new(StringComparer.Ordinal);
    private readonly ReconcileRotation _rotation = new();
    private CapacityLedger? _ledger;

    private string Id => this.GetPrimaryKeyString();

    private DataCenterRecord Record => state.State;

    private bool Exists => Record.Spec is not null && !Record.Retired;

    private CapacityLedger Ledger => _ledger ??= new CapacityLedger(Record.Spec?.Capacity ?? ResourceVector.Zero, _reservations);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await RepairLoanSlicesAsync(cancellationToken);
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
        if (spec.Id != Id)
        {
            return AdminResult.Refused("id", $"spec id '{spec.Id}' does not match data center '{Id}'");
        }

        if (!Ledger.TryResize(spec.Capacity))
        {
            return AdminResult.Refused("capacity", $"current reservations ({Ledger.Used}) exceed the new capacity ({spec.Capacity})");
        }

        if (!Exists)
        {
            Record.Status = DataCenterStatus.Online;
        }

        Record.Spec = spec;
        Record.Retired = false;
        await WriteStateAsync(cancellationToken);
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

        if (Record.Status != status)
        {
            Record.Status = status;
            await WriteStateAsync(cancellationToken);
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

        if (Ledger.Reservations.Count > 0)
        {
            return AdminResult.Refused("dataCenterId", $"{Ledger.Reservations.Count} jobs or loans still hold capacity in '{Id}'; drain it and wait for them to finish");
        }

        Record.Retired = true;
        await WriteStateAsync(cancellationToken);
        if (await this.GetReminder(WakeReminder, cancellationToken) is { } wake)
        {
            await this.UnregisterReminder(wake, cancellationToken);
        }

        return AdminResult.Ok;
    }

    public async Task<ReservationResult> ReserveAsync(string jobId, ResourceRequest resources, string hubId, string? loanId, int priority, CancellationToken cancellationToken = default)
    {
        using var activity = Telemetry.GridTracing.Start("reserve", jobId, hub: hubId, dataCenter: Id, loanId: loanId);
        if (!Exists)
        {
            return new ReservationResult(ReservationOutcome.NotAccepting, ResourceVector.Zero, DataCenterStatus.Offline);
        }

        if (loanId is not null)
        {
            return await ReserveOnLoanAsync(jobId, resources, hubId, loanId, priority, cancellationToken);
        }

        if (hubId != Record.Spec!.HubId)
        {
            return new ReservationResult(ReservationOutcome.NoLoan, ResourceVector.Zero, Record.Status);
        }

        if (Record.Status != DataCenterStatus.Online && !Ledger.Reservations.ContainsKey(jobId))
        {
            return new ReservationResult(ReservationOutcome.NotAccepting, Ledger.Free, Record.Status);
        }

        var outcome = Ledger.Reserve(jobId, resources);

        // Whoever asked is about to record the placement: reconciliation starts counting its passes again from here.
        _suspects.Remove(jobId);
        if (outcome == ReserveOutcome.Reserved)
        {
            try
            {
                // The record is written too, though a reservation leaves it unchanged: its ETag fences the whole data
                // center. After a crash a grain can be active twice for a moment; a stale activation writing only a
                // shard the new one has not written yet would succeed and grant capacity the new one never sees.
                await WriteStateAsync(cancellationToken);
            }
            catch
            {
                // Not durable, so not granted: undo in memory too.
                Ledger.Release(jobId);
                throw;
            }
        }

        return new ReservationResult(ToOutcome(outcome), Ledger.Free, Record.Status);
    }

    public async Task<IReadOnlyList<ReservationResult>> ReserveBatchAsync(string hubId, IReadOnlyList<ReservationAsk> asks, CancellationToken cancellationToken = default)
    {
        using var activity = Telemetry.GridTracing.Start("reserve", asks.Count == 1 ? asks[0].JobId : null, hub: hubId, dataCenter: Id);
        if (!Exists || hubId != Record.Spec!.HubId)
        {
            var refusal = Exists
                ? new ReservationResult(ReservationOutcome.NoLoan, ResourceVector.Zero, Record.Status)
                : new ReservationResult(ReservationOutcome.NotAccepting, ResourceVector.Zero, DataCenterStatus.Offline);
            return [.. asks.Select(_ => refusal)];
        }

        var outcomes = new ReserveOutcome?[asks.Count];
        var granted = new List<string>();
        for (var i = 0; i < asks.Count; i++)
        {
            var ask = asks[i];
            if (Record.Status != DataCenterStatus.Online && !Ledger.Reservations.ContainsKey(ask.JobId))
            {
                continue;
            }

            outcomes[i] = Ledger.Reserve(ask.JobId, ask.Resources);
            _suspects.Remove(ask.JobId);
            if (outcomes[i] == ReserveOutcome.Reserved)
            {
                granted.Add(ask.JobId);
            }
        }

        if (granted.Count > 0)
        {
            try
            {
                // One write for the batch, the record with it (its ETag fences the data center, see ReserveAsync).
                await WriteStateAsync(cancellationToken);
            }
            catch
            {
                foreach (var jobId in granted)
                {
                    Ledger.Release(jobId);
                }

                throw;
            }
        }

        var free = Ledger.Free;
        return [.. outcomes.Select(o => o is { } outcome
            ? new ReservationResult(ToOutcome(outcome), free, Record.Status)
            : new ReservationResult(ReservationOutcome.NotAccepting, free, Record.Status))];
    }

    public async Task ReleaseAsync(string jobId, Footprint executed, TimeSpan ranFor, CancellationToken cancellationToken = default)
    {
        if (!Ledger.Reservations.ContainsKey(jobId))
        {
            if (Record.Loans.FirstOrDefault(l => l.Value.Reservations.ContainsKey(jobId)) is { Key: { } loanId, Value: { } slice })
            {
                await ReleaseFromLoanAsync(jobId, loanId, slice, executed, ranFor, cancellationToken);
            }

            return;
        }

        var held = Ledger.Reservations[jobId];
        Ledger.Release(jobId);
        Record.Commands.TryGetValue(jobId, out var command);
        var released = command?.Released ?? false;
        ReleaseCommand(jobId);
        Record.Executed += executed;
        Record.JobsFinished++;
        try
        {
            await WriteStateAsync(cancellationToken);
        }
        catch
        {
            Ledger.Reserve(jobId, held);
            if (command is not null)
            {
                command.Released = released;
                Record.Commands[jobId] = command;
            }

            Record.Executed -= executed;
            Record.JobsFinished--;
            throw;
        }

        await AnnounceFreedAsync();
    }

    public async Task<ResourceVector> HoldForLoanAsync(string loanId, string borrower, ResourceVector amount, CancellationToken cancellationToken = default)
    {
        using var activity = Telemetry.GridTracing.Start("hold for loan", dataCenter: Id, loanId: loanId, peerHub: borrower);
        if (Record.Loans.TryGetValue(loanId, out var existing))
        {
            return existing.Closed ? ResourceVector.Zero : existing.Ledger().Capacity;
        }

        if (!Exists || Record.Status != DataCenterStatus.Online || borrower == Record.Spec!.HubId)
        {
            return ResourceVector.Zero;
        }

        // A slice holds one GPU model (a job runs on one model): the one asked for most that this data center has.
        var free = Ledger.Free;
        var model = amount.Gpus.Where(g => free.GpusOf(g.Key) > 0).OrderByDescending(g => Math.Min(g.Value, free.GpusOf(g.Key))).Select(g => g.Key).FirstOrDefault();
        var hold = new ResourceRequest(
            Math.Min(amount.CpuMillicores, free.CpuMillicores),
            Math.Min(amount.MemoryMiB, free.MemoryMiB),
            model is null ? 0 : Math.Min(amount.GpusOf(model), free.GpusOf(model)),
            model);
        if (hold.CpuMillicores <= 0 || hold.MemoryMiB <= 0 || Ledger.Reserve(SliceKey(loanId), hold) != ReserveOutcome.Reserved)
        {
            return ResourceVector.Zero;
        }

        var slice = new LoanSliceRecord { Borrower = borrower, Amount = hold };
        Record.Loans[loanId] = slice;
        try
        {
            await WriteStateAsync(cancellationToken);
        }
        catch
        {
            Ledger.Release(SliceKey(loanId));
            Record.Loans.Remove(loanId);
            throw;
        }

        LogHeld(logger, Id, loanId, borrower, hold);
        return slice.Ledger().Capacity;
    }

    public async Task OpenLoanAsync(string loanId, CancellationToken cancellationToken = default)
    {
        if (Record.Loans.TryGetValue(loanId, out var slice) && !slice.Open && !slice.Closed)
        {
            slice.Open = true;
            await WriteStateAsync(cancellationToken);
        }
    }

    public async Task<bool> CloseLoanAsync(string loanId, bool preempt, string reason, CancellationToken cancellationToken = default)
    {
        if (!Record.Loans.TryGetValue(loanId, out var slice))
        {
            return true;
        }

        if (slice.Reservations.Count == 0)
        {
            await DropSliceAsync(loanId, cancellationToken);
            return true;
        }

        if (!slice.Closed || slice.Open)
        {
            slice.Closed = true;
            slice.Open = false;
            await WriteStateAsync(cancellationToken);
        }

        if (preempt)
        {
            foreach (var jobId in slice.Reservations.Keys.ToList())
            {
                await GrainFactory.GetGrain<IJobGrain>(jobId).PreemptAsync(Id, reason);
            }
        }

        return false;
    }

    public Task<IReadOnlyList<LoanSliceUse>> GetLoanSlicesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<LoanSliceUse>>([.. Record.Loans.Select(l =>
        {
            var ledger = l.Value.Ledger();
            return new LoanSliceUse(
                l.Key,
                l.Value.Borrower,
                ledger.Capacity,
                ledger.Used,
                l.Value.Open,
                l.Value.Reservations.Count,
                l.Value.Priorities.Count == 0 ? null : l.Value.Priorities.Values.Max());
        })]);

    public async Task StartAsync(string jobId, JobSpec spec, DateTimeOffset? startedAt, CancellationToken cancellationToken = default)
    {
        if (!Holds(jobId))
        {
            return;
        }

        if (spec.Command is { } command)
        {
            // An agent starts it at its next sync; the record is durable so that it does, whatever restarts between.
            if (!Record.Commands.TryGetValue(jobId, out var known) || known.Released)
            {
                Record.Commands[jobId] = new CommandRecord { Tenant = spec.Tenant, Command = command, WallTime = spec.RunTime };
                await WriteStateAsync(cancellationToken);
            }

            return;
        }

        executor.Start(Id, jobId, Reconciliation.RemainingRunTime(spec.RunTime, startedAt, clock.Now));
    }

    /// <summary>
    /// One reconciliation pass over the jobs holding capacity here, each asked where it stands (its record is the truth):
    /// executions lost with a silo are restarted; a job that ended is told to finish its exit again; a reservation whose
    /// job holds no capacity here is released once it has disagreed for <see cref="ComputeGridOptions.ReconcilePasses"/>
    /// passes in a row. Idempotent, so it can run any number of times.
    /// </summary>
    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        if (!Exists)
        {
            return;
        }

        var held = HeldJobs();
        foreach (var gone in _suspects.Keys.Except(held, StringComparer.Ordinal).ToList())
        {
            _suspects.Remove(gone);
        }

        var turn = _rotation.Next(held, options.Value.ReconcileBatch).Where(Holds).ToList();
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
                    if (await GrainFactory.GetGrain<IRegionGrain>(PlacedBy(jobId)).HoldsPlacementAsync(jobId, Id))
                    {
                        // Its region placed it here and the job has not recorded it yet (slow, or cut short by a crash):
                        // the region's own reconciliation settles that first.
                        break;
                    }

                    if (await JobReads.IsSettlingAsync(GrainFactory, jobId, JobReads.DeadlineFor(options.Value.ReconcileInterval), cancellationToken) is not false)
                    {
                        // The job is about to record a placement (or did not answer): judge it again from the start.
                        _suspects.Remove(jobId);
                        break;
                    }

                    _suspects.Remove(jobId);
                    LogOrphanReleased(logger, Id, jobId, snapshot?.State, snapshot?.Placement?.DataCenterId);
                    executor.Stop(jobId);
                    await ReleaseAsync(jobId, Footprint.Zero, TimeSpan.Zero, cancellationToken);
                    break;
            }
        }
    }

    /// <summary>Every job holding capacity here: own reservations (not loan slices) and borrowers' jobs inside the slices.</summary>
    private List<string> HeldJobs() =>
        [.. Ledger.Reservations.Keys.Where(k => !k.StartsWith(SlicePrefix, StringComparison.Ordinal)).Concat(Record.Loans.Values.SelectMany(l => l.Reservations.Keys))];

    /// <summary>
    /// The region that placed a job here, known without the job: this hub's own region for an own reservation (only it
    /// may reserve outside a loan), the borrower for a reservation inside a loan slice.
    /// </summary>
    private string PlacedBy(string jobId) =>
        Record.Loans.Values.FirstOrDefault(l => l.Reservations.ContainsKey(jobId))?.Borrower ?? Record.Spec!.HubId;

    private bool Holds(string jobId) => Ledger.Reservations.ContainsKey(jobId) || Record.Loans.Values.Any(l => l.Reservations.ContainsKey(jobId));

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

        var lent = Record.Loans.Values.Aggregate(ResourceVector.Zero, (sum, l) => sum.Plus(l.Amount));
        var borrowedJobs = Record.Loans.Values.Sum(l => l.Reservations.Count);
        var ownJobs = Ledger.Reservations.Count - Record.Loans.Count;
        return Task.FromResult<DataCenterSnapshot?>(
            new DataCenterSnapshot(Record.Spec!, Record.Status, Ledger.Used, Ledger.Free, ownJobs + borrowedJobs, Record.Executed, Record.JobsFinished, lent, borrowedJobs));
    }

    /// <summary>
    /// Writes the data center's record, then the shards of its reservations that changed. They are separate writes: when
    /// one fails, storage may hold the record and not the shards, so this activation lets itself go and the next one
    /// reads back what storage holds (and repairs the loan slices, <see cref="RepairLoanSlicesAsync"/>) instead of going on
    /// from memory that storage never held.
    /// </summary>
    private async Task WriteStateAsync(CancellationToken cancellationToken)
    {
        try
        {
            await state.WriteStateAsync(cancellationToken);
            await _reservations.WriteChangesAsync(cancellationToken);
        }
        catch
        {
            DeactivateOnIdle();
            throw;
        }
    }

    /// <summary>
    /// Makes the ledger hold exactly the loan slices the record lists. A loan slice lives in both (the record's
    /// <see cref="DataCenterRecord.Loans"/> and a <c>loan:</c> reservation in the shards), and a crash between the two writes
    /// leaves it in one only: a slice recorded but not held would let the lender's own jobs use capacity it lent, and one
    /// held but not recorded would keep capacity for nobody. The record is written first, so it is the truth.
    /// </summary>
    private async Task RepairLoanSlicesAsync(CancellationToken cancellationToken)
    {
        var held = _reservations.Keys.Where(k => k.StartsWith(SlicePrefix, StringComparison.Ordinal)).Select(k => k[SlicePrefix.Length..]);
        var (missing, stray) = Reconciliation.CompareLoanSlices(held, Record.Loans.Keys);
        if (missing.Count == 0 && stray.Count == 0)
        {
            return;
        }

        foreach (var loanId in missing)
        {
            _reservations[SliceKey(loanId)] = Record.Loans[loanId].Amount;
        }

        foreach (var loanId in stray)
        {
            _reservations.Remove(SliceKey(loanId));
        }

        LogSlicesRepaired(logger, Id, missing, stray);
        await WriteStateAsync(cancellationToken);
    }

    private static string SliceKey(string loanId) => SlicePrefix + loanId;

    private static ReservationOutcome ToOutcome(ReserveOutcome outcome) => outcome switch
    {
        ReserveOutcome.Reserved => ReservationOutcome.Reserved,
        ReserveOutcome.AlreadyReserved => ReservationOutcome.AlreadyReserved,
        ReserveOutcome.Conflict => ReservationOutcome.Conflict,
        _ => ReservationOutcome.Insufficient,
    };

    private async Task<ReservationResult> ReserveOnLoanAsync(string jobId, ResourceRequest resources, string hubId, string loanId, int priority, CancellationToken cancellationToken)
    {
        if (!Record.Loans.TryGetValue(loanId, out var slice) || slice.Borrower != hubId)
        {
            return new ReservationResult(ReservationOutcome.NoLoan, ResourceVector.Zero, Record.Status);
        }

        var ledger = slice.Ledger();
        _suspects.Remove(jobId);
        if (slice.Reservations.ContainsKey(jobId))
        {
            return new ReservationResult(ToOutcome(ledger.Reserve(jobId, resources)), ledger.Free, Record.Status);
        }

        if (!slice.Open || slice.Closed)
        {
            return new ReservationResult(ReservationOutcome.NoLoan, ResourceVector.Zero, Record.Status);
        }

        if (Record.Status != DataCenterStatus.Online)
        {
            return new ReservationResult(ReservationOutcome.NotAccepting, ledger.Free, Record.Status);
        }

        var outcome = ledger.Reserve(jobId, resources);
        if (outcome == ReserveOutcome.Reserved)
        {
            slice.Priorities[jobId] = priority;
            try
            {
                await WriteStateAsync(cancellationToken);
            }
            catch
            {
                ledger.Release(jobId);
                slice.Priorities.Remove(jobId);
                throw;
            }
        }

        return new ReservationResult(ToOutcome(outcome), ledger.Free, Record.Status);
    }

    private async Task ReleaseFromLoanAsync(string jobId, string loanId, LoanSliceRecord slice, Footprint executed, TimeSpan ranFor, CancellationToken cancellationToken)
    {
        var resources = slice.Reservations[jobId];
        slice.Reservations.Remove(jobId);
        ReleaseCommand(jobId);
        slice.Priorities.Remove(jobId);
        Record.Executed += executed;
        Record.JobsFinished++;
        var drained = slice.Closed && slice.Reservations.Count == 0;
        if (drained)
        {
            Ledger.Release(SliceKey(loanId));
            Record.Loans.Remove(loanId);
        }

        await WriteStateAsync(cancellationToken);
        var loan = GrainFactory.GetGrain<ILoanGrain>(loanId);
        await loan.OnJobSettledAsync(Id, jobId, resources, ranFor, executed);
        if (drained)
        {
            await loan.OnSliceDrainedAsync(Id);
            await AnnounceFreedAsync();
        }
        else
        {
            // The borrower may have more work for the room this job left in its loan.
            await GrainFactory.GetGrain<IRegionGrain>(slice.Borrower).OnCapacityFreedAsync(Id, Ledger.Free);
        }
    }

    private async Task DropSliceAsync(string loanId, CancellationToken cancellationToken)
    {
        Ledger.Release(SliceKey(loanId));
        Record.Loans.Remove(loanId);
        await WriteStateAsync(cancellationToken);
        await AnnounceFreedAsync();
    }

    private async Task AnnounceFreedAsync()
    {
        var free = Ledger.Free;
        foreach (var hub in catalog.Seed.Hubs.Keys)
        {
            await GrainFactory.GetGrain<IRegionGrain>(hub).OnCapacityFreedAsync(Id, free);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} in {HubId} configured with {Capacity}")]
    private static partial void LogConfigured(ILogger logger, string dataCenterId, string hubId, ResourceVector capacity);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} holds {Amount} for loan {LoanId} to {Borrower}")]
    private static partial void LogHeld(ILogger logger, string dataCenterId, string loanId, string borrower, ResourceRequest amount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data center {DataCenterId} released the reservation of job {JobId}: the job is {State} at {PlacedAt}")]
    private static partial void LogOrphanReleased(ILogger logger, string dataCenterId, string jobId, JobState? state, string? placedAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data center {DataCenterId} repaired its loan slices after a write cut short: held again {Missing}, released {Stray}")]
    private static partial void LogSlicesRepaired(ILogger logger, string dataCenterId, IReadOnlyList<string> missing, IReadOnlyList<string> stray);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} is now {Status}")]
    private static partial void LogStatus(ILogger logger, string dataCenterId, DataCenterStatus status);
}
