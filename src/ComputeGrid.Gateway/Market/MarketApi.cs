using System.Security.Claims;
using System.Text;
using ComputeGrid.Client;
using ComputeGrid.Contracts.Agents;
using ComputeGrid.Contracts.Audit;
using ComputeGrid.Contracts.Market;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Market;
using ComputeGrid.Domain.Security;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Gateway.Agents;
using ComputeGrid.Gateway.Errors;
using ComputeGrid.Gateway.Jobs;
using ComputeGrid.Gateway.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace ComputeGrid.Gateway.Market;

/// <summary>
/// Computing power as a product: the catalog and quotes (any key), data centers' prices (read: any key; set: operators, or
/// the data center's own provider with its agent credential), statements as JSON or CSV (a partner its own tenant's,
/// operators any; a provider its own data center's) and revenue per data center and hub (operators).
/// </summary>
public static class MarketApi
{
    /// <summary>The media type of a statement as CSV.</summary>
    public const string CsvContentType = "text/csv";

    /// <summary>Maps the market's endpoints onto <paramref name="v1"/> (the <c>/v1</c> group).</summary>
    public static RouteGroupBuilder MapMarketApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/catalog", CatalogAsync).WithTags("Market").WithName("GetCatalog").WithSummary("The catalog of computing products")
            .WithDescription("Every product (CPU core-hour, memory GiB-hour, GPU-hour by model) of every data center with its hub, latency class from originHub (or its own hub), list price in CNY and FLOPS rating.")
            .ProducesApiProblem(StatusCodes.Status400BadRequest);
        v1.MapPost("/quotes", QuoteAsync).WithTags("Market").WithName("QuoteJob").WithSummary("Quote a job")
            .WithDescription("Takes a job as POST /v1/jobs does and returns, for each feasible placement, the price, estimated start and carbon, the placement its policy would choose, and until when the quote stands. Nothing is submitted.")
            .AcceptsJson<SubmitJobBody>()
            .ProducesApiProblem(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status422UnprocessableEntity);
        v1.MapGet("/data-centers/{dataCenterId}/prices", PricesAsync).WithTags("Market").WithName("GetPrices").WithSummary("A data center's price book")
            .WithDescription("The data center's list prices in force, its default prices (energy cost plus the margin), the bounds an owner may set prices within, and every version set.")
            .ProducesApiProblem(StatusCodes.Status404NotFound);
        v1.MapPut("/data-centers/{dataCenterId}/prices", SetPricesAsync).WithTags("Operators").WithName("SetPrices").WithSummary("Set a data center's list prices (operators)")
            .WithDescription("Sets the data center's list prices within the bounds of its defaults (GET .../prices states them); audited. Applies to placements from now on; placed jobs keep the prices they were placed under.")
            .RequireAuthorization(ApiKeys.OperatorPolicy)
            .AcceptsJson<SetPricesBody>()
            .ProducesApiProblem(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);
        v1.MapGet("/statements/{period}", TenantStatementAsync).WithTags("Market").WithName("GetStatement").WithSummary("A tenant's statement for a month or a day")
            .WithDescription("The caller's tenant's statement (operators: any tenant's with tenant) for yyyy-MM or yyyy-MM-dd in Asia/Shanghai, as JSON, or as CSV with format=csv or Accept: text/csv.")
            .ProducesApiProblem(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden);
        v1.MapGet("/data-centers/{dataCenterId}/statements/{period}", DataCenterStatementAsync).WithTags("Operators").WithName("GetDataCenterStatement").WithSummary("A data center's revenue statement (operators)")
            .WithDescription("What the jobs that ran at the data center were charged in the period (yyyy-MM or yyyy-MM-dd, Asia/Shanghai), as JSON, or as CSV with format=csv or Accept: text/csv.")
            .RequireAuthorization(ApiKeys.OperatorPolicy)
            .ProducesApiProblem(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        v1.MapGet("/revenue/{period}", RevenueAsync).WithTags("Operators").WithName("GetRevenue").WithSummary("Revenue per data center and per hub (operators)")
            .WithDescription("The data centers' statements of the period summed per data center, per hub and over the pool: CNY, energy, carbon and FP16 PFLOPS-hours, and whether every statement summed is closed.")
            .RequireAuthorization(ApiKeys.OperatorPolicy)
            .ProducesApiProblem(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden);
        return v1;
    }

