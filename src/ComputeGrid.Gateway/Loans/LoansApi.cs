using ComputeGrid.Client;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Gateway.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace ComputeGrid.Gateway.Loans;

/// <summary>Capacity loans between hubs and the hubs' balances: <c>/v1/loans</c> and <c>/v1/balances</c> (read-only, every role).</summary>
public static class LoansApi
{
    /// <summary>Longest loan id looked up; a longer one cannot be a loan's.</summary>
    private const int MaxLoanIdLength = 256;

    /// <summary>Maps the loan endpoints onto <paramref name="v1"/> (the <c>/v1</c> group).</summary>
    public static RouteGroupBuilder MapLoansApi(this RouteGroupBuilder v1)
    {
        var loans = v1.MapGroup("/loans").WithTags("Loans");
        loans.MapGet("/", ListAsync)
            .WithName("ListLoans")
            .WithSummary("List capacity loans")
            .WithDescription("Loans between hubs, newest first, a page at a time; optionally only those a hub lent or borrowed (hubId) and in one state. Pass the page's nextCursor as cursor for the next page.")
            .ProducesApiProblem(StatusCodes.Status400BadRequest);

        loans.MapGet("/{loanId}", GetAsync)
            .WithName("GetLoan")
            .WithSummary("Get a loan")
            .WithDescription("One loan: its slices per lender data center with their carbon and latency, its price, term and notice, its usage (core-hours, GPU-hours, kWh, kgCO2, CNY, and what it saved against running at home) and every state it went through.")
            .ProducesApiProblem(StatusCodes.Status404NotFound);

        v1.MapGet("/balances", async (IComputeGridClient grid, CancellationToken cancellationToken) =>
                TypedResults.Ok<IReadOnlyList<HubBalanceView>>([.. (await grid.GetHubBalancesAsync(cancellationToken)).Select(HubBalanceView.Of)]))
            .WithTags("Loans")
            .WithName("ListHubBalances")
            .WithSummary("List the hubs' loan balances")
            .WithDescription("Per hub: capacity lent and borrowed now, what was used both ways (core-hours, GPU-hours, kWh, kgCO2), charges earned and paid (CNY) and the balance.");
        return v1;
    }

    private static async Task<Results<Ok<LoanPageView>, ProblemHttpResult>> ListAsync(
        IComputeGridClient grid,
        [FromQuery] string? hubId,
        [FromQuery] string? state,
        [FromQuery] string? limit,
        [FromQuery] string? cursor,
        CancellationToken cancellationToken)
    {
        var scope = $"loans|{hubId}";
        if (!Paging.TryRead<LoanState>(scope, state, limit, cursor, out var query, out var problem))
        {
            return problem;
        }

        var pool = await grid.GetPoolAsync(cancellationToken);
        if (hubId is not null && pool.Hubs.All(h => h.Hub.Id != hubId))
        {
            return Problems.Invalid("hubId", "no hub with this id; GET /v1/hubs lists them");
        }

        var page = await grid.ListLoansAsync(hubId, query.State, query.Limit, query.Cursor, cancellationToken);
        var running = RunningLoanJobs.Of(pool);
        return TypedResults.Ok(new LoanPageView([.. page.Loans.Select(l => LoanSummaryView.Of(l, running))], Paging.NextCursor(scope, state, page.NextCursor)));
    }

    private static async Task<Results<Ok<LoanView>, ProblemHttpResult>> GetAsync(string loanId, IComputeGridClient grid, CancellationToken cancellationToken)
    {
        if (loanId.Length > MaxLoanIdLength)
        {
            return Problems.NotFound("loanId", "no loan with this id");
        }

        try
        {
            var loan = await grid.GetLoanAsync(loanId, cancellationToken);
            return TypedResults.Ok(LoanView.Of(loan, RunningLoanJobs.Of(await grid.GetPoolAsync(cancellationToken))));
        }
        catch (ComputeGridNotFoundException)
        {
            return Problems.NotFound("loanId", "no loan with this id");
        }
    }
}
