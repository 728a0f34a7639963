using ComputeGrid.Client;
using ComputeGrid.Contracts;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using Xunit.Abstractions;

namespace ComputeGrid.Grains.Tests;

[Collection(GridCollection.Name)]
public sealed class LoanTests(GridClusterFixture fixture, ITestOutputHelper output)
{
    private IComputeGridClient Grid => fixture.Grid;

    [Fact]
    public async Task A_greenest_batch_job_from_Yangtze_runs_in_Guizhou_under_a_loan()
    {
        var job = await Grid.SubmitAsync(Jobs.Batch("loan-e2e", origin: "yangtze", policy: PlacementPolicy.Greenest, id: Jobs.NewId("hold")));
        output.WriteLine($"submitted: {job.State}");
        try
        {
            await Eventually.TrueAsync(async () => (await Grid.GetJobAsync(job.JobId)).State == JobState.Scheduled, "the job is scheduled", TimeSpan.FromSeconds(10));
        }
        finally
        {
            var now = await Grid.GetJobAsync(job.JobId);
            output.WriteLine(string.Join("\n", now.History.Select(e => $"{e.Sequence} {e.State} {e.DataCenterId} {e.Detail}")));
            var loans = await Grid.ListLoansAsync();
            foreach (var l in loans.Loans)
            {
                output.WriteLine($"{l.LoanId} {l.Lender}->{l.Borrower} {l.State} {l.Amount}");
            }

            output.WriteLine((await fixture.Cluster.Client.GetGrain<IRegionGrain>("yangtze").GetLoansAsync()).ToString());
        }

        var placed = (await Grid.GetJobAsync(job.JobId)).Placement!;
        Assert.Equal("guizhou", placed.HubId);
        Assert.NotNull(placed.LoanId);
        var loan = await Grid.GetLoanAsync(placed.LoanId);
        Assert.Equal(LoanState.Active, loan.State);
        Assert.Equal("yangtze", loan.Terms.Borrower);
        await Grid.CancelJobAsync(job.JobId);
    }
}
