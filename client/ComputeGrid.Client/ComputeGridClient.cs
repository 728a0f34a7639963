using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Agents;
using ComputeGrid.Contracts.Audit;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Loans;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Contracts.Tenants;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Client.Resilience;
using ComputeGrid.Client.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Streams;

namespace ComputeGrid.Client;

/// <summary>
/// The SDK over an Orleans cluster client (external, or the silo's own when co-hosted). Idempotent calls (reads, watches,
/// cancels and submissions) go through its retry policy; admin changes are made once.
/// </summary>
/// <param name="cluster">The Orleans client; calls through it are made once, without retries.</param>
public sealed partial class ComputeGridClient(IClusterClient cluster) : IComputeGridClient, IComputeGridAdmin
{
    private readonly CallPolicy _policy = CallPolicy.Once;

    /// <summary>
    /// The SDK over a cluster client configured elsewhere, retrying idempotent calls on transient faults as
    /// <paramref name="retry"/> says.
    /// </summary>
    public ComputeGridClient(IClusterClient cluster, ComputeGridRetryOptions retry, ILogger? logger = null)
        : this(cluster)
    {
        ArgumentNullException.ThrowIfNull(retry);
        _policy = CallPolicy.Of(retry, connection: null, TimeProvider.System, logger ?? NullLogger.Instance);
    }

    internal ComputeGridClient(IClusterClient cluster, CallPolicy policy)
        : this(cluster)
    {
        _policy = policy;
    }

    /// <summary>How long a watch waits for a stream event before it re-reads the job's history.</summary>
    public static readonly TimeSpan WatchResyncInterval = TimeSpan.FromSeconds(2);

    /// <inheritdoc />
    public IComputeGridAdmin Admin => this;

    /// <summary>Whether this client may submit jobs with a command (see <see cref="ComputeGridClientOptions.AllowCommands"/>).</summary>
    public bool AllowCommands { get; init; }

    /// <inheritdoc />
    public async Task<JobSnapshot> SubmitAsync(JobRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = request.Validate();
        if (errors.Count > 0)
        {
            throw new ComputeGridValidationException(errors);
        }

        if (request.Command is not null && !AllowCommands)
        {
            throw new ComputeGridForbiddenException("command", "this client may not submit jobs with a command; set ComputeGridClientOptions.AllowCommands");
        }

        // The id is fixed before the first attempt: every retry then submits the same job, which the job grain answers
        // with the job it already has.
        var jobId = request.JobId ?? Guid.NewGuid().ToString("n");
        using var activity = ClientTracing.Start("submit", jobId, request.Tenant, request.OriginHub);
        var spec = request.ToSpec();
        var job = cluster.GetGrain<IJobGrain>(jobId);
        var result = await _policy.RunAsync("submit", ct => job.SubmitAsync(spec, ct), cancellationToken);
        return result.Refusal switch
        {
            SubmitRefusal.None => result.Job!,
            SubmitRefusal.NeverFits when result.Errors.Any(e => e.Field == "maxPriceCny") => throw await PriceCapAsync(request, result.Errors, cancellationToken),
            SubmitRefusal.NeverFits => throw new JobRejectedException(result.Errors),
            SubmitRefusal.Conflict => throw new JobConflictException(string.Join("; ", result.Errors)),
            _ => throw new ComputeGridValidationException(result.Errors),
        };
    }

