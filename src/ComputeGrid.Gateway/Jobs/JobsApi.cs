using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.RegularExpressions;
using ComputeGrid.Client;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Gateway.Errors;
using ComputeGrid.Gateway.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace ComputeGrid.Gateway.Jobs;

/// <summary>
/// The <c>/v1/jobs</c> endpoints: submit, read, list, cancel and watch jobs. A partner key sees its own tenant's jobs only
/// (another tenant's job is as absent as an unknown one); an operator key sees and acts on every tenant's.
/// </summary>
public static partial class JobsApi
{
    /// <summary>The header that makes a submission safe to retry.</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>Longest Idempotency-Key accepted.</summary>
    public const int MaxIdempotencyKeyLength = 63;

    /// <summary>The server-sent event type of a job event.</summary>
    public const string JobEventType = "job-event";

    /// <summary>Maps the jobs endpoints onto <paramref name="v1"/> (the <c>/v1</c> group).</summary>
    public static RouteGroupBuilder MapJobsApi(this RouteGroupBuilder v1)
    {
        var jobs = v1.MapGroup("/jobs").WithTags("Jobs");

        jobs.MapPost("/", SubmitAsync)
            .WithName("SubmitJob")
            .WithSummary("Submit a job")
            .WithDescription(
                "Submits a job for the caller's tenant and returns it placed (Scheduled, with the data center and the reason) or waiting (Queued). " +
                "Send an Idempotency-Key (1-63 letters, digits, '_' or '-') to retry safely: the same key with the same body returns the same job again, " +
                "the same key with a different body answers 422. The job's id is the tenant, a dot and the key.")
            .AcceptsJson<SubmitJobBody>()
            .Produces<JobView>(StatusCodes.Status201Created)
            .ProducesApiProblem(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status422UnprocessableEntity);

        jobs.MapGet("/", ListAsync)
            .WithName("ListJobs")
            .WithSummary("List jobs")
            .WithDescription(
                "A partner's own tenant's jobs, newest first, a page at a time. Pass the page's nextCursor as cursor to get the next page; a null nextCursor ends the listing. " +
                "An operator lists every tenant's jobs (tenant by tenant, in the order each first submitted one, each newest first), or one tenant's with tenant; " +
                "a partner naming another tenant answers 403.")
            .ProducesApiProblem(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden);

        jobs.MapGet("/{jobId}", GetAsync)
            .WithName("GetJob")
            .WithSummary("Get a job")
            .WithDescription("A job with its placement, footprint and every event. Operators read any tenant's job; to a partner, another tenant's job answers 404, as an unknown id does.")
            .ProducesApiProblem(StatusCodes.Status404NotFound);

        jobs.MapPost("/{jobId}/cancel", CancelAsync)
            .WithName("CancelJob")
            .WithSummary("Cancel a job")
            .WithDescription("Cancels a job and releases any capacity it holds; operators cancel any tenant's job, partners their own. A job that has already ended is returned unchanged.")
            .ProducesApiProblem(StatusCodes.Status404NotFound);

        jobs.MapGet("/{jobId}/events", WatchAsync)
            .WithName("WatchJob")
            .WithSummary("Follow a job's events (Server-Sent Events)")
            .WithDescription(
                "A text/event-stream of the job's events from the first, live, each once and in order: event type 'job-event', id = the event's sequence, " +
                "data = a JobEvent as JSON. The stream ends after the event that ends the job (Succeeded, Failed or Cancelled). " +
                "Reconnect with Last-Event-ID to resume after that sequence.")
            .Produces<JobEventView>(StatusCodes.Status200OK, "text/event-stream")
            .ProducesApiProblem(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);

        v1.MapGet("/tenant", TenantAsync)
            .WithTags("Jobs")
            .WithName("GetTenant")
            .WithSummary("Get the caller's tenant")
            .WithDescription("The caller's tenant: its jobs counted by state and the energy (kWh), carbon (kgCO2) and cost (CNY) of its finished work.");
        return v1;
    }

