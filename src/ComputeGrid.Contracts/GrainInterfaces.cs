using ComputeGrid.Contracts.Agents;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Loans;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Contracts.Regions;
using ComputeGrid.Contracts.Tenants;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using Orleans.Concurrency;

namespace ComputeGrid.Contracts;

/// <summary>One job's lifecycle (key: job id). Submission is idempotent; every transition is persisted before it is acknowledged.</summary>
[Alias("cg.IJobGrain")]
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>Submits the job; repeating the same submission returns the same job, a different one under the same id is refused.</summary>
    [Alias("Submit")]
    Task<SubmitResult> SubmitAsync(JobSpec spec, CancellationToken cancellationToken = default);

    /// <summary>
    /// Its gang hands a member its placement (its region reserved it with the gang's other members): the member is
    /// accepted and Scheduled in one write and started at its data center. True when it holds the placement (also for a
    /// repeat); false for a member that ended or holds another.
    /// </summary>
    [Alias("StartMember")]
    Task<bool> StartMemberAsync(JobSpec spec, JobPlacement placement, CancellationToken cancellationToken = default);

    /// <summary>
    /// The job, or null when no job has this id. Interleaves with the job's other calls: data centers and regions read
    /// jobs while reconciling, and a job may be waiting on them at that moment.
    /// </summary>
    [AlwaysInterleave, Alias("Get")]
    Task<JobSnapshot?> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// True while this job is being placed or is writing a transition, which <see cref="GetAsync"/> does not show until it
    /// is durable. Reconciliation asks before it releases a reservation or drops a placement the job's stored state does
    /// not account for. Interleaves, like <see cref="GetAsync"/>.
    /// </summary>
    [AlwaysInterleave, Alias("IsSettling")]
    Task<bool> IsSettlingAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Confirms, with a write of the job's record, that the job holds no capacity at <paramref name="dataCenterId"/>: a
    /// data center releases a reservation its job does not account for only on true. False when the job holds capacity
    /// there (or this activation's memory is ahead of storage). The write is the fence: it fails (and the activation goes)
    /// when storage holds a version this activation never read (a duplicate activation's, or a write that landed after
    /// it was reported failed), so a placement no read showed cannot lose its reservation. Waits for the job's turn.
    /// </summary>
    [Alias("Disown")]
    Task<bool> DisownAsync(string dataCenterId, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="GetAsync"/> for a watcher of the job's stream, which it registers: the job publishes its events on its
    /// stream only while somebody watches (a stream per job costs a pub-sub registration per job, and most jobs are
    /// never watched). Registrations live as long as the activation; a watcher calls this again whenever it
    /// resynchronises from the history, so it re-registers with a new activation. Idempotent per watcher id.
    /// </summary>
    [AlwaysInterleave, Alias("Watch")]
    Task<JobSnapshot?> WatchAsync(Guid watcherId, CancellationToken cancellationToken = default);

    /// <summary>Forgets a watcher registered by <see cref="WatchAsync"/>.</summary>
    [AlwaysInterleave, OneWay, Alias("Unwatch")]
    Task UnwatchAsync(Guid watcherId);

    /// <summary>Cancels the job in any non-terminal state and releases its capacity; a terminal job is returned unchanged.</summary>
    [Alias("Cancel")]
    Task<JobSnapshot?> CancelAsync(string reason, CancellationToken cancellationToken = default);

    /// <summary>Called by the origin region when a queued job got capacity; false when the job no longer wants it.</summary>
    [Alias("Assign")]
    Task<bool> AssignAsync(JobPlacement placement, CancellationToken cancellationToken = default);

    /// <summary>Called by the executor when the job started in <paramref name="dataCenterId"/>.</summary>
    [Alias("ReportRunning")]
    Task ReportRunningAsync(string dataCenterId, CancellationToken cancellationToken = default);

    /// <summary>Called by the executor when the job ended in <paramref name="dataCenterId"/>, with its process's outcome when it had one.</summary>
    [Alias("ReportFinished")]
    Task ReportFinishedAsync(string dataCenterId, bool succeeded, string detail, JobOutcome? outcome = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes the job off <paramref name="dataCenterId"/> (a recalled or expired loan, or a lost data center) and sends it
    /// back to its origin to be placed again; ignored unless the job holds capacity there.
    /// </summary>
    [OneWay, Alias("Preempt")]
    Task PreemptAsync(string dataCenterId, string reason);

    /// <summary>
    /// Reconciliation drives the job on from wherever a crash left it: placed again when it is Pending, Queued or
    /// Preempted and no region holds it; its exit (release, region, tenant) repeated when it ended; its execution
    /// restarted when it holds capacity. Idempotent.
    /// </summary>
    [OneWay, Alias("Drive")]
    Task DriveAsync();

    /// <summary>
    /// What the agent at <paramref name="dataCenterId"/> saw of the job's process, forwarded by the data center once it
    /// recorded it: Started (Running), Exited or Rejected (Succeeded or Failed with the outcome), Lost (placed again
    /// elsewhere when the command allows it, else Failed). One-way, idempotent.
    /// </summary>
    [OneWay, Alias("AgentReport")]
    Task OnAgentReportAsync(string dataCenterId, AgentJobPhase phase, JobOutcome? outcome, string detail);

    /// <summary>
    /// A job of <paramref name="tenant"/> depends on this one: where this job stands for its conditions, or null when no
    /// job of that tenant has this id (another tenant's job is not revealed). Until this job ends it records
    /// <paramref name="dependentId"/> (durable before it answers) and nudges it when it starts or ends. Idempotent.
    /// </summary>
    [Alias("DependOn")]
    Task<DependencyStatus?> DependOnAsync(string dependentId, string tenant, CancellationToken cancellationToken = default);

    /// <summary>
    /// A job or array this job depends on started or ended: a blocked job reads its dependencies again (and is placed,
    /// or ends Unsatisfiable, or waits on). One-way and idempotent; anything else ignores it.
    /// </summary>
    [OneWay, Alias("OnDependencyChanged")]
    Task OnDependencyChangedAsync(string targetId);
}

/// <summary>One data center (key: data-center id): the single authority over its capacity.</summary>
[Alias("cg.IDataCenterGrain")]
public interface IDataCenterGrain : IGrainWithStringKey
{
    /// <summary>
    /// Runs a reconciliation pass now instead of at the next interval: a silo died, so work it held may need driving on.
    /// One-way and idempotent (a pass may run any number of times).
    /// </summary>
    [OneWay, Alias("ReconcileNow")]
    Task ReconcileNowAsync();

    /// <summary>Registers the data center, or updates it; a capacity below current use is refused.</summary>
    [Alias("Configure")]
    Task<AdminResult> ConfigureAsync(DataCenterSpec spec, CancellationToken cancellationToken = default);

    /// <summary>Sets Online, Draining or Offline.</summary>
    [Alias("SetStatus")]
    Task<AdminResult> SetStatusAsync(DataCenterStatus status, CancellationToken cancellationToken = default);

    /// <summary>Removes the data center; refused while any job holds capacity there.</summary>
    [Alias("Retire")]
    Task<AdminResult> RetireAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Reserves capacity for a job placed by <paramref name="hubId"/>; idempotent by job id; never over-commits. The data
    /// center's own hub reserves from its own capacity (<paramref name="loanId"/> null); any other hub only within an
    /// active loan's slice here, up to the slice's amount.
    /// </summary>
    [Alias("Reserve")]
    Task<ReservationResult> ReserveAsync(string jobId, ResourceRequest resources, string hubId, string? loanId, int priority, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reserves own capacity for a batch of jobs placed by this data center's own hub <paramref name="hubId"/>, with one
    /// write for the whole batch: each ask is judged as <see cref="ReserveAsync"/> judges it (without a loan), in order,
    /// and the answers come back in the same order once the write holding them has succeeded. A failed write grants none.
    /// </summary>
    [Alias("ReserveBatch")]
    Task<IReadOnlyList<ReservationResult>> ReserveBatchAsync(string hubId, IReadOnlyList<ReservationAsk> asks, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="ReserveAsync"/> for one job, with its run time (<see cref="ReservationAsk.RunTime"/>): a job whose
    /// bounded run would take capacity an advance reservation's window needs is refused (Insufficient).
    /// </summary>
    [Alias("ReserveOne")]
    Task<ReservationResult> ReserveOneAsync(string hubId, ReservationAsk ask, string? loanId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reserves inside advance reservation <paramref name="reservationId"/>'s open window here for a job of its tenant
    /// (<see cref="ReservationAsk.Tenant"/>) placed by <paramref name="hubId"/>; Insufficient until the window opens or when
    /// the job's bounded run would outlast it; NoReservation when it has no window here or is another tenant's. Idempotent.
    /// </summary>
    [Alias("ReserveInReservation")]
    Task<ReservationResult> ReserveInReservationAsync(string hubId, ReservationAsk ask, string reservationId, CancellationToken cancellationToken = default);

    /// <summary>Admits an advance reservation's window here if it can be honoured (durably, before answering); null when admitted, else why. Idempotent.</summary>
    [Alias("AdmitReservation")]
    Task<Domain.ValidationError?> AdmitReservationAsync(string reservationId, string tenant, ResourceRequest resources, DateTimeOffset start, DateTimeOffset end, CancellationToken cancellationToken = default);

    /// <summary>Cancels an advance reservation's window here: its capacity is free at once. Idempotent.</summary>
    [Alias("CancelReservation")]
    Task CancelReservationAsync(string reservationId, CancellationToken cancellationToken = default);

    /// <summary>What could still be reserved here at every instant of [start, end) (a hub reservation's allotment).</summary>
    [Alias("GetReservable")]
    Task<ResourceVector> GetReservableAsync(DateTimeOffset start, DateTimeOffset end, CancellationToken cancellationToken = default);

    /// <summary>Opens and closes the windows whose time came and recalls loans a window needs (its timer does this too); idempotent.</summary>
    [Alias("TickReservations")]
    Task TickReservationsAsync(CancellationToken cancellationToken = default);

    /// <summary>As <see cref="HoldForLoanAsync"/>, for a loan whose term ends at <paramref name="until"/>: it holds nothing an advance reservation's window overlapping the term needs.</summary>
    [Alias("HoldForLoanUntil")]
    Task<ResourceVector> HoldForLoanUntilAsync(string loanId, string borrower, ResourceVector amount, DateTimeOffset until, CancellationToken cancellationToken = default);

    /// <summary>
    /// Releases a job's capacity exactly once and books its footprint (and a borrowed job's use of its loan); repeated calls
    /// change nothing. Answers the data center's free capacity after it (null when it is not configured), which the job
    /// hands to its region with the release.
    /// </summary>
    [Alias("Release")]
    Task<ResourceVector?> ReleaseAsync(string jobId, Footprint executed, TimeSpan ranFor, CancellationToken cancellationToken = default);

    /// <summary>Holds up to <paramref name="amount"/> of free capacity for an offered loan; returns what it holds (idempotent).</summary>
    [Alias("HoldForLoan")]
    Task<ResourceVector> HoldForLoanAsync(string loanId, string borrower, ResourceVector amount, CancellationToken cancellationToken = default);

    /// <summary>Opens a held slice to the borrower's jobs (the loan was accepted); idempotent.</summary>
    [Alias("OpenLoan")]
    Task OpenLoanAsync(string loanId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Closes a loan's slice to new jobs; with <paramref name="preempt"/> its borrowed jobs are preempted. True when the
    /// slice is empty and its capacity is back with the data center (then and later: idempotent); false while jobs remain.
    /// </summary>
    [Alias("CloseLoan")]
    Task<bool> CloseLoanAsync(string loanId, bool preempt, string reason, CancellationToken cancellationToken = default);

    /// <summary>The loans' slices held here.</summary>
    [Alias("GetLoanSlices")]
    Task<IReadOnlyList<LoanSliceUse>> GetLoanSlicesAsync(CancellationToken cancellationToken = default);

    /// <summary>The ids of the jobs holding capacity here: own reservations and borrowed jobs inside loan slices (diagnostics).</summary>
    [Alias("GetHeldJobs")]
    Task<IReadOnlyList<string>> GetHeldJobsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Hands a scheduled job to its executor (the simulated one for the rest of its run time since
    /// <paramref name="startedAt"/>, or the data center's agents when it has a command); idempotent.
    /// </summary>
    [Alias("Start")]
    Task StartAsync(string jobId, JobSpec spec, DateTimeOffset? startedAt, CancellationToken cancellationToken = default);

    /// <summary>Tells the executor to stop a job; idempotent.</summary>
    [Alias("Stop")]
    Task StopAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Capacity, use and status now; null when not registered.</summary>
    [Alias("GetSnapshot")]
    Task<DataCenterSnapshot?> GetSnapshotAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Told by its <see cref="IAgentGrain"/>: the data center has agents (credentials issued), and with
    /// <paramref name="heard"/> one of them just synced, which brings it back Online when silence (not an operator) took
    /// it Offline. Returns its status; null when it does not exist.
    /// </summary>
    [Alias("Agents")]
    Task<DataCenterStatus?> OnAgentsAsync(bool heard, CancellationToken cancellationToken = default);

    /// <summary>
    /// Told by its <see cref="IAgentGrain"/>: every agent that serves it is silent. It goes Offline (unless already
    /// Offline) and answers the jobs it holds while Offline by silence, for the agent grain to preempt (asked again while
    /// the silence lasts, so a lost preemption is repeated); null when it does not exist or an operator set it Offline.
    /// </summary>
    [Alias("AgentsSilent")]
    Task<IReadOnlyList<string>?> OnAgentsSilentAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// The agents of one data center (key: data-center id): the data plane. Runs the agent sync (<c>AgentSync</c>), the
/// commands placed at the data center, the agents' leases and the heartbeat policy; its copy of the credentials is a
/// cache of <see cref="IAgentCredentialGrain"/>'s. The data center keeps only its capacity and is told by calls.
/// </summary>
[Alias("cg.IAgentGrain")]
public interface IAgentGrain : IGrainWithStringKey
{
    /// <summary>
    /// An agent's sync, already authenticated by <see cref="IAgentCredentialGrain"/>: records its reports, renews its
    /// lease and answers with what to start and to kill.
    /// </summary>
    [Alias("Sync")]
    Task<AgentSyncResult> SyncAsync(AgentGrant agent, AgentSyncRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Its agents' credentials changed (issued or revoked): <paramref name="agents"/> is every credential, revoked ones
    /// included, as <see cref="IAgentCredentialGrain"/> keeps them.
    /// </summary>
    [Alias("AgentsChanged")]
    Task OnAgentsChangedAsync(IReadOnlyList<AgentGrant> agents, CancellationToken cancellationToken = default);

    /// <summary>
    /// The data center's agents, revoked ones included. Interleaves (read-only): the data center may ask while this grain
    /// waits on it.
    /// </summary>
    [AlwaysInterleave, Alias("List")]
    Task<IReadOnlyList<AgentInfo>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The data center hands a job it holds capacity for to its agents: the command is recorded durably, and an agent
    /// starts it at its next sync. Idempotent; a repeat for a job whose end is recorded tells the job again.
    /// </summary>
    [Alias("Assign")]
    Task AssignAsync(string jobId, string tenant, JobCommand command, TimeSpan wallTime, CancellationToken cancellationToken = default);

    /// <summary>
    /// The data center is about to release the job's capacity: its command is forgotten, or kept as released (its agent
    /// kills the process and its end is still forwarded) while the process may run. Idempotent.
    /// </summary>
    [Alias("Release")]
    Task ReleaseAsync(string jobId, CancellationToken cancellationToken = default);
}

/// <summary>
/// The agent credentials of one data center (key: data-center id): only their SHA-256 hashes are kept. It authenticates
/// agents' syncs, so a sync with an unknown credential never reaches (or activates) the data center.
/// </summary>
[Alias("cg.IAgentCredentialGrain")]
public interface IAgentCredentialGrain : IGrainWithStringKey
{
    /// <summary>Issues a credential for a new agent that runs commands of <paramref name="allowedTenants"/> (<c>*</c>: every tenant); the token is returned only here.</summary>
    [Alias("Issue")]
    Task<AgentIssueResult> IssueAsync(string name, IReadOnlyList<string> allowedTenants, CancellationToken cancellationToken = default);

    /// <summary>Revokes an agent's credential: its next sync is refused, and its jobs go elsewhere once its lease has ended.</summary>
    [Alias("Revoke")]
    Task<AdminResult> RevokeAsync(string agentId, CancellationToken cancellationToken = default);

    /// <summary>The agent with this id and secret, if its credential is known and not revoked; null otherwise.</summary>
    [Alias("Authenticate")]
    Task<AgentGrant?> AuthenticateAsync(string agentId, string secret, CancellationToken cancellationToken = default);

    /// <summary>Every credential (without its hash), revoked ones included. Interleaves (read-only): the agent grain refreshes its cache from it.</summary>
    [AlwaysInterleave, Alias("List")]
    Task<IReadOnlyList<AgentGrant>> ListAsync(CancellationToken cancellationToken = default);
}

/// <summary>One hub node (key: hub id): places jobs from its origin and keeps its queue.</summary>
[Alias("cg.IRegionGrain")]
public interface IRegionGrain : IGrainWithStringKey
{
    /// <summary>
    /// Runs a reconciliation pass now instead of at the next interval: a silo died, so work it held may need driving on.
    /// One-way and idempotent (a pass may run any number of times).
    /// </summary>
    [OneWay, Alias("ReconcileNow")]
    Task ReconcileNowAsync();

    /// <summary>Validates a job against the pool, reserves the best feasible data center, or queues it.</summary>
    [Alias("Place")]
    Task<PlaceResult> PlaceAsync(string jobId, JobSpec spec, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="PlaceAsync"/> for many jobs in one turn: the region reserves each data center's share of the batch with
    /// one call, writes its placements and queue once, and answers in the order of <paramref name="asks"/>.
    /// </summary>
    [Alias("PlaceBatch")]
    Task<IReadOnlyList<PlaceResult>> PlaceBatchAsync(IReadOnlyList<PlaceAsk> asks, CancellationToken cancellationToken = default);

    /// <summary>
    /// Places a whole gang (<paramref name="wholeSpec"/> marks its attempt and size): every member is reserved on the
    /// region's own data centers, in one or over several of them (<see cref="Domain.Gangs.GangPlanner"/>), or none is and
    /// the gang waits whole as one queue entry; what one attempt reserved is released in that attempt unless all of it
    /// is held. Idempotent for the same attempt: a gang placed already gets its placements, a queued one Queued.
    /// </summary>
    [Alias("PlaceGang")]
    Task<Gangs.GangPlaceResult> PlaceGangAsync(string gangId, JobSpec wholeSpec, CancellationToken cancellationToken = default);

    /// <summary>A preempted job asks to be placed again (at home, on a loan, or queued).</summary>
    [Alias("Requeue")]
    Task<PlaceResult> RequeueAsync(string jobId, JobSpec spec, CancellationToken cancellationToken = default);

    /// <summary>
    /// True when the region has placed the job at <paramref name="dataCenterId"/> (a data center asks before it releases a
    /// reservation its job does not know of yet). Interleaves: the region may be waiting on that data center.
    /// </summary>
    [AlwaysInterleave, Alias("HoldsPlacement")]
    Task<bool> HoldsPlacementAsync(string jobId, string dataCenterId);

    /// <summary>The hub's open loans, lent and borrowed, with its lending and borrowing room.</summary>
    [Alias("GetLoans")]
    Task<RegionLoans> GetLoansAsync(CancellationToken cancellationToken = default);

    /// <summary>Drops a job from the queue (it was cancelled).</summary>
    [OneWay, Alias("Dequeue")]
    Task DequeueAsync(string jobId);

    /// <summary>A data center freed capacity: try the queue.</summary>
    [OneWay, Alias("CapacityFreed")]
    Task OnCapacityFreedAsync(string dataCenterId, ResourceVector free);

    /// <summary>
    /// A job this region placed no longer holds capacity (fair-share accounting). <paramref name="freeAtDataCenter"/> is
    /// its data center's free capacity right after the release, when known: the region sees it in the same turn as the
    /// job leaves its book, so no queue pass sees the job gone but its capacity not yet free (backfill then lost its head's
    /// protected start).
    /// </summary>
    [OneWay, Alias("JobReleased")]
    Task OnJobReleasedAsync(string jobId, ResourceVector? freeAtDataCenter = null);

    /// <summary>The pool's directory changed.</summary>
    [OneWay, Alias("DirectoryChanged")]
    Task OnDirectoryChangedAsync(PoolDirectory directory);

    /// <summary>A GreenestPredictive job's wait is due (its predicted start or its bound, on the federation clock): try the queue.</summary>
    [OneWay, Alias("WaitDue")]
    Task OnWaitDueAsync();

    /// <summary>How many jobs wait in the queue (cheap; for pool snapshots). Interleaves: a region busy with a long queue of calls still answers the pool's snapshot.</summary>
    [AlwaysInterleave, Alias("GetQueueLength")]
    Task<int> GetQueueLengthAsync(CancellationToken cancellationToken = default);

    /// <summary>The waiting jobs in the order the region will try them.</summary>
    [Alias("GetQueue")]
    Task<IReadOnlyList<QueueEntry>> GetQueueAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// True while a queue pass that a capacity notice asked for has not run yet (it waits to coalesce the notices behind
    /// it). Not interleaved: it answers after a pass under way. Lets a driver of virtual time wait for the passes it caused.
    /// </summary>
    [Alias("IsQueuePassPending")]
    Task<bool> IsQueuePassPendingAsync(CancellationToken cancellationToken = default);

    /// <summary>When the longest-waiting job of the queue was enqueued (federation clock); null when the queue is empty. For the metrics.</summary>
    [AlwaysInterleave, Alias("GetOldestQueuedAt")]
    Task<DateTimeOffset?> GetOldestQueuedAtAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Explains a job of this origin with the region's own placement engine, view of the pool, loans and agent rules, so
    /// the explanation never contradicts what the region does with the job.
    /// </summary>
    [Alias("Explain")]
    Task<RegionExplanation> ExplainAsync(JobSnapshot job, CancellationToken cancellationToken = default);
}

/// <summary>The national pool (key: <see cref="PoolGrainKey.National"/>): the directory of data centers and operators' changes.</summary>
[Alias("cg.IPoolGrain")]
public interface IPoolGrain : IGrainWithStringKey
{
    /// <summary>Seeds the pool from the topology once; later calls change nothing (run-time changes persist).</summary>
    [Alias("Seed")]
    Task SeedAsync(IReadOnlyList<DataCenterSpec> dataCenters, CancellationToken cancellationToken = default);

    /// <summary>The data centers and their status. Interleaves with every other call (a region activating while the pool
    /// waits on it must not deadlock).</summary>
    [AlwaysInterleave, Alias("GetDirectory")]
    Task<PoolDirectory> GetDirectoryAsync(CancellationToken cancellationToken = default);

    /// <summary>Registers a new data center.</summary>
    [Alias("Register")]
    Task<AdminResult> RegisterDataCenterAsync(DataCenterSpec spec, CancellationToken cancellationToken = default);

    /// <summary>Drains a data center: no new work; running work finishes.</summary>
    [Alias("Drain")]
    Task<AdminResult> DrainDataCenterAsync(string dataCenterId, CancellationToken cancellationToken = default);

    /// <summary>Puts a drained data center back online.</summary>
    [Alias("Resume")]
    Task<AdminResult> ResumeDataCenterAsync(string dataCenterId, CancellationToken cancellationToken = default);

    /// <summary>Removes a data center; refused while jobs hold capacity there (drain it first).</summary>
    [Alias("Remove")]
    Task<AdminResult> RemoveDataCenterAsync(string dataCenterId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every hub and data center with capacity, use, queues and totals. Interleaves: it only reads (the directory's data
    /// centers are listed before its first await), and each call waits on every data center and region, so under load or
    /// after a failover one slow call would otherwise hold every later pool read (SDK, /ops, metrics pollers) behind it.
    /// </summary>
    [AlwaysInterleave, Alias("GetPool")]
    Task<PoolSnapshot> GetPoolAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// A data center changed on its own: its agents went silent or came back (<paramref name="status"/>), or operators
    /// issued or revoked agent credentials (<paramref name="commandTenants"/>). One-way: the pool may be calling it.
    /// </summary>
    [OneWay, Alias("DataCenterChanged")]
    Task OnDataCenterChangedAsync(string dataCenterId, DataCenterStatus status, IReadOnlyList<string>? commandTenants);

    /// <summary>
    /// Copies a data center's list prices in force from its price book into the directory (regions place with them);
    /// false when the pool has no such data center.
    /// </summary>
    [Alias("SetPrices")]
    Task<bool> SetPricesAsync(string dataCenterId, Domain.Market.PriceList prices, CancellationToken cancellationToken = default);
}

/// <summary>
/// One loan (key: loan id): the single source of truth of a loan between two hubs. Its state changes once, here, whatever
/// races outside; the lender's data centers hold and release the capacity on its word.
/// </summary>
[Alias("cg.ILoanGrain")]
public interface ILoanGrain : IGrainWithStringKey
{
    /// <summary>Makes the offer: holds what the lender's data centers can hold of the proposed slices; Declined when nothing. Idempotent.</summary>
    [Alias("Open")]
    Task<LoanSnapshot> OpenAsync(LoanTerms proposed, CancellationToken cancellationToken = default);

    /// <summary>The borrower accepts: exactly once, and only before the offer lapses.</summary>
    [Alias("Accept")]
    Task<AcceptResult> AcceptAsync(string borrower, CancellationToken cancellationToken = default);

    /// <summary>The borrower declines an offer; its held capacity is released. Idempotent.</summary>
    [Alias("Decline")]
    Task DeclineAsync(string borrower, string reason, CancellationToken cancellationToken = default);

    /// <summary>The lender recalls an active loan with the loan's notice; false when it is not active.</summary>
    [Alias("Recall")]
    Task<bool> RecallAsync(string lender, string reason, CancellationToken cancellationToken = default);

    /// <summary>The borrower returns a loan early; false when it is not active or recalling.</summary>
    [Alias("Return")]
    Task<bool> ReturnAsync(string borrower, string reason, CancellationToken cancellationToken = default);

    /// <summary>A borrowed job left a slice: books its use (idempotent by job id).</summary>
    [OneWay, Alias("JobSettled")]
    Task OnJobSettledAsync(string dataCenterId, string jobId, ResourceRequest resources, TimeSpan ranFor, Footprint footprint);

    /// <summary>A closed slice emptied and its capacity is back with the lender.</summary>
    [OneWay, Alias("SliceDrained")]
    Task OnSliceDrainedAsync(string dataCenterId);

    /// <summary>Acts on deadlines that passed on the federation clock (offer lapse, term end, recall notice end); idempotent.</summary>
    [Alias("Tick")]
    Task TickAsync(CancellationToken cancellationToken = default);

    /// <summary>The loan, or null when none has this id.</summary>
    [Alias("Get")]
    Task<LoanSnapshot?> GetAsync(CancellationToken cancellationToken = default);
}

/// <summary>The federation's book of loans (key: <see cref="PoolGrainKey.National"/>): listings and hub balances.</summary>
[Alias("cg.ILoanBookGrain")]
public interface ILoanBookGrain : IGrainWithStringKey
{
    /// <summary>A loan changed; older versions than the one held are ignored.</summary>
    [OneWay, Alias("LoanChanged")]
    Task OnLoanChangedAsync(LoanSummary loan);

    /// <summary>Loans newest first, optionally of one hub (as lender or borrower) and in one state.</summary>
    [Alias("List")]
    Task<LoanPage> ListAsync(string? hubId, LoanState? state, int limit, string? cursor, CancellationToken cancellationToken = default);

    /// <summary>Every hub's lent, borrowed and balance.</summary>
    [Alias("Balances")]
    Task<IReadOnlyList<HubBalance>> GetBalancesAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// The submissions of one origin hub on this silo, carried to its region in batches: those that arrive while a batch is
/// being placed go together in the next one, and a lone submission goes at once (no timer). One activation per silo and hub.
/// </summary>
[Alias("cg.IPlacementBatcherGrain")]
public interface IPlacementBatcherGrain : IGrainWithStringKey
{
    /// <summary>Places a job through its origin region (this grain's key), batched with concurrent submissions.</summary>
    [Alias("Place")]
    Task<PlaceResult> PlaceAsync(string jobId, JobSpec spec, CancellationToken cancellationToken = default);
}

/// <summary>One tenant (key: tenant name): its job index and accounting.</summary>
[Alias("cg.ITenantGrain")]
public interface ITenantGrain : IGrainWithStringKey
{
    /// <summary>
    /// A job's newest row and the runs of it to book, answered once both are durable. Idempotent: a row older than the
    /// one held and a booking already made change nothing, so the job sends again whatever it has not heard confirmed.
    /// </summary>
    [Alias("Update")]
    Task UpdateAsync(JobSummary job, IReadOnlyList<TenantBooking> bookings);

    /// <summary>Lists the tenant's jobs newest first, optionally filtered by state.</summary>
    [Alias("List")]
    Task<JobPage> ListJobsAsync(JobState? state, int limit, string? cursor, CancellationToken cancellationToken = default);

    /// <summary>Jobs by state and the footprint of finished work.</summary>
    [Alias("Summary")]
    Task<TenantSummary> GetSummaryAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// Every tenant that has a job (key: <see cref="PoolGrainKey.National"/>), in the order each first registered one: what an
/// operator's listing of every tenant's jobs walks.
/// </summary>
[Alias("cg.ITenantDirectoryGrain")]
public interface ITenantDirectoryGrain : IGrainWithStringKey
{
    /// <summary>Adds <paramref name="tenant"/> at the end; a tenant already listed keeps its place.</summary>
    [Alias("Add")]
    Task AddAsync(string tenant);

    /// <summary>The tenants, in the order they were added.</summary>
    [Alias("List")]
    Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken = default);
}

/// <summary>Well-known keys.</summary>
public static class PoolGrainKey
{
    /// <summary>The one national pool.</summary>
    public const string National = "national";
}

/// <summary>Stream names: provider, namespaces.</summary>
public static class GridStreams
{
    /// <summary>The stream provider's name.</summary>
    public const string Provider = "grid";

    /// <summary>Per-job events; stream key = job id.</summary>
    public const string JobNamespace = "job";

    /// <summary>Per-tenant job events; stream key = tenant.</summary>
    public const string TenantNamespace = "tenant";

    /// <summary>Each region's inbox of loan-protocol messages; stream key = hub id.</summary>
    public const string RegionInboxNamespace = "region-inbox";
}
