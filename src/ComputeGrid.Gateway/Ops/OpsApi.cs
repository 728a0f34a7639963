using ComputeGrid.Client;
using ComputeGrid.Domain.Targets;
using ComputeGrid.Gateway.Errors;
using ComputeGrid.Gateway.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace ComputeGrid.Gateway.Ops;

/// <summary>
/// The operators' federation view: the JSON feed <c>GET /v1/ops/federation</c> (operator keys only) and the page at
/// <c>/ops</c> that draws it.
/// </summary>
public static class OpsApi
{
    /// <summary>Maps the feed onto <paramref name="v1"/> (the <c>/v1</c> group); it answers 403 to partner keys.</summary>
    public static RouteGroupBuilder MapOpsApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/ops/federation", ReadAsync)
            .WithTags("Operators")
            .WithName("GetFederation")
            .WithSummary("Get the federation view (operators)")
            .WithDescription(
                "The national pool at a glance, as the page at /ops draws it: per hub its capacity, use, queue, loans and its readings against the national targets " +
                "(PUE within 1.25 east and 1.2 west, utilisation at least 65%, green power at least 80%); loans as arrows from the borrowing hub to the lending hub; " +
                "the east-to-west flow of work; energy (kWh), carbon (kgCO2) and cost (CNY) totals. Never cached.")
            .RequireAuthorization(ApiKeys.OperatorPolicy)
            .ProducesApiProblem(StatusCodes.Status403Forbidden, StatusCodes.Status503ServiceUnavailable);
        return v1;
    }

    /// <summary>
    /// Maps the page at <c>/ops</c> and its script and style sheet, served from the gateway assembly (no CDN). The page
    /// holds no data: it asks for an operator key and reads the feed with it.
    /// </summary>
    public static IEndpointRouteBuilder MapOpsPage(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/ops", (HttpContext context) => OpsAssets.Page.Serve(context)).ExcludeFromDescription();
        endpoints.MapGet("/ops/ops.js", (HttpContext context) => OpsAssets.Script.Serve(context)).ExcludeFromDescription();
        endpoints.MapGet("/ops/ops.css", (HttpContext context) => OpsAssets.Styles.Serve(context)).ExcludeFromDescription();
        endpoints.MapGet("/ops/vendor.js", (HttpContext context) => OpsAssets.VendorScript.Serve(context)).ExcludeFromDescription();
        endpoints.MapGet("/ops/vendor.css", (HttpContext context) => OpsAssets.VendorStyles.Serve(context)).ExcludeFromDescription();
        return endpoints;
    }

    private static async Task<Ok<FederationView>> ReadAsync(HttpContext context, IComputeGridClient grid, TimeProvider time, CancellationToken cancellationToken)
    {
        var view = await FederationFeed.ReadAsync(grid, time, NationalTargets.Default, cancellationToken);
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers[HeaderNames.Vary] = ApiKeys.Header;
        return TypedResults.Ok(view);
    }
}