    private static async Task<Results<Created<JobView>, ProblemHttpResult>> SubmitAsync(
        HttpRequest request,
        ClaimsPrincipal user,
        IComputeGridClient grid,
        JsonBody json,
        [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey,
        CancellationToken cancellationToken)
    {
        var tenant = ApiKeys.TenantOf(user);
        if (idempotencyKey is not null && !IsIdempotencyKey(idempotencyKey))
        {
            return Problems.Invalid(IdempotencyKeyHeader, $"must be 1-{MaxIdempotencyKeyLength} characters of letters, digits, '_' and '-'");
        }

        var (body, problem) = await json.ReadAsync<SubmitJobBody>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (ApiKeys.ForbidCommand(user, body!.Command is not null, "command") is { } forbidden)
        {
            return forbidden;
        }

        var jobId = $"{tenant}.{idempotencyKey ?? Guid.NewGuid().ToString("n")}";
        var jobRequest = body!.ToRequest(jobId, tenant);
        var errors = new List<ValidationError>();
        if (body.RunTimeSeconds is < 1 or > SubmitJobBody.MaxRunTimeSeconds)
        {
            errors.Add(new("runTimeSeconds", $"must be between 1 and {SubmitJobBody.MaxRunTimeSeconds} seconds (30 days)"));
        }

        errors.AddRange(jobRequest.Validate().Where(e => e.Field != "runTime"));
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        try
        {
            var job = await grid.SubmitAsync(jobRequest, cancellationToken);
            return TypedResults.Created($"/v1/jobs/{Uri.EscapeDataString(job.JobId)}", JobView.Of(job));
        }
        catch (JobRejectedException e)
        {
            return Problems.Unprocessable("Job can never run", Rename(e.Errors));
        }
        catch (PriceCapException e)
        {
            return Market.MarketApi.OverCap(e);
        }
        catch (ComputeGridValidationException e)
        {
            return Problems.Invalid(Rename(e.Errors));
        }
        catch (ComputeGridForbiddenException e)
        {
            return TypedResults.Problem(Problems.Create(StatusCodes.Status403Forbidden, "Forbidden", e.Field, e.Message));
        }
        catch (JobConflictException)
        {
            return Problems.Unprocessable(
                "Idempotency-Key reused",
                [new ValidationError(IdempotencyKeyHeader, "was already used for a different job request; use a new key for a new job")]);
        }
    }

    private static async Task<Results<Ok<JobPageView>, ProblemHttpResult>> ListAsync(
        ClaimsPrincipal user,
        IComputeGridClient grid,
        [FromQuery] string? state,
        [FromQuery] string? limit,
        [FromQuery] string? cursor,
        [FromQuery] string? tenant,
        CancellationToken cancellationToken)
    {
        var own = ApiKeys.TenantOf(user);
        var operatorKey = user.IsInRole(nameof(GatewayRole.Operator));
        if (tenant is not null && !TenantNames.IsValid(tenant))
        {
            return Problems.Invalid("tenant", "must be 1-64 characters of a-z, 0-9 and '-'");
        }

        if (tenant is not null && tenant != own && !operatorKey)
        {
            return TypedResults.Problem(Problems.Create(StatusCodes.Status403Forbidden, "Forbidden", "tenant", "names another tenant; only operator keys may list another tenant's jobs"));
        }

        var scope = tenant is null && operatorKey ? "jobs|*" : $"jobs|{tenant ?? own}";
        if (!Paging.TryRead<JobState>(scope, state, limit, cursor, out var query, out var problem))
        {
            return problem;
        }

        var page = tenant is null && operatorKey
            ? await grid.ListAllJobsAsync(query.State, query.Limit, query.Cursor, cancellationToken)
            : await grid.ListJobsAsync(tenant ?? own, query.State, query.Limit, query.Cursor, cancellationToken);
        return TypedResults.Ok(new JobPageView([.. page.Jobs.Select(JobSummaryView.Of)], Paging.NextCursor(scope, state, page.NextCursor)));
    }

    private static async Task<Results<Ok<JobView>, ProblemHttpResult>> GetAsync(
        string jobId, ClaimsPrincipal user, IComputeGridClient grid, CancellationToken cancellationToken) =>
        await FindVisibleAsync(grid, jobId, user, cancellationToken) is { } job
            ? TypedResults.Ok(JobView.Of(job))
            : NoJob(jobId);

    private static async Task<Results<Ok<JobView>, ProblemHttpResult>> CancelAsync(
        string jobId, ClaimsPrincipal user, IComputeGridClient grid, CancellationToken cancellationToken)
    {
        if (await FindVisibleAsync(grid, jobId, user, cancellationToken) is not { } found)
        {
            return NoJob(jobId);
        }

        // The detail is read by the job's tenant: it says who in words, never an API key's name.
        var by = user.IsInRole(nameof(GatewayRole.Operator)) && found.Spec.Tenant != ApiKeys.TenantOf(user) ? "an operator" : "the tenant";
        var job = await grid.CancelJobAsync(jobId, $"cancelled by {by} through the REST gateway", cancellationToken);
        return TypedResults.Ok(JobView.Of(job));
    }

    private static async Task<Results<ServerSentEventsResult<JobEventView>, ProblemHttpResult>> WatchAsync(
        string jobId,
        ClaimsPrincipal user,
        IComputeGridClient grid,
        [FromHeader(Name = "Last-Event-ID")] string? lastEventId,
        CancellationToken cancellationToken)
    {
        var after = 0L;
        if (lastEventId is not null && (!long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out after)))
        {
            return Problems.Invalid("Last-Event-ID", "must be the id (sequence) of an event this stream sent");
        }

        if (await FindVisibleAsync(grid, jobId, user, cancellationToken) is null)
        {
            return NoJob(jobId);
        }

        return TypedResults.ServerSentEvents(EventsAsync(grid, jobId, after, cancellationToken));
    }

