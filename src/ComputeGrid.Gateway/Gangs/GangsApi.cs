using System.Security.Claims;
using ComputeGrid.Client;
using ComputeGrid.Contracts.Gangs;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Gangs;
using ComputeGrid.Gateway.Errors;
using ComputeGrid.Gateway.Jobs;
using ComputeGrid.Gateway.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace ComputeGrid.Gateway.Gangs;

/// <summary>
/// The <c>/v1/gangs</c> endpoints: submit, read and cancel gangs (all-or-nothing groups of jobs). As for jobs, a partner
/// key sees its own tenant's gangs only; an operator any.
/// </summary>
public static class GangsApi
{
    /// <summary>Maps the gang endpoints onto <paramref name="v1"/> (the <c>/v1</c> group).</summary>
    public static RouteGroupBuilder MapGangsApi(this RouteGroupBuilder v1)
    {
        var gangs = v1.MapGroup("/gangs").WithTags("Gangs");

        gangs.MapPost("/", SubmitAsync)
            .WithName("SubmitGang")
            .WithSummary("Submit a gang")
            .WithDescription(
                "Submits gang.members jobs of one shape (1..256) for the caller's tenant, placed all or nothing: in one data center, or over data centers of one hub " +
                "within the latency class, never partly (Slurm's multi-node job, Kueue's all-or-nothing admission). A gang that does not fit now waits whole as one " +
                "queue entry, holding nothing. Members start together; one that fails fails the gang, or restarts it whole while gang.maxRestarts allows. Member i is " +
                "the job '<gangId>+<i>' ('.r<n>' appended after the n-th restart). Send an Idempotency-Key to retry safely: the same key and body return the same " +
                "gang, the same key with a different body answers 422. The gang's id is the tenant, a dot and the key.")
            .AcceptsJson<SubmitGangBody>()
            .Produces<GangView>(StatusCodes.Status201Created)
            .ProducesApiProblem(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status422UnprocessableEntity);

        gangs.MapGet("/{gangId}", GetAsync)
            .WithName("GetGang")
            .WithSummary("Get a gang")
            .WithDescription("A gang with its state, attempt, members and history. To a partner, another tenant's gang answers 404, as an unknown id does.")
            .ProducesApiProblem(StatusCodes.Status404NotFound);

        gangs.MapPost("/{gangId}/cancel", CancelAsync)
            .WithName("CancelGang")
            .WithSummary("Cancel a gang")
            .WithDescription("Cancels the gang and every member that has not ended, releasing their capacity; a waiting gang leaves the queue. Idempotent.")
            .ProducesApiProblem(StatusCodes.Status404NotFound);
        return v1;
    }

    private static async Task<Results<Created<GangView>, ProblemHttpResult>> SubmitAsync(
        HttpRequest request,
        ClaimsPrincipal user,
        IComputeGridClient grid,
        JsonBody json,
        [FromHeader(Name = JobsApi.IdempotencyKeyHeader)] string? idempotencyKey,
        CancellationToken cancellationToken)
    {
        var tenant = ApiKeys.TenantOf(user);
        var gangId = $"{tenant}.{idempotencyKey ?? Guid.NewGuid().ToString("n")}";
        if (idempotencyKey is not null && (!JobsApi.IsIdempotencyKey(idempotencyKey) || !GangRequest.IsValidGangId(gangId)))
        {
            return Problems.Invalid(JobsApi.IdempotencyKeyHeader, $"must be 1-{JobsApi.MaxIdempotencyKeyLength} characters of letters, digits, '_' and '-', and the tenant, a dot and the key at most {GangRules.MaxGangIdLength} characters");
        }

        var (body, problem) = await json.ReadAsync<SubmitGangBody>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (ApiKeys.ForbidCommand(user, body!.Template.Command is not null, "template.command") is { } forbidden)
        {
            return forbidden;
        }

        var gangRequest = new GangRequest { GangId = gangId, Template = body.Template.ToRequest(null, tenant), Members = body.Gang.Members, MaxRestarts = body.Gang.MaxRestarts };
        return await TemplateSubmission.SubmitAsync(
            body.Template,
            gangRequest.Validate(),
            Rename,
            async () =>
            {
                var gang = await grid.SubmitGangAsync(gangRequest, cancellationToken);
                return ($"/v1/gangs/{Uri.EscapeDataString(gang.GangId)}", GangView.Of(gang));
            },
            "Gang",
            "gang request; use a new key for a new gang");
    }

    private static async Task<Results<Ok<GangView>, ProblemHttpResult>> GetAsync(
        string gangId, ClaimsPrincipal user, IComputeGridClient grid, CancellationToken cancellationToken) =>
        await FindVisibleAsync(grid, gangId, user, cancellationToken) is { } gang
            ? TypedResults.Ok(GangView.Of(gang))
            : NoGang();

    private static async Task<Results<Ok<GangView>, ProblemHttpResult>> CancelAsync(
        string gangId, ClaimsPrincipal user, IComputeGridClient grid, CancellationToken cancellationToken)
    {
        if (await FindVisibleAsync(grid, gangId, user, cancellationToken) is not { } found)
        {
            return NoGang();
        }

        var by = user.IsInRole(nameof(GatewayRole.Operator)) && found.Template.Tenant != ApiKeys.TenantOf(user) ? "an operator" : "the tenant";
        var gang = await grid.CancelGangAsync(gangId, $"cancelled with its gang by {by} through the REST gateway", cancellationToken);
        return TypedResults.Ok(GangView.Of(gang));
    }

    private static async Task<GangSnapshot?> FindVisibleAsync(IComputeGridClient grid, string gangId, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (!GangRequest.IsValidGangId(gangId))
        {
            return null;
        }

        return await Visibility.FindAsync(user, () => grid.GetGangAsync(gangId, cancellationToken), gang => gang.Template.Tenant);
    }

    private static ProblemHttpResult NoGang() => Problems.NotFound("gangId", "no gang with this id that this key may see");

    /// <summary>Maps the SDK's field names onto the REST body's.</summary>
    private static ValidationError Rename(ValidationError e) => e.Field switch
    {
        _ when e.Field.StartsWith("gang.", StringComparison.Ordinal) => e,
        "gangId" => e with { Field = JobsApi.IdempotencyKeyHeader },
        "runTime" => e with { Field = "template.runTimeSeconds" },
        _ when e.Field.StartsWith("template.", StringComparison.Ordinal) => e,
        _ => e with { Field = $"template.{e.Field}" },
    };
}
