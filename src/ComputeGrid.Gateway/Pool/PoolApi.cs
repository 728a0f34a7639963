using ComputeGrid.Client;
using ComputeGrid.Gateway.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace ComputeGrid.Gateway.Pool;

/// <summary>The read-only view of the pool: <c>/v1/pool</c>, <c>/v1/hubs</c> and their data centers.</summary>
public static class PoolApi
{
    /// <summary>Maps the pool endpoints onto <paramref name="v1"/> (the <c>/v1</c> group).</summary>
    public static RouteGroupBuilder MapPoolApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/pool", async (IComputeGridClient grid, CancellationToken cancellationToken) =>
                TypedResults.Ok(PoolView.Of(await grid.GetPoolAsync(cancellationToken))))
            .WithTags("Pool")
            .WithName("GetPool")
            .WithSummary("Get the pool summary")
            .WithDescription("The national pool now: capacity, use and free capacity (millicores, MiB, GPUs by model), queued jobs and the energy, carbon and cost of finished work.");

        var hubs = v1.MapGroup("/hubs").WithTags("Pool");
        hubs.MapGet("/", async (IComputeGridClient grid, CancellationToken cancellationToken) =>
                TypedResults.Ok<IReadOnlyList<HubView>>([.. (await grid.GetPoolAsync(cancellationToken)).Hubs.Select(HubView.Of)]))
            .WithName("ListHubs")
            .WithSummary("List the hubs")
            .WithDescription("The national hub nodes (regions) with their data centers, queue lengths, capacity and use.");

        hubs.MapGet("/{hubId}", GetHubAsync)
            .WithName("GetHub")
            .WithSummary("Get a hub")
            .WithDescription("One hub node with its data centers, queue length, capacity and use.")
            .ProducesApiProblem(StatusCodes.Status404NotFound);

        hubs.MapGet("/{hubId}/data-centers", ListDataCentersAsync)
            .WithName("ListHubDataCenters")
            .WithSummary("List a hub's data centers")
            .WithDescription("The data centers of one hub: status, location, capacity, use, free capacity, energy profile and executed footprint.")
            .ProducesApiProblem(StatusCodes.Status404NotFound);
        return v1;
    }

    private static async Task<Results<Ok<HubView>, ProblemHttpResult>> GetHubAsync(string hubId, IComputeGridClient grid, CancellationToken cancellationToken) =>
        (await grid.GetPoolAsync(cancellationToken)).Hubs.FirstOrDefault(h => h.Hub.Id == hubId) is { } hub
            ? TypedResults.Ok(HubView.Of(hub))
            : NoHub();

    private static async Task<Results<Ok<IReadOnlyList<DataCenterView>>, ProblemHttpResult>> ListDataCentersAsync(
        string hubId, IComputeGridClient grid, CancellationToken cancellationToken) =>
        (await grid.GetPoolAsync(cancellationToken)).Hubs.FirstOrDefault(h => h.Hub.Id == hubId) is { } hub
            ? TypedResults.Ok<IReadOnlyList<DataCenterView>>([.. hub.DataCenters.Select(DataCenterView.Of)])
            : NoHub();

    private static ProblemHttpResult NoHub() => Problems.NotFound("hubId", "no hub with this id; GET /v1/hubs lists them");
}