    private static async Task<Ok<TenantView>> TenantAsync(ClaimsPrincipal user, IComputeGridClient grid, CancellationToken cancellationToken)
    {
        var summary = await grid.GetTenantSummaryAsync(ApiKeys.TenantOf(user), cancellationToken);
        return TypedResults.Ok(new TenantView(
            summary.Tenant,
            summary.JobsByState.ToDictionary(s => s.Key.ToString(), s => s.Value),
            FootprintView.Of(summary.Executed)));
    }

    private static async IAsyncEnumerable<SseItem<JobEventView>> EventsAsync(
        IComputeGridClient grid, string jobId, long after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var evt in grid.WatchJobAsync(jobId, cancellationToken))
        {
            if (evt.Sequence > after)
            {
                yield return new SseItem<JobEventView>(JobEventView.Of(evt), JobEventType) { EventId = evt.Sequence.ToString(CultureInfo.InvariantCulture) };
            }
        }
    }

    /// <summary>
    /// The job if it exists and <paramref name="user"/> may see it (an operator any job, a partner its tenant's); null
    /// otherwise, so that to a partner another tenant's job is as absent as an unknown one.
    /// </summary>
    private static async Task<JobSnapshot?> FindVisibleAsync(IComputeGridClient grid, string jobId, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (!JobRequest.IsReadableJobId(jobId))
        {
            return null;
        }

        return await Visibility.FindAsync(user, () => grid.GetJobAsync(jobId, cancellationToken), job => job.Spec.Tenant);
    }

    private static ProblemHttpResult NoJob(string jobId) => Problems.NotFound("jobId", "no job with this id that this key may see");

    /// <summary>Maps the SDK's field names onto the REST body's where they differ.</summary>
    private static List<ValidationError> Rename(IReadOnlyList<ValidationError> errors) =>
        [.. errors.Select(e => e.Field == "runTime" ? e with { Field = "runTimeSeconds" } : e)];

    internal static bool IsIdempotencyKey(string key) => key.Length is > 0 and <= MaxIdempotencyKeyLength && KeyPattern().IsMatch(key);

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex KeyPattern();
}
