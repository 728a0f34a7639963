using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using ComputeGrid.Client;
using ComputeGrid.Contracts.JobArrays;
using ComputeGrid.Domain;
using ComputeGrid.Domain.JobArrays;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Gateway.Errors;
using ComputeGrid.Gateway.Jobs;
using ComputeGrid.Gateway.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace ComputeGrid.Gateway.JobArrays;

/// <summary>
/// The <c>/v1/job-arrays</c> endpoints: submit, read, list the elements of, cancel and watch job arrays. As for jobs, a
/// partner key sees its own tenant's arrays only (another tenant's is as absent as an unknown one); an operator any.
/// </summary>
public static class JobArraysApi
{
    /// <summary>The server-sent event type of an array's counts.</summary>
    public const string CountsEventType = "array-counts";

    /// <summary>Maps the job array endpoints onto <paramref name="v1"/> (the <c>/v1</c> group).</summary>
    public static RouteGroupBuilder MapJobArraysApi(this RouteGroupBuilder v1)
    {
        var arrays = v1.MapGroup("/job-arrays").WithTags("Job arrays");

        arrays.MapPost("/", SubmitAsync)
            .WithName("SubmitJobArray")
            .WithSummary("Submit a job array")
            .WithDescription(
                "Submits count jobs of one shape (1..100,000) for the caller's tenant, as Slurm's --array or HTCondor's queue N. The array is answered once it is " +
                "stored and its first element accepted; it submits the other elements itself, which count as Pending until they are jobs. Element i is the job " +
                "'<arrayId>-<i>', readable, cancellable and explainable at /v1/jobs. In a command's arguments %a becomes the index, %A the array id, %% a '%'; " +
                "the environment gains COMPUTEGRID_ARRAY_TASK_ID and COMPUTEGRID_ARRAY_ID. Send an Idempotency-Key to retry safely: the same key and body return " +
                "the same array, the same key with a different body answers 422. The array's id is the tenant, a dot and the key.")
            .AcceptsJson<SubmitJobArrayBody>()
            .Produces<JobArrayView>(StatusCodes.Status201Created)
            .ProducesApiProblem(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status422UnprocessableEntity);

        arrays.MapGet("/{arrayId}", GetAsync)
            .WithName("GetJobArray")
            .WithSummary("Get a job array")
            .WithDescription("A job array with its size, template and elements counted by state. To a partner, another tenant's array answers 404, as an unknown id does.")
            .ProducesApiProblem(StatusCodes.Status404NotFound);

        arrays.MapGet("/{arrayId}/elements", ListElementsAsync)
            .WithName("ListJobArrayElements")
            .WithSummary("List a job array's elements")
            .WithDescription("The array's elements in index order, a page at a time, only those in state when given. Pass the page's nextCursor as cursor for the next page; a null nextCursor ends the listing.")
            .ProducesApiProblem(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);

        arrays.MapPost("/{arrayId}/cancel", CancelAsync)
            .WithName("CancelJobArray")
            .WithSummary("Cancel a job array")
            .WithDescription("Cancels every element that has not ended and releases its capacity; elements not submitted yet never will be (counted as Cancelled). Idempotent.")
            .ProducesApiProblem(StatusCodes.Status404NotFound);

        arrays.MapGet("/{arrayId}/events", WatchAsync)
            .WithName("WatchJobArray")
            .WithSummary("Follow a job array's counts (Server-Sent Events)")
            .WithDescription(
                "A text/event-stream of the array as its counts change: event type 'array-counts', data = the array as JSON (as GET answers it), the first event " +
                "the array as it stands. Changes close together may come as one event. The stream ends after the event in which every element has ended.")
            .Produces<JobArrayView>(StatusCodes.Status200OK, "text/event-stream")
            .ProducesApiProblem(StatusCodes.Status404NotFound);
        return v1;
    }

    private static async Task<Results<Created<JobArrayView>, ProblemHttpResult>> SubmitAsync(
        HttpRequest request,
        ClaimsPrincipal user,
        IComputeGridClient grid,
        JsonBody json,
        [FromHeader(Name = JobsApi.IdempotencyKeyHeader)] string? idempotencyKey,
        CancellationToken cancellationToken)
    {
        var tenant = ApiKeys.TenantOf(user);
        var arrayId = $"{tenant}.{idempotencyKey ?? Guid.NewGuid().ToString("n")}";
        if (idempotencyKey is not null && (!JobsApi.IsIdempotencyKey(idempotencyKey) || !JobArrayRequest.IsValidArrayId(arrayId)))
        {
            return Problems.Invalid(JobsApi.IdempotencyKeyHeader, $"must be 1-{JobsApi.MaxIdempotencyKeyLength} characters of letters, digits, '_' and '-', and the tenant, a dot and the key at most {JobArrayRules.MaxArrayIdLength} characters");
        }

        var (body, problem) = await json.ReadAsync<SubmitJobArrayBody>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (ApiKeys.ForbidCommand(user, body!.Template.Command is not null, "template.command") is { } forbidden)
        {
            return forbidden;
        }

        var arrayRequest = new JobArrayRequest { ArrayId = arrayId, Template = body.Template.ToRequest(null, tenant), Count = body.Count };
        return await TemplateSubmission.SubmitAsync(
            body.Template,
            arrayRequest.Validate(),
            Rename,
            async () =>
            {
                var array = await grid.SubmitArrayAsync(arrayRequest, cancellationToken);
                return ($"/v1/job-arrays/{Uri.EscapeDataString(array.ArrayId)}", JobArrayView.Of(array));
            },
            "Job array",
            "job array request; use a new key for a new array");
    }

