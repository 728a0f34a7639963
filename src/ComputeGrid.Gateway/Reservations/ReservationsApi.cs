using System.Security.Claims;
using ComputeGrid.Client;
using ComputeGrid.Contracts.Reservations;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Reservations;
using ComputeGrid.Gateway.Errors;
using ComputeGrid.Gateway.Jobs;
using ComputeGrid.Gateway.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace ComputeGrid.Gateway.Reservations;

/// <summary>
/// The <c>/v1/reservations</c> endpoints: advance reservations (Slurm's <c>scontrol create reservation</c>). A partner
/// key makes, reads, lists and cancels its own tenant's, within the tenant quota; an operator key any tenant's, without
/// the quota, and every operator change is audited.
/// </summary>
public static class ReservationsApi
{
    /// <summary>Maps the reservation endpoints onto <paramref name="v1"/> (the <c>/v1</c> group).</summary>
    public static RouteGroupBuilder MapReservationsApi(this RouteGroupBuilder v1)
    {
        var reservations = v1.MapGroup("/reservations").WithTags("Reservations");

        reservations.MapPost("/", CreateAsync)
            .WithName("CreateReservation")
            .WithSummary("Make an advance reservation")
            .WithDescription(
                "Who may call: any key. A partner key reserves for its own tenant within the tenant quota (ComputeGrid:Reservations: TenantMaxCores, TenantMaxGpus " +
                "at any one instant, MaxWindow, MaxAdvance; over it answers 422 naming the field); an operator key for any tenant (body.tenant), without the quota " +
                "but within OperatorMaxWindow and OperatorMaxAdvance (422 naming end or start), audited. A malformed field, or a hub, data center or GPU model the " +
                "pool does not know, answers 400 naming it; more than the hub's or data center's capacity in all, or a GPU model none of its data centers has, " +
                "422 naming the resource (resources.gpuModel, resources.gpus, resources.cpuMillicores, resources.memoryMiB). Reserves resources in a data center, or in a hub (allotted over its data centers now), for [start, end). Inside the window only the " +
                "tenant's jobs that name it (reservation on POST /v1/jobs) use that capacity; outside it is free for anyone whose declared run ends before the " +
                "window opens. A reservation that cannot be honoured (at some instant of the window the capacity is promised to jobs already holding it or to " +
                "other reservations) answers 409 naming resources; it is never broken later. The id is the tenant, a dot and the Idempotency-Key (or a generated " +
                "key): the same key and body return the same reservation; the same key with another body answers 422 naming Idempotency-Key.")
            .AcceptsJson<CreateReservationBody>()
            .Produces<ReservationView>(StatusCodes.Status201Created)
            .ProducesApiProblem(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status422UnprocessableEntity);

        reservations.MapGet("/", ListAsync)
            .WithName("ListReservations")
            .WithSummary("List advance reservations")
            .WithDescription("Who may call: any key. A partner sees its own tenant's reservations, an operator every tenant's (or one's, with ?tenant=). Newest first; ended and cancelled ones stay listed for 30 days.");

        reservations.MapGet("/{reservationId}", GetAsync)
            .WithName("GetReservation")
            .WithSummary("Get an advance reservation")
            .WithDescription("Who may call: any key; a partner only its own tenant's (another tenant's answers 404, as an unknown id does). The reservation with its shares per data center and its state: Scheduled, Open, Ended or Cancelled.")
            .ProducesApiProblem(StatusCodes.Status404NotFound);

        reservations.MapPost("/{reservationId}/cancel", CancelAsync)
            .WithName("CancelReservation")
            .WithSummary("Cancel an advance reservation")
            .WithDescription("Who may call: its tenant's keys, or an operator (audited). Its capacity is free at once at every data center; its jobs that run keep running, those still waiting stay queued. Idempotent.")
            .ProducesApiProblem(StatusCodes.Status404NotFound);
        return v1;
    }