    /// <summary>Maps the provider endpoints: outside the API-key group, authenticated by the data center's agent credential.</summary>
    public static IEndpointRouteBuilder MapProviderApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPut("/v1/provider/prices", ProviderSetPricesAsync).AllowAnonymous().RequireRateLimiting(new AgentSyncRateLimitPolicy())
            .WithTags("Providers").WithName("SetProviderPrices").WithSummary("Set your data center's list prices (providers)")
            .WithDescription("Authorization: Bearer <agent credential>. A provider sets its own data center's prices, within the same bounds operators do; audited as agent:<id>.")
            .AcceptsJson<SetPricesBody>()
            .ProducesApiProblem(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests);
        endpoints.MapGet("/v1/provider/statements/{period}", ProviderStatementAsync).AllowAnonymous().RequireRateLimiting(new AgentSyncRateLimitPolicy())
            .WithTags("Providers").WithName("GetProviderStatement").WithSummary("Your data center's revenue statement (providers)")
            .WithDescription("Authorization: Bearer <agent credential>. What the jobs that ran at the provider's data center were charged in the period, as JSON or CSV.")
            .ProducesApiProblem(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status429TooManyRequests);
        return endpoints;
    }

    /// <summary>The 422 of a job over its cap: names maxPriceCny and carries the cheapest price available.</summary>
    internal static ProblemHttpResult OverCap(PriceCapException e)
    {
        var problem = Problems.Create(StatusCodes.Status422UnprocessableEntity, e.Errors);
        problem.Extensions["cheapestPriceCny"] = e.CheapestPriceCny;
        problem.Extensions["cheapestDataCenterId"] = e.CheapestDataCenterId;
        return TypedResults.Problem(problem);
    }

    private static async Task<Results<Ok<Catalog>, ProblemHttpResult>> CatalogAsync(IComputeGridClient grid, [FromQuery] string? originHub, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(await grid.Market.GetCatalogAsync(originHub, cancellationToken));
        }
        catch (ComputeGridValidationException e)
        {
            return Problems.Invalid(e.Errors);
        }
    }

    private static async Task<Results<Ok<Quote>, ProblemHttpResult>> QuoteAsync(HttpRequest request, ClaimsPrincipal user, IComputeGridClient grid, JsonBody json, CancellationToken cancellationToken)
    {
        var (body, problem) = await json.ReadAsync<SubmitJobBody>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (ApiKeys.ForbidCommand(user, body!.Command is not null, "command") is { } forbidden)
        {
            return forbidden;
        }

        var jobRequest = body.ToRequest(null, ApiKeys.TenantOf(user));
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
            return TypedResults.Ok(await grid.Market.QuoteAsync(jobRequest, cancellationToken));
        }
        catch (PriceCapException e)
        {
            return OverCap(e);
        }
        catch (JobRejectedException e)
        {
            return Problems.Unprocessable("Job can never run", e.Errors);
        }
        catch (ComputeGridValidationException e)
        {
            return Problems.Invalid(e.Errors);
        }
    }

    private static async Task<Results<Ok<PriceBook>, ProblemHttpResult>> PricesAsync(string dataCenterId, IComputeGridClient grid, CancellationToken cancellationToken)
    {
        if (!DataCenterRules.IsValidId(dataCenterId))
        {
            return NoDataCenter();
        }

        try
        {
            return TypedResults.Ok(await grid.Market.GetPriceBookAsync(dataCenterId, cancellationToken));
        }
        catch (ComputeGridNotFoundException)
        {
            return NoDataCenter();
        }
    }

    private static async Task<Results<Ok<PriceBook>, ProblemHttpResult>> SetPricesAsync(
        string dataCenterId, HttpRequest request, ClaimsPrincipal user, IComputeGridClient grid, JsonBody json, CancellationToken cancellationToken)
    {
        if (!DataCenterRules.IsValidId(dataCenterId))
        {
            return NoDataCenter();
        }

        return await SetAsync(grid, ApiKeys.ActorOf(user), dataCenterId, request, json, cancellationToken);
    }

    private static async Task<Results<Ok<PriceBook>, ProblemHttpResult>> SetAsync(
        IComputeGridClient grid, AuditActor actor, string dataCenterId, HttpRequest request, JsonBody json, CancellationToken cancellationToken)
    {
        var (body, problem) = await json.ReadAsync<SetPricesBody>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        try
        {
            return TypedResults.Ok(await ((IComputeGridMarket)grid.Admin.As(actor)).SetPricesAsync(dataCenterId, body!.ToPrices(), cancellationToken));
        }
        catch (ComputeGridNotFoundException)
        {
            return NoDataCenter();
        }
        catch (ComputeGridValidationException e)
        {
            return Problems.Invalid(e.Errors);
        }
    }

    private static async Task<Results<ContentHttpResult, Ok<StatementView>, ProblemHttpResult>> TenantStatementAsync(
        string period, HttpRequest request, ClaimsPrincipal user, IComputeGridClient grid, [FromQuery] string? tenant, [FromQuery] string? format, CancellationToken cancellationToken)
    {
        var own = ApiKeys.TenantOf(user);
        if (tenant is not null && !ApiKeyRules.IsValidTenant(tenant))
        {
            return Problems.Invalid("tenant", "must be 1-64 characters of a-z, 0-9 and '-'");
        }

        if (tenant is not null && tenant != own && !user.IsInRole(nameof(GatewayRole.Operator)))
        {
            return TypedResults.Problem(Problems.Create(StatusCodes.Status403Forbidden, "Forbidden", "tenant", "names another tenant; only operator keys may read another tenant's statement"));
        }

        return await StatementAsync(() => grid.Market.GetStatementAsync(tenant ?? own, period, cancellationToken), request, format);
    }

    private static Task<Results<ContentHttpResult, Ok<StatementView>, ProblemHttpResult>> DataCenterStatementAsync(
        string dataCenterId, string period, HttpRequest request, IComputeGridClient grid, [FromQuery] string? format, CancellationToken cancellationToken) =>
        StatementAsync(() => grid.Market.GetDataCenterStatementAsync(dataCenterId, period, cancellationToken), request, format);

    private static async Task<Results<Ok<RevenueReport>, ProblemHttpResult>> RevenueAsync(string period, IComputeGridClient grid, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(await grid.Market.GetRevenueAsync(period, cancellationToken));
        }
        catch (ComputeGridValidationException e)
        {
            return Problems.Invalid(e.Errors);
        }
    }

    private static async Task<Results<Ok<PriceBook>, ProblemHttpResult>> ProviderSetPricesAsync(HttpRequest request, IComputeGridClient grid, JsonBody json, CancellationToken cancellationToken) =>
        await ProviderAsync(request, grid, cancellationToken) is { } provider
            ? await SetAsync(grid, new AuditActor($"agent:{provider.AgentId}", null), provider.DataCenterId, request, json, cancellationToken)
            : Unauthorized();

    private static async Task<Results<ContentHttpResult, Ok<StatementView>, ProblemHttpResult>> ProviderStatementAsync(
        string period, HttpRequest request, IComputeGridClient grid, [FromQuery] string? format, CancellationToken cancellationToken) =>
        await ProviderAsync(request, grid, cancellationToken) is { } provider
            ? await StatementAsync(() => grid.Market.GetDataCenterStatementAsync(provider.DataCenterId, period, cancellationToken), request, format)
            : Unauthorized();

    /// <summary>The data center and agent a bearer agent credential authenticates; null when it does not.</summary>
    private static async Task<(string DataCenterId, string AgentId)?> ProviderAsync(HttpRequest request, IComputeGridClient grid, CancellationToken cancellationToken)
    {
        var header = request.Headers[HeaderNames.Authorization].ToString();
        var token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : null;
        if (!AgentCredential.TryParse(token, out var dataCenterId, out var agentId, out _))
        {
            return null;
        }

        try
        {
            await grid.Admin.AuthenticateAgentAsync(token!, cancellationToken);
            return (dataCenterId, agentId);
        }
        catch (ComputeGridUnauthorizedException)
        {
            return null;
        }
    }

    private static async Task<Results<ContentHttpResult, Ok<StatementView>, ProblemHttpResult>> StatementAsync(Func<Task<Statement>> read, HttpRequest request, string? format)
    {
        if (format is not (null or "json" or "csv"))
        {
            return Problems.Invalid("format", "must be json or csv");
        }

        try
        {
            var statement = await read();
            var csv = format == "csv" || (format is null && request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals(CsvContentType, StringComparison.OrdinalIgnoreCase)));
            return csv
                ? TypedResults.Text(StatementCsv.Write(statement), $"{CsvContentType}; charset=utf-8", Encoding.UTF8)
                : TypedResults.Ok(StatementView.Of(statement));
        }
        catch (ComputeGridNotFoundException)
        {
            return NoDataCenter();
        }
        catch (ComputeGridValidationException e)
        {
            return Problems.Invalid(e.Errors);
        }
    }

    private static ProblemHttpResult Unauthorized() =>
        TypedResults.Problem(Problems.Create(StatusCodes.Status401Unauthorized, "Unauthorized", "Authorization", "must be 'Bearer <agent credential>' of the data center (cga.<dataCenterId>.<agentId>.<secret>), known and not revoked"));

    private static ProblemHttpResult NoDataCenter() =>
        Problems.NotFound("dataCenterId", "no data center with this id; GET /v1/catalog lists them");
}
