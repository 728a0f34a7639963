using System.Security.Claims;
using ComputeGrid.Client;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Gateway.Errors;
using ComputeGrid.Gateway.Pool;
using ComputeGrid.Gateway.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace ComputeGrid.Gateway.DataCenters;

/// <summary>The operators' <c>/v1/data-centers</c> endpoints: register, drain, resume and remove data centers.</summary>
public static class DataCentersApi
{
    /// <summary>The SDK's names of the spec's fields, mapped onto the REST body's.</summary>
    private static readonly Dictionary<string, string> BodyFields = new(StringComparer.Ordinal)
    {
        ["hub"] = "hubId",
        ["lat"] = "location.lat",
        ["lon"] = "location.lon",
        ["pue"] = "energy.pue",
        ["gridKgCo2PerKwh"] = "energy.gridKgCo2PerKwh",
        ["greenShare"] = "energy.greenShare",
        ["priceCnyPerKwh"] = "energy.priceCnyPerKwh",
    };

    /// <summary>Maps the operator endpoints onto <paramref name="v1"/> (the <c>/v1</c> group); they answer 403 to partner keys.</summary>
    public static RouteGroupBuilder MapDataCentersApi(this RouteGroupBuilder v1)
    {
        var dataCenters = v1.MapGroup("/data-centers")
            .WithTags("Operators")
            .RequireAuthorization(ApiKeys.OperatorPolicy)
            .ProducesApiProblem(StatusCodes.Status403Forbidden);

        dataCenters.MapPost("/", RegisterAsync)
            .WithName("RegisterDataCenter")
            .WithSummary("Register a data center (operators)")
            .WithDescription("Registers a new data center in an existing hub; it is Online and takes work at once. An id already in the pool answers 409.")
            .AcceptsJson<RegisterDataCenterBody>()
            .ProducesApiProblem(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);

        dataCenters.MapPost("/{dataCenterId}/drain", (string dataCenterId, ClaimsPrincipal user, IComputeGridClient grid, CancellationToken ct) =>
                ChangeAsync(dataCenterId, grid, grid.Admin.As(ApiKeys.ActorOf(user)).DrainDataCenterAsync, ct))
            .WithName("DrainDataCenter")
            .WithSummary("Drain a data center (operators)")
            .WithDescription("The data center takes no new work; work already there runs to its end.")
            .ProducesApiProblem(StatusCodes.Status404NotFound);

        dataCenters.MapPost("/{dataCenterId}/resume", (string dataCenterId, ClaimsPrincipal user, IComputeGridClient grid, CancellationToken ct) =>
                ChangeAsync(dataCenterId, grid, grid.Admin.As(ApiKeys.ActorOf(user)).ResumeDataCenterAsync, ct))
            .WithName("ResumeDataCenter")
            .WithSummary("Resume a data center (operators)")
            .WithDescription("Puts a drained data center back online.")
            .ProducesApiProblem(StatusCodes.Status404NotFound);

        dataCenters.MapDelete("/{dataCenterId}", RemoveAsync)
            .WithName("RemoveDataCenter")
            .WithSummary("Remove a data center (operators)")
            .WithDescription("Removes a data center. Refused with 409 while jobs hold capacity there: drain it and let them finish first.")
            .ProducesApiProblem(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        return v1;
    }

    private static async Task<Results<Created<DataCenterView>, ProblemHttpResult>> RegisterAsync(
        HttpRequest request, ClaimsPrincipal user, IComputeGridClient grid, JsonBody json, CancellationToken cancellationToken)
    {
        var (body, problem) = await json.ReadAsync<RegisterDataCenterBody>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var directory = await grid.Admin.GetDirectoryAsync(cancellationToken);
        if (directory.DataCenters.Any(d => d.Spec.Id == body!.Id))
        {
            return TypedResults.Problem(Problems.Create(StatusCodes.Status409Conflict, "Conflict", "id", $"data center '{body!.Id}' already exists"));
        }

        try
        {
            await grid.Admin.As(ApiKeys.ActorOf(user)).RegisterDataCenterAsync(body!.ToSpec(), cancellationToken);
        }
        catch (ComputeGridValidationException e)
        {
            return Problems.Invalid([.. e.Errors.Select(err => BodyFields.TryGetValue(err.Field, out var field) ? err with { Field = field } : err)]);
        }

        return TypedResults.Created($"/v1/hubs/{body.HubId}/data-centers", await ViewAsync(grid, body.Id, cancellationToken));
    }

    private static async Task<Results<Ok<DataCenterView>, ProblemHttpResult>> ChangeAsync(
        string dataCenterId, IComputeGridClient grid, Func<string, CancellationToken, Task> change, CancellationToken cancellationToken)
    {
        if (!DataCenterRules.IsValidId(dataCenterId))
        {
            return NoDataCenter();
        }

        try
        {
            await change(dataCenterId, cancellationToken);
        }
        catch (ComputeGridNotFoundException)
        {
            return NoDataCenter();
        }

        return TypedResults.Ok(await ViewAsync(grid, dataCenterId, cancellationToken));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveAsync(string dataCenterId, ClaimsPrincipal user, IComputeGridClient grid, CancellationToken cancellationToken)
    {
        if (!DataCenterRules.IsValidId(dataCenterId))
        {
            return NoDataCenter();
        }

        try
        {
            await grid.Admin.As(ApiKeys.ActorOf(user)).RemoveDataCenterAsync(dataCenterId, cancellationToken);
            return TypedResults.NoContent();
        }
        catch (ComputeGridNotFoundException)
        {
            return NoDataCenter();
        }
        catch (ComputeGridValidationException e)
        {
            return TypedResults.Problem(Problems.Create(StatusCodes.Status409Conflict, "Conflict", e.Errors));
        }
    }

    private static async Task<DataCenterView> ViewAsync(IComputeGridClient grid, string dataCenterId, CancellationToken cancellationToken) =>
        DataCenterView.Of((await grid.GetPoolAsync(cancellationToken)).Hubs.SelectMany(h => h.DataCenters).Single(d => d.Spec.Id == dataCenterId));

    private static ProblemHttpResult NoDataCenter() =>
        Problems.NotFound("dataCenterId", "no data center with this id; GET /v1/hubs/{hubId}/data-centers lists them");
}
