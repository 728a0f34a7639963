using ComputeGrid.Contracts.Agents;
using ComputeGrid.Contracts.Audit;
using ComputeGrid.Contracts.Gangs;
using ComputeGrid.Contracts.JobArrays;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Loans;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Contracts.Reservations;
using ComputeGrid.Contracts.Security;
using ComputeGrid.Contracts.Tenants;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Security;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Client;

/// <summary>The ComputeGrid SDK for enterprise applications: submit, follow and manage jobs in the national pool.</summary>
public interface IComputeGridClient
{
    /// <summary>Operators' changes to the pool.</summary>
    IComputeGridAdmin Admin { get; }

    /// <summary>Computing power as a product: catalog, quotes, prices, statements and revenue.</summary>
    IComputeGridMarket Market { get; }

    /// <summary>
    /// Submits a job and returns it placed (Scheduled) or waiting (Queued). Safe to retry with the same
    /// <see cref="JobRequest.JobId"/>.
    /// </summary>
    /// <exception cref="ComputeGridValidationException">A field is invalid; nothing was changed.</exception>
    /// <exception cref="JobRejectedException">The job can never run anywhere in the pool; nothing was changed.</exception>
    /// <exception cref="JobConflictException">The id is taken by a different job.</exception>
    Task<JobSnapshot> SubmitAsync(JobRequest request, CancellationToken cancellationToken = default);

    /// <summary>The job with this id.</summary>
    /// <exception cref="ComputeGridNotFoundException">No such job.</exception>
    Task<JobSnapshot> GetJobAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Why the job waits or runs where it does, answered by its origin region with the placement engine, view of the pool,
    /// loans and agent rules it places with (what HTCondor users know as better-analyze).
    /// </summary>
    /// <exception cref="ComputeGridNotFoundException">No such job.</exception>
    Task<JobExplanation> ExplainJobAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Cancels a job in any state before it ends (releasing its capacity); an ended job is returned unchanged.</summary>
    /// <exception cref="ComputeGridNotFoundException">No such job.</exception>
    Task<JobSnapshot> CancelJobAsync(string jobId, string reason = "cancelled by client", CancellationToken cancellationToken = default);

    /// <summary>A tenant's jobs, newest first, a page at a time.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="state">Only jobs in this state; null for all.</param>
    /// <param name="limit">Page size, 1..500.</param>
    /// <param name="cursor">The previous page's <see cref="JobPage.NextCursor"/>; null for the first page.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<JobPage> ListJobsAsync(string tenant, JobState? state = null, int limit = 100, string? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every tenant's jobs (for operators), a page at a time: tenant by tenant in the order each first submitted a job,
    /// each tenant's newest first.
    /// </summary>
    /// <param name="state">Only jobs in this state; null for all.</param>
    /// <param name="limit">Page size, 1..500.</param>
    /// <param name="cursor">The previous page's <see cref="JobPage.NextCursor"/>; null for the first page.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<JobPage> ListAllJobsAsync(JobState? state = null, int limit = 100, string? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// A job's events from the first, live, until it ends (the sequence then completes). Missed or duplicated stream
    /// events are repaired from the job's history, so each event is seen once and in order.
    /// </summary>
    /// <exception cref="ComputeGridNotFoundException">No such job.</exception>
    IAsyncEnumerable<JobEvent> WatchJobAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>The pool now: hubs, data centers, free and used capacity, queues and energy, carbon and cost totals.</summary>
    Task<PoolSnapshot> GetPoolAsync(CancellationToken cancellationToken = default);

    /// <summary>A tenant's jobs by state and the energy, carbon and cost of its finished work.</summary>
    Task<TenantSummary> GetTenantSummaryAsync(string tenant, CancellationToken cancellationToken = default);