    private static async Task<Results<Ok<JobArrayView>, ProblemHttpResult>> GetAsync(
        string arrayId, ClaimsPrincipal user, IComputeGridClient grid, CancellationToken cancellationToken) =>
        await FindVisibleAsync(grid, arrayId, user, cancellationToken) is { } array
            ? TypedResults.Ok(JobArrayView.Of(array))
            : NoArray();

    private static async Task<Results<Ok<JobArrayElementPageView>, ProblemHttpResult>> ListElementsAsync(
        string arrayId,
        ClaimsPrincipal user,
        IComputeGridClient grid,
        [FromQuery] string? state,
        [FromQuery] string? limit,
        [FromQuery] string? cursor,
        CancellationToken cancellationToken)
    {
        var scope = $"job-arrays|{arrayId}";
        if (!Paging.TryRead<JobState>(scope, state, limit, cursor, out var query, out var problem))
        {
            return problem;
        }

        if (await FindVisibleAsync(grid, arrayId, user, cancellationToken) is null)
        {
            return NoArray();
        }

        var page = await grid.ListArrayElementsAsync(arrayId, query.State, query.Limit, query.Cursor, cancellationToken);
        return TypedResults.Ok(new JobArrayElementPageView(
            [.. page.Elements.Select(JobArrayElementView.Of)],
            Paging.NextCursor(scope, state, ComputeGridClient.NextArrayCursor(page))));
    }

    private static async Task<Results<Ok<JobArrayView>, ProblemHttpResult>> CancelAsync(
        string arrayId, ClaimsPrincipal user, IComputeGridClient grid, CancellationToken cancellationToken)
    {
        if (await FindVisibleAsync(grid, arrayId, user, cancellationToken) is not { } found)
        {
            return NoArray();
        }

        var by = user.IsInRole(nameof(GatewayRole.Operator)) && found.Template.Tenant != ApiKeys.TenantOf(user) ? "an operator" : "the tenant";
        var array = await grid.CancelArrayAsync(arrayId, $"cancelled with its array by {by} through the REST gateway", cancellationToken);
        return TypedResults.Ok(JobArrayView.Of(array));
    }

    private static async Task<Results<ServerSentEventsResult<JobArrayView>, ProblemHttpResult>> WatchAsync(
        string arrayId, ClaimsPrincipal user, IComputeGridClient grid, CancellationToken cancellationToken)
    {
        if (await FindVisibleAsync(grid, arrayId, user, cancellationToken) is null)
        {
            return NoArray();
        }

        return TypedResults.ServerSentEvents(EventsAsync(grid, arrayId, cancellationToken));
    }

    private static async IAsyncEnumerable<SseItem<JobArrayView>> EventsAsync(
        IComputeGridClient grid, string arrayId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var sequence = 0L;
        await foreach (var array in grid.WatchArrayAsync(arrayId, cancellationToken))
        {
            sequence++;
            yield return new SseItem<JobArrayView>(JobArrayView.Of(array), CountsEventType) { EventId = sequence.ToString(CultureInfo.InvariantCulture) };
        }
    }

    /// <summary>The array if it exists and <paramref name="user"/> may see it; null otherwise (another tenant's array is as absent as an unknown one to a partner).</summary>
    private static async Task<JobArraySnapshot?> FindVisibleAsync(IComputeGridClient grid, string arrayId, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (!JobArrayRequest.IsValidArrayId(arrayId))
        {
            return null;
        }

        return await Visibility.FindAsync(user, () => grid.GetArrayAsync(arrayId, cancellationToken), array => array.Template.Tenant);
    }

    private static ProblemHttpResult NoArray() => Problems.NotFound("arrayId", "no job array with this id that this key may see");

    /// <summary>The SDK's field names in the REST body's terms: the template's fields under <c>template.</c>, the id as the Idempotency-Key.</summary>
    private static ValidationError Rename(ValidationError e) => e.Field switch
    {
        "count" => e,
        "arrayId" => e with { Field = JobsApi.IdempotencyKeyHeader },
        "runTime" => e with { Field = "template.runTimeSeconds" },
        _ when e.Field.StartsWith("template.", StringComparison.Ordinal) => e,
        _ => e with { Field = $"template.{e.Field}" },
    };
}