    private static async Task<Results<Created<ReservationView>, ProblemHttpResult>> CreateAsync(
        HttpRequest request,
        ClaimsPrincipal user,
        IComputeGridClient grid,
        JsonBody json,
        [FromHeader(Name = JobsApi.IdempotencyKeyHeader)] string? idempotencyKey,
        CancellationToken cancellationToken)
    {
        if (idempotencyKey is not null && !JobsApi.IsIdempotencyKey(idempotencyKey))
        {
            return Problems.Invalid(JobsApi.IdempotencyKeyHeader, $"must be 1-{JobsApi.MaxIdempotencyKeyLength} characters of letters, digits, '_' and '-'");
        }

        var (body, problem) = await json.ReadAsync<CreateReservationBody>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var operatorKey = user.IsInRole(nameof(GatewayRole.Operator));
        var tenant = body!.Tenant ?? ApiKeys.TenantOf(user);
        if (!operatorKey && tenant != ApiKeys.TenantOf(user))
        {
            return TypedResults.Problem(Problems.Create(StatusCodes.Status403Forbidden, "Forbidden", "tenant", "a partner key reserves only for its own tenant"));
        }

        var reservationId = $"{tenant}.{idempotencyKey ?? Guid.NewGuid().ToString("n")}";
        if (!AdvanceReservationRules.IsValidId(reservationId))
        {
            return Problems.Invalid(JobsApi.IdempotencyKeyHeader, $"the tenant, a dot and the key must be at most {AdvanceReservationRules.MaxIdLength} characters");
        }

        try
        {
            var made = operatorKey
                ? await grid.Admin.As(ApiKeys.ActorOf(user)).CreateReservationAsync(body.ToRequest(reservationId, tenant), cancellationToken)
                : await grid.CreateReservationAsync(body.ToRequest(reservationId, tenant), cancellationToken);
            return TypedResults.Created($"/v1/reservations/{Uri.EscapeDataString(made.ReservationId)}", ReservationView.Of(made));
        }
        catch (ReservationRefusedException e)
        {
            return TypedResults.Problem(Problems.Create(StatusCodes.Status409Conflict, "Reservation cannot be honoured", Rename(e.Errors)));
        }
        catch (ReservationRejectedException e)
        {
            return Problems.Unprocessable("Reservation can never be honoured as asked", Rename(e.Errors));
        }
        catch (ComputeGridValidationException e)
        {
            return Problems.Invalid(Rename(e.Errors));
        }
    }

    private static async Task<Results<Ok<IReadOnlyList<ReservationView>>, ProblemHttpResult>> ListAsync(
        ClaimsPrincipal user, IComputeGridClient grid, [FromQuery] string? tenant, CancellationToken cancellationToken)
    {
        if (tenant is not null && !TenantNames.IsValid(tenant))
        {
            return Problems.Invalid("tenant", "must be 1-64 characters of a-z, 0-9 and '-'");
        }

        if (tenant is not null && tenant != ApiKeys.TenantOf(user) && !user.IsInRole(nameof(GatewayRole.Operator)))
        {
            return TypedResults.Problem(Problems.Create(StatusCodes.Status403Forbidden, "Forbidden", "tenant", "names another tenant; only operator keys may list another tenant's reservations"));
        }

        var all = user.IsInRole(nameof(GatewayRole.Operator)) && tenant is null
            ? await grid.Admin.ListReservationsAsync(cancellationToken)
            : await grid.ListReservationsAsync(user.IsInRole(nameof(GatewayRole.Operator)) ? tenant! : ApiKeys.TenantOf(user), cancellationToken);
        return TypedResults.Ok<IReadOnlyList<ReservationView>>([.. all.Select(ReservationView.Of)]);
    }

    private static async Task<Results<Ok<ReservationView>, ProblemHttpResult>> GetAsync(
        string reservationId, ClaimsPrincipal user, IComputeGridClient grid, CancellationToken cancellationToken) =>
        await FindVisibleAsync(grid, reservationId, user, cancellationToken) is { } found ? TypedResults.Ok(ReservationView.Of(found)) : NoReservation();

    private static async Task<Results<Ok<ReservationView>, ProblemHttpResult>> CancelAsync(
        string reservationId, ClaimsPrincipal user, IComputeGridClient grid, CancellationToken cancellationToken)
    {
        if (await FindVisibleAsync(grid, reservationId, user, cancellationToken) is not { } found)
        {
            return NoReservation();
        }

        var cancelled = user.IsInRole(nameof(GatewayRole.Operator)) && found.Tenant != ApiKeys.TenantOf(user)
            ? await grid.Admin.As(ApiKeys.ActorOf(user)).CancelReservationAsync(reservationId, "cancelled by an operator through the REST gateway", cancellationToken)
            : await grid.CancelReservationAsync(reservationId, "cancelled by its tenant through the REST gateway", cancellationToken);
        return TypedResults.Ok(ReservationView.Of(cancelled));
    }

    private static async Task<AdvanceReservation?> FindVisibleAsync(IComputeGridClient grid, string reservationId, ClaimsPrincipal user, CancellationToken cancellationToken) =>
        AdvanceReservationRules.IsValidId(reservationId)
            ? await Visibility.FindAsync(user, () => grid.GetReservationAsync(reservationId, cancellationToken), r => r.Tenant)
            : null;

    private static ProblemHttpResult NoReservation() => Problems.NotFound("reservationId", "no reservation with this id that this key may see");

    /// <summary>The SDK's field names as the REST body's.</summary>
    private static List<ValidationError> Rename(IReadOnlyList<ValidationError> errors) =>
        [.. errors.Select(e => e.Field == "reservationId" ? e with { Field = JobsApi.IdempotencyKeyHeader } : e)];
}