    /// <inheritdoc />
    public async Task<JobSnapshot> GetJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        RequireJobId(jobId);
        using var activity = ClientTracing.Start("get job", jobId);
        var job = cluster.GetGrain<IJobGrain>(jobId);
        return await _policy.RunAsync("get job", ct => job.GetAsync(ct), cancellationToken) ?? throw NoJob(jobId);
    }

    /// <inheritdoc />
    public async Task<JobExplanation> ExplainJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var job = await GetJobAsync(jobId, cancellationToken);
        var grain = cluster.GetGrain<IRegionGrain>(job.Spec.OriginHub);
        var region = await _policy.RunAsync("explain", ct => grain.ExplainAsync(job, ct), cancellationToken);
        return new JobExplanation(job, region);
    }

    /// <inheritdoc />
    public async Task<JobSnapshot> CancelJobAsync(string jobId, string reason = "cancelled by client", CancellationToken cancellationToken = default)
    {
        RequireJobId(jobId);
        using var activity = ClientTracing.Start("cancel", jobId);
        var job = cluster.GetGrain<IJobGrain>(jobId);
        return await _policy.RunAsync("cancel", ct => job.CancelAsync(reason ?? string.Empty, ct), cancellationToken) ?? throw NoJob(jobId);
    }

    /// <inheritdoc />
    public Task<JobPage> ListJobsAsync(string tenant, JobState? state = null, int limit = 100, string? cursor = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(tenant))
        {
            throw new ComputeGridValidationException([new ValidationError("tenant", "must not be empty")]);
        }

        RequireListing(state, limit, cursor);
        var grain = cluster.GetGrain<ITenantGrain>(tenant);
        return _policy.RunAsync("list jobs", ct => grain.ListJobsAsync(state, limit, cursor, ct), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<JobPage> ListAllJobsAsync(JobState? state = null, int limit = 100, string? cursor = null, CancellationToken cancellationToken = default)
    {
        var (tenantAt, before) = RequireListing(state, limit, cursor) is { } at ? AllTenantsCursor.Read(at) : (0, 0L);
        var directory = cluster.GetGrain<ITenantDirectoryGrain>(PoolGrainKey.National);
        var tenants = await _policy.RunAsync("list tenants", directory.ListAsync, cancellationToken);
        var rows = new List<JobSummary>(limit);
        for (var t = tenantAt; t < tenants.Count; t++, before = 0)
        {
            var (grain, wanted, from) = (cluster.GetGrain<ITenantGrain>(tenants[t]), limit - rows.Count, before == 0 ? null : before.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var page = await _policy.RunAsync("list jobs", ct => grain.ListJobsAsync(state, wanted, from, ct), cancellationToken);
            rows.AddRange(page.Jobs);
            if (page.NextCursor is { } next)
            {
                return new JobPage(rows, AllTenantsCursor.Write(t, long.Parse(next, System.Globalization.CultureInfo.InvariantCulture)));
            }

            if (rows.Count == limit)
            {
                return new JobPage(rows, t + 1 < tenants.Count ? AllTenantsCursor.Write(t + 1, 0) : null);
            }
        }

        return new JobPage(rows, null);
    }

    /// <summary>Checks a listing's parameters; the cursor as a number, or null for the first page.</summary>
    private static long? RequireListing(JobState? state, int limit, string? cursor)
    {
        if (limit is < 1 or > 500)
        {
            throw new ComputeGridValidationException([new ValidationError("limit", "must be between 1 and 500")]);
        }

        if (state is { } s && !Enum.IsDefined(s))
        {
            throw new ComputeGridValidationException([new ValidationError("state", $"'{s}' is not a job state")]);
        }

        if (cursor is null)
        {
            return null;
        }

        if (!long.TryParse(cursor, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var c) || c < 1)
        {
            throw new ComputeGridValidationException([new ValidationError("cursor", "is not a cursor this API returned")]);
        }

        return c;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<JobEvent> WatchJobAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        RequireJobId(jobId);
        var inbox = Channel.CreateUnbounded<JobEvent>(new UnboundedChannelOptions { SingleReader = true });
        var stream = cluster.GetStreamProvider(GridStreams.Provider).GetStream<JobEvent>(StreamId.Create(GridStreams.JobNamespace, jobId));

        // Subscribe first, then read the history: an event can then arrive twice (dropped by sequence), never be missed.
        var subscription = await _policy.RunAsync("watch", _ => stream.SubscribeAsync((evt, _) =>
        {
            inbox.Writer.TryWrite(evt);
            return Task.CompletedTask;
        }), cancellationToken);
        var job = cluster.GetGrain<IJobGrain>(jobId);
        var watcherId = Guid.NewGuid();
        try
        {
            // Each read of the history (re-)registers this watcher: the job publishes on its stream only while watched.
            var last = 0L;
            var pending = (await _policy.RunAsync("watch", ct => job.WatchAsync(watcherId, ct), cancellationToken) ?? throw NoJob(jobId)).History;
            while (true)
            {
                foreach (var evt in pending.Where(e => e.Sequence > last).OrderBy(e => e.Sequence))
                {
                    if (evt.Sequence != last + 1)
                    {
                        break;
                    }

                    last = evt.Sequence;
                    yield return evt;
                    if (evt.State.IsTerminal())
                    {
                        yield break;
                    }
                }

                var next = await NextAsync(inbox.Reader, cancellationToken);
                pending = next is not null && next.Sequence <= last + 1
                    ? [next]
                    : (await _policy.RunAsync("watch", ct => job.WatchAsync(watcherId, ct), cancellationToken) ?? throw NoJob(jobId)).History;
            }
        }
        finally
        {
            await subscription.UnsubscribeAsync();
            await job.UnwatchAsync(watcherId);
        }
    }

    /// <inheritdoc />
    public Task<PoolSnapshot> GetPoolAsync(CancellationToken cancellationToken = default) =>
        _policy.RunAsync("get pool", Pool.GetPoolAsync, cancellationToken);

    /// <inheritdoc />
    public Task<TenantSummary> GetTenantSummaryAsync(string tenant, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(tenant))
        {
            throw new ComputeGridValidationException([new ValidationError("tenant", "must not be empty")]);
        }

        var grain = cluster.GetGrain<ITenantGrain>(tenant);
        return _policy.RunAsync("get tenant summary", grain.GetSummaryAsync, cancellationToken);
    }

    /// <inheritdoc />
    public Task<LoanPage> ListLoansAsync(string? hubId = null, LoanState? state = null, int limit = 100, string? cursor = null, CancellationToken cancellationToken = default)
    {
        if (hubId is not null && !DataCenterRules.IsValidId(hubId))
        {
            throw new ComputeGridValidationException([new ValidationError("hubId", "must be 1-64 characters of a-z, 0-9 and '-'")]);
        }

        if (limit is < 1 or > 500)
        {
            throw new ComputeGridValidationException([new ValidationError("limit", "must be between 1 and 500")]);
        }

        if (state is { } s && !Enum.IsDefined(s))
        {
            throw new ComputeGridValidationException([new ValidationError("state", $"'{s}' is not a loan state")]);
        }

        if (cursor is not null && (!long.TryParse(cursor, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var c) || c < 1))
        {
            throw new ComputeGridValidationException([new ValidationError("cursor", "is not a cursor this API returned")]);
        }

        var book = cluster.GetGrain<ILoanBookGrain>(PoolGrainKey.National);
        return _policy.RunAsync("list loans", ct => book.ListAsync(hubId, state, limit, cursor, ct), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<LoanSnapshot> GetLoanAsync(string loanId, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(loanId) || loanId.Length > 256)
        {
            throw new ComputeGridValidationException([new ValidationError("loanId", "must be 1-256 characters")]);
        }

        var loan = cluster.GetGrain<ILoanGrain>(loanId);
        return await _policy.RunAsync("get loan", loan.GetAsync, cancellationToken)
            ?? throw new ComputeGridNotFoundException($"No loan has id '{loanId}'.");
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<HubBalance>> GetHubBalancesAsync(CancellationToken cancellationToken = default) =>
        _policy.RunAsync("get hub balances", cluster.GetGrain<ILoanBookGrain>(PoolGrainKey.National).GetBalancesAsync, cancellationToken);

    /// <inheritdoc />
    public async Task RegisterDataCenterAsync(DataCenterSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        await AuditedAsync(AuditActions.DataCenterRegister, spec.Id ?? string.Empty, async () =>
        {
            Check(await Pool.RegisterDataCenterAsync(spec, cancellationToken));
            return (string?)null;
        });
    }

    /// <inheritdoc />
    public Task DrainDataCenterAsync(string dataCenterId, CancellationToken cancellationToken = default) =>
        AuditedAsync(AuditActions.DataCenterDrain, dataCenterId, async () =>
        {
            Check(await Pool.DrainDataCenterAsync(RequireDataCenterId(dataCenterId), cancellationToken));
            return (string?)null;
        });

    /// <inheritdoc />
    public Task ResumeDataCenterAsync(string dataCenterId, CancellationToken cancellationToken = default) =>
        AuditedAsync(AuditActions.DataCenterResume, dataCenterId, async () =>
        {
            Check(await Pool.ResumeDataCenterAsync(RequireDataCenterId(dataCenterId), cancellationToken));
            return (string?)null;
        });

    /// <inheritdoc />
    public Task RemoveDataCenterAsync(string dataCenterId, CancellationToken cancellationToken = default) =>
        AuditedAsync(AuditActions.DataCenterRemove, dataCenterId, async () =>
        {
            Check(await Pool.RemoveDataCenterAsync(RequireDataCenterId(dataCenterId), cancellationToken));
            return (string?)null;
        });

    /// <inheritdoc />
    public async Task<AgentCredential> IssueAgentAsync(string dataCenterId, string name, IReadOnlyList<string> allowedTenants, CancellationToken cancellationToken = default)
    {
        AgentCredential? credential = null;
        await AuditedAsync(AuditActions.AgentIssue, dataCenterId, async () =>
        {
            var result = await cluster.GetGrain<IAgentCredentialGrain>(RequireDataCenterId(dataCenterId)).IssueAsync(name, allowedTenants ?? [], cancellationToken);
            Check(new AdminResult(result.Errors, result.NotFound));
            credential = result.Credential!;
            return $"agent {credential.AgentId} ({name})";
        });
        return credential!;
    }

    /// <inheritdoc />
    public Task RevokeAgentAsync(string dataCenterId, string agentId, CancellationToken cancellationToken = default) =>
        AuditedAsync(AuditActions.AgentRevoke, $"{dataCenterId}/{agentId}", async () =>
        {
            Check(await cluster.GetGrain<IAgentCredentialGrain>(RequireDataCenterId(dataCenterId)).RevokeAsync(agentId, cancellationToken));
            return (string?)null;
        });

    /// <inheritdoc />
    public async Task<IReadOnlyList<AgentInfo>> ListAgentsAsync(string dataCenterId, CancellationToken cancellationToken = default)
    {
        var dataCenter = cluster.GetGrain<IDataCenterGrain>(RequireDataCenterId(dataCenterId));
        _ = await dataCenter.GetSnapshotAsync(cancellationToken) ?? throw new ComputeGridNotFoundException($"no data center '{dataCenterId}'");
        return await cluster.GetGrain<IAgentGrain>(dataCenterId).ListAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task AuthenticateAgentAsync(string token, CancellationToken cancellationToken = default) =>
        _ = await AuthenticateAsync(token, cancellationToken);

    /// <inheritdoc />
    public async Task<AgentSyncResponse> SyncAgentAsync(string token, AgentSyncRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (dataCenterId, agent) = await AuthenticateAsync(token, cancellationToken);
        var result = await cluster.GetGrain<IAgentGrain>(dataCenterId).SyncAsync(agent, request, cancellationToken);
        if (!result.Authorized)
        {
            throw new ComputeGridUnauthorizedException("the agent credential is unknown or revoked");
        }

        return result.Errors.Count > 0 ? throw new ComputeGridValidationException(result.Errors) : result.Response!;
    }

    /// <summary>
    /// The agent a token authenticates. A data center the pool's directory does not list is refused there, so a made-up
    /// id activates neither a data center nor its credential grain.
    /// </summary>
    private async Task<(string DataCenterId, AgentGrant Agent)> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        if (!AgentCredential.TryParse(token, out var dataCenterId, out var agentId, out var secret) || !DataCenterRules.IsValidId(dataCenterId))
        {
            throw new ComputeGridUnauthorizedException("not an agent credential");
        }

        var directory = await Pool.GetDirectoryAsync(cancellationToken);
        if (!directory.DataCenters.Any(d => d.Spec.Id == dataCenterId)
            || await cluster.GetGrain<IAgentCredentialGrain>(dataCenterId).AuthenticateAsync(agentId, secret, cancellationToken) is not { } agent)
        {
            throw new ComputeGridUnauthorizedException("the agent credential is unknown or revoked");
        }

        return (dataCenterId, agent);
    }

    /// <inheritdoc />
    public Task<PoolDirectory> GetDirectoryAsync(CancellationToken cancellationToken = default) => _policy.RunAsync("get directory", Pool.GetDirectoryAsync, cancellationToken);

    private IPoolGrain Pool => cluster.GetGrain<IPoolGrain>(PoolGrainKey.National);

    private static async Task<JobEvent?> NextAsync(ChannelReader<JobEvent> inbox, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(WatchResyncInterval);
        try
        {
            return await inbox.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private static void Check(AdminResult result)
    {
        if (result.NotFound)
        {
            throw new ComputeGridNotFoundException(string.Join("; ", result.Errors));
        }

        if (!result.Succeeded)
        {
            throw new ComputeGridValidationException(result.Errors);
        }
    }

    private static void RequireJobId(string jobId)
    {
        if (!JobRequest.IsReadableJobId(jobId))
        {
            throw new ComputeGridValidationException([new ValidationError("jobId", $"must be 1-{JobRequest.MaxJobIdLength} characters of letters, digits, '.', '_' and '-'")]);
        }
    }

    private static string RequireDataCenterId(string dataCenterId) =>
        DataCenterRules.IsValidId(dataCenterId)
            ? dataCenterId
            : throw new ComputeGridValidationException([new ValidationError("dataCenterId", "must be 1-64 characters of a-z, 0-9 and '-'")]);

    private static ComputeGridNotFoundException NoJob(string jobId) => new($"no job '{jobId}'");
}