    /// <summary>Capacity loans between hubs, newest first, a page at a time.</summary>
    /// <param name="hubId">Only loans this hub lent or borrowed; null for all.</param>
    /// <param name="state">Only loans in this state; null for all.</param>
    /// <param name="limit">Page size, 1..500.</param>
    /// <param name="cursor">The previous page's <see cref="LoanPage.NextCursor"/>; null for the first page.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ComputeGridValidationException">A bad hub id, state, limit or cursor.</exception>
    Task<LoanPage> ListLoansAsync(string? hubId = null, LoanState? state = null, int limit = 100, string? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>One loan: its terms, state, usage and full history.</summary>
    /// <exception cref="ComputeGridNotFoundException">No such loan.</exception>
    Task<LoanSnapshot> GetLoanAsync(string loanId, CancellationToken cancellationToken = default);

    /// <summary>Every hub's capacity lent and borrowed now, usage both ways, charges and balance (CNY).</summary>
    Task<IReadOnlyList<HubBalance>> GetHubBalancesAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Submits a job array and returns it once it is durable and its first element accepted; the array submits its other
    /// elements in the background (they count as Pending until they are jobs). Safe to retry with the same
    /// <see cref="JobArrayRequest.ArrayId"/>.
    /// </summary>
    /// <exception cref="ComputeGridValidationException">A field is invalid (a count outside 1..100,000, say); nothing was changed.</exception>
    /// <exception cref="JobRejectedException">The elements can never run anywhere in the pool; nothing was changed.</exception>
    /// <exception cref="JobConflictException">The id is taken by a different array.</exception>
    Task<JobArraySnapshot> SubmitArrayAsync(JobArrayRequest request, CancellationToken cancellationToken = default);

    /// <summary>The array with its size, template and elements counted by state.</summary>
    /// <exception cref="ComputeGridNotFoundException">No such array.</exception>
    Task<JobArraySnapshot> GetArrayAsync(string arrayId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The array's elements in index order, a page at a time, only those in <paramref name="state"/> when given. Pass
    /// <see cref="ComputeGridClient.NextArrayCursor"/> of a page as <paramref name="cursor"/> for the next one.
    /// </summary>
    /// <exception cref="ComputeGridNotFoundException">No such array.</exception>
    Task<JobArrayElementPage> ListArrayElementsAsync(string arrayId, JobState? state = null, int limit = 100, string? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>Cancels every element of the array that has not ended (and those not submitted yet); idempotent.</summary>
    /// <exception cref="ComputeGridNotFoundException">No such array.</exception>
    Task<JobArraySnapshot> CancelArrayAsync(string arrayId, string reason = "cancelled by client", CancellationToken cancellationToken = default);

    /// <summary>The array each time its counts change (first as it stands), until every element has ended.</summary>
    /// <exception cref="ComputeGridNotFoundException">No such array.</exception>
    IAsyncEnumerable<JobArraySnapshot> WatchArrayAsync(string arrayId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Submits a gang: <see cref="GangRequest.Members"/> members of one shape, placed all or nothing (in one data center
    /// or over data centers of one hub within the latency class), started together, failed or restarted whole. Returns
    /// it once durable: Scheduled when every member was placed, Queued when it waits whole (holding nothing). Safe to
    /// retry with the same <see cref="GangRequest.GangId"/>.
    /// </summary>
    /// <exception cref="ComputeGridValidationException">A field is invalid (members outside 1..256, say); nothing was changed.</exception>
    /// <exception cref="JobRejectedException">No hub can ever hold all the members together; nothing was changed.</exception>
    /// <exception cref="JobConflictException">The id is taken by a different gang.</exception>
    Task<GangSnapshot> SubmitGangAsync(GangRequest request, CancellationToken cancellationToken = default);

    /// <summary>The gang with its state, attempt, members and history.</summary>
    /// <exception cref="ComputeGridNotFoundException">No such gang.</exception>
    Task<GangSnapshot> GetGangAsync(string gangId, CancellationToken cancellationToken = default);

    /// <summary>Cancels the gang and every member that has not ended; idempotent.</summary>
    /// <exception cref="ComputeGridNotFoundException">No such gang.</exception>
    Task<GangSnapshot> CancelGangAsync(string gangId, string reason = "cancelled by client", CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes an advance reservation for the request's tenant within the tenant quota (<c>ComputeGrid:Reservations</c>):
    /// capacity in a data center or a hub (allotted over its data centers now) over [start, end). Inside the window only
    /// that tenant's jobs naming it (<see cref="JobRequest.Reservation"/>) use it. Safe to retry with the same id and request.
    /// </summary>
    /// <exception cref="ComputeGridValidationException">A field is malformed, or names a hub, data center or GPU model the pool does not know; nothing was made.</exception>
    /// <exception cref="ReservationRejectedException">It can never be honoured as asked (more than its hub or data center has in all, a GPU model none of them has), the tenant's reservations would exceed its quota, or the id is taken by another request; nothing was made.</exception>
    /// <exception cref="ReservationRefusedException">It cannot be honoured now (the capacity is promised to jobs or other reservations over the window); nothing was made.</exception>
    Task<AdvanceReservation> CreateReservationAsync(AdvanceReservationRequest request, CancellationToken cancellationToken = default);

    /// <summary>The reservation, with its shares and where it stands.</summary>
    /// <exception cref="ComputeGridNotFoundException">No such reservation.</exception>
    Task<AdvanceReservation> GetReservationAsync(string reservationId, CancellationToken cancellationToken = default);

    /// <summary>The tenant's reservations, newest first (ended and cancelled ones stay listed for 30 days).</summary>
    Task<IReadOnlyList<AdvanceReservation>> ListReservationsAsync(string tenant, CancellationToken cancellationToken = default);

    /// <summary>Cancels a reservation: its capacity is free at once; its jobs that run keep running. Idempotent.</summary>
    /// <exception cref="ComputeGridNotFoundException">No such reservation.</exception>
    Task<AdvanceReservation> CancelReservationAsync(string reservationId, string reason = "cancelled by its tenant", CancellationToken cancellationToken = default);
}

/// <summary>
/// Operators' changes to the pool; every change persists and is written to the audit log (<see cref="GetAuditAsync"/>)
/// with its actor: <see cref="AuditActor.Sdk"/>, or the one named with <see cref="As"/>.
/// </summary>
public interface IComputeGridAdmin
{
    /// <summary>The same operations, audited as done by <paramref name="actor"/> (the REST gateway passes the caller's API key).</summary>
    IComputeGridAdmin As(AuditActor actor);

    /// <summary>Registers a new data center in an existing hub.</summary>
    /// <exception cref="ComputeGridValidationException">A field is invalid or the id is taken; nothing was changed.</exception>
    Task RegisterDataCenterAsync(DataCenterSpec spec, CancellationToken cancellationToken = default);

    /// <summary>Drains a data center: it takes no new work; work there runs to its end.</summary>
    /// <exception cref="ComputeGridNotFoundException">No such data center.</exception>
    Task DrainDataCenterAsync(string dataCenterId, CancellationToken cancellationToken = default);

    /// <summary>Puts a drained data center back online.</summary>
    /// <exception cref="ComputeGridNotFoundException">No such data center.</exception>
    Task ResumeDataCenterAsync(string dataCenterId, CancellationToken cancellationToken = default);

    /// <summary>Removes a data center; refused while jobs hold capacity there (drain it first and let them finish).</summary>
    /// <exception cref="ComputeGridNotFoundException">No such data center.</exception>
    /// <exception cref="ComputeGridValidationException">Jobs still hold capacity there; nothing was changed.</exception>
    Task RemoveDataCenterAsync(string dataCenterId, CancellationToken cancellationToken = default);

    /// <summary>The pool's data centers and their status.</summary>
    Task<PoolDirectory> GetDirectoryAsync(CancellationToken cancellationToken = default);

    /// <summary>The operators' trends of the last hour (one point a minute by default) and the job arrays accepted most recently.</summary>
    Task<ComputeGrid.Contracts.Ops.OpsTrends> GetTrendsAsync(CancellationToken cancellationToken = default);

    /// <summary>Issues a credential for a new agent of a data center; its token is shown only in this answer.</summary>
    /// <param name="dataCenterId">The data center.</param>
    /// <param name="name">The operator's name for the agent (a host name, say).</param>
    /// <param name="allowedTenants">Tenants whose commands the agent runs; <c>*</c> for every tenant.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ComputeGridNotFoundException">No such data center.</exception>
    /// <exception cref="ComputeGridValidationException">A field is invalid; nothing was changed.</exception>
    Task<AgentCredential> IssueAgentAsync(string dataCenterId, string name, IReadOnlyList<string> allowedTenants, CancellationToken cancellationToken = default);

    /// <summary>Revokes an agent's credential; its jobs are placed again elsewhere once its lease on them has ended.</summary>
    /// <exception cref="ComputeGridNotFoundException">No such data center or agent.</exception>
    Task RevokeAgentAsync(string dataCenterId, string agentId, CancellationToken cancellationToken = default);

    /// <summary>A data center's agents, revoked ones included.</summary>
    /// <exception cref="ComputeGridNotFoundException">No such data center.</exception>
    Task<IReadOnlyList<AgentInfo>> ListAgentsAsync(string dataCenterId, CancellationToken cancellationToken = default);

    /// <summary>Checks an agent credential alone (the REST gateway does so before it reads the sync's body).</summary>
    /// <exception cref="ComputeGridUnauthorizedException">The token is not an agent credential, or it is unknown or revoked.</exception>
    Task AuthenticateAgentAsync(string token, CancellationToken cancellationToken = default);

    /// <summary>An agent's sync (what the REST gateway's <c>POST /v1/agent/sync</c> forwards).</summary>
    /// <exception cref="ComputeGridUnauthorizedException">The token is not an agent credential, or it is unknown or revoked.</exception>
    /// <exception cref="ComputeGridValidationException">The request is malformed; nothing was recorded.</exception>
    Task<AgentSyncResponse> SyncAgentAsync(string token, AgentSyncRequest request, CancellationToken cancellationToken = default);

    /// <summary>Issues a partner API key for <paramref name="tenant"/>; its secret is in this answer only.</summary>
    /// <param name="tenant">The tenant the key acts for.</param>
    /// <param name="name">The operators' name for the key, 1-64 printable characters.</param>
    /// <param name="allowCommands">Whether the key may submit jobs with a command.</param>
    /// <param name="expiresInDays">Days until it stops authenticating, 1..3650.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ComputeGridValidationException">A field is invalid; nothing was changed.</exception>
    Task<IssuedApiKey> IssueApiKeyAsync(string tenant, string name, bool allowCommands = false, int expiresInDays = ApiKeyRules.DefaultExpiryDays, CancellationToken cancellationToken = default);

    /// <summary>A tenant's issued keys, newest first, revoked and expired ones included; never a secret or a hash.</summary>
    /// <exception cref="ComputeGridValidationException">The tenant is not a valid tenant name.</exception>
    Task<IReadOnlyList<ApiKeyInfo>> ListApiKeysAsync(string tenant, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces a key with a new one (same name and permission; its secret is in this answer only) and revokes the old one
    /// after <paramref name="grace"/> (zero: at once).
    /// </summary>
    /// <param name="tenant">The key's tenant.</param>
    /// <param name="keyId">The key to replace.</param>
    /// <param name="grace">How long the old key keeps working, 0..30 days.</param>
    /// <param name="expiresInDays">The new key's lifetime in days; null for the old key's lifetime.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ComputeGridNotFoundException">The tenant has no such key.</exception>
    /// <exception cref="ComputeGridValidationException">A field is invalid, or the key is no longer active; nothing was changed.</exception>
    Task<ApiKeyRotation> RotateApiKeyAsync(string tenant, string keyId, TimeSpan grace = default, int? expiresInDays = null, CancellationToken cancellationToken = default);

    /// <summary>Revokes a key at once; revoking a revoked key changes nothing.</summary>
    /// <exception cref="ComputeGridNotFoundException">The tenant has no such key.</exception>
    Task<ApiKeyInfo> RevokeApiKeyAsync(string tenant, string keyId, CancellationToken cancellationToken = default);

    /// <summary>The active issued key whose SHA-256 is <paramref name="sha256"/> (what the REST gateway authenticates with); null for none.</summary>
    Task<ApiKeyMatch?> FindApiKeyAsync(string sha256, CancellationToken cancellationToken = default);

    /// <summary>The audit log, newest first, a page at a time.</summary>
    /// <param name="limit">Page size, 1..500.</param>
    /// <param name="cursor">The previous page's <see cref="AuditPage.NextCursor"/>; null for the first page.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ComputeGridValidationException">A bad limit or cursor.</exception>
    Task<AuditPage> GetAuditAsync(int limit = 100, string? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>Makes an advance reservation for any tenant, not bound by the tenant quota (audited).</summary>
    /// <exception cref="ComputeGridValidationException">A field is malformed, or names a hub, data center or GPU model the pool does not know; nothing was made.</exception>
    /// <exception cref="ReservationRejectedException">It can never be honoured as asked, it is beyond the operator's bounds (<c>OperatorMaxWindow</c>, <c>OperatorMaxAdvance</c>), or the id is taken by another request; nothing was made.</exception>
    /// <exception cref="ReservationRefusedException">It cannot be honoured now; nothing was made.</exception>
    Task<AdvanceReservation> CreateReservationAsync(AdvanceReservationRequest request, CancellationToken cancellationToken = default);

    /// <summary>Every tenant's reservations, newest first.</summary>
    Task<IReadOnlyList<AdvanceReservation>> ListReservationsAsync(CancellationToken cancellationToken = default);

    /// <summary>Cancels any tenant's reservation (audited): its capacity is free at once. Idempotent: cancelling one already cancelled or ended answers it as it is and writes no audit entry.</summary>
    /// <exception cref="ComputeGridNotFoundException">No such reservation.</exception>
    Task<AdvanceReservation> CancelReservationAsync(string reservationId, string reason = "cancelled by an operator", CancellationToken cancellationToken = default);
}

/// <summary>A rotated key: its replacement (with the secret, shown only here) and the old key, revoked at once or after its grace.</summary>
/// <param name="Replacement">The new key and its secret.</param>
/// <param name="Replaced">The old key; its <see cref="ApiKeyInfo.RevokedAt"/> is when it stops working.</param>
public sealed record ApiKeyRotation(IssuedApiKey Replacement, ApiKeyInfo Replaced);
