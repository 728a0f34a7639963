using ComputeGrid.Contracts.Loans;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Targets;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Gateway.Ops;

namespace ComputeGrid.Gateway.Tests;

/// <summary>The federation view's arithmetic over hand-made readings of the pool, the loan book and the balances.</summary>
public sealed class FederationFeedTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly PoolSnapshot Pool = new(
        [
            Hub("yangtze", Zone.East, Dc("wuhu", "yangtze", used: 0, kwh: 10, jobsFinished: 2)),
            Hub("bth", Zone.East, Dc("zhangjiakou", "bth", used: 4_000, kwh: 0, jobsFinished: 0)),
            Hub("guizhou", Zone.West, Dc("guian", "guizhou", used: 12_000, kwh: 5, jobsFinished: 1, borrowedJobs: 3)),
        ],
        ResourceVector.Of(300_000, 300 * 1024),
        ResourceVector.Of(16_000, 0),
        4,
        new Footprint(15, 3, 9));

    [Fact]
    public void An_arrow_sums_every_accepted_open_loan_of_a_borrower_and_lender_pair()
    {
        var view = Compose(
            Loan("a", "yangtze", "guizhou", 4_000, LoanState.Active),
            Loan("b", "yangtze", "guizhou", 8_000, LoanState.Recalling),
            Loan("c", "bth", "yangtze", 2_000, LoanState.Active));

        var arrow = Assert.Single(view.Arrows, a => a.Borrower == "yangtze" && a.Lender == "guizhou");
        Assert.Equal(2, arrow.Loans);
        Assert.Equal(12_000, arrow.Amount.CpuMillicores);
        Assert.True(arrow.EastToWest);
        Assert.False(Assert.Single(view.Arrows, a => a.Borrower == "bth").EastToWest);
        Assert.Equal(3, view.Totals.OpenLoans);
    }

    [Theory]
    [InlineData(LoanState.Offered)]
    [InlineData(LoanState.Returned)]
    [InlineData(LoanState.Expired)]
    [InlineData(LoanState.Recalled)]
    [InlineData(LoanState.Declined)]
    public void A_loan_not_accepted_or_already_ended_draws_no_arrow(LoanState state)
    {
        var view = Compose(Loan("a", "yangtze", "guizhou", 4_000, state));

        Assert.Empty(view.Arrows);
        Assert.Empty(view.OpenLoans);
        Assert.Equal(0, view.EastToWest.BorrowedNow.CpuMillicores);
    }

    [Fact]
    public void East_to_west_counts_capacity_borrowed_now_and_the_settled_use_of_every_east_to_west_loan()
    {
        var view = Compose(
            Loan("open", "yangtze", "guizhou", 4_000, LoanState.Active, jobs: 1, coreHours: 2, kwh: 1, kwhAtHome: 1.5),
            Loan("ended", "yangtze", "guizhou", 8_000, LoanState.Returned, jobs: 3, coreHours: 6, kwh: 2, kwhAtHome: 3),
            Loan("east-east", "bth", "yangtze", 2_000, LoanState.Active, jobs: 5, coreHours: 50, kwh: 9, kwhAtHome: 9));

        Assert.Equal(4_000, view.EastToWest.BorrowedNow.CpuMillicores);
        Assert.Equal(1, view.EastToWest.OpenLoans);
        Assert.Equal(4, view.EastToWest.JobsFinished);
        Assert.Equal(8, view.EastToWest.CoreHours, 12);
        Assert.Equal(3, view.EastToWest.Footprint.EnergyKwh, 12);
        Assert.Equal(1.5, view.EastToWest.Saved.EnergyKwh, 12);
        Assert.Equal(3, view.EastToWest.BorrowedJobsInWest);
    }

    [Fact]
    public void Totals_carry_the_pools_footprint_queue_finished_jobs_and_dominant_utilisation()
    {
        var view = Compose();

        Assert.Equal(15, view.Totals.Executed.EnergyKwh);
        Assert.Equal(4, view.Totals.Queued);
        Assert.Equal(3, view.Totals.JobsFinished);
        Assert.Equal(3, view.Totals.DataCenters);
        Assert.Equal(16_000 / 300_000.0, view.Totals.Utilisation, 12);
        Assert.Equal(Now, view.At);
    }

    [Fact]
    public void Each_hub_is_read_against_its_zones_PUE_target_and_the_national_shares()
    {
        var view = Compose();

        var guizhou = view.Hubs.Single(h => h.Id == "guizhou");
        var bth = view.Hubs.Single(h => h.Id == "bth");
        Assert.Equal(1.2, guizhou.Targets.Pue.Target);
        Assert.Equal(1.25, bth.Targets.Pue.Target);
        Assert.Equal(ReadingBasis.FinishedWork, guizhou.Targets.GreenShare.Basis);
        Assert.Equal(ReadingBasis.Capacity, bth.Targets.GreenShare.Basis);
        Assert.Equal(0.12, guizhou.Targets.Utilisation.Value, 12);
        Assert.Equal(3, guizhou.BorrowedJobs);
    }

    [Fact]
    public void Balances_give_each_hub_its_capacity_lent_and_borrowed_now_and_the_total_saved_by_borrowing()
    {
        var balances = new[]
        {
            Balance("guizhou", lent: 4_000, borrowed: 0, saved: 0),
            Balance("yangtze", lent: 0, borrowed: 4_000, saved: 2.5),
        };

        var view = FederationFeed.Compose(Pool, balances, [], loansTruncated: false, Now, NationalTargets.Default);

        Assert.Equal(4_000, view.Hubs.Single(h => h.Id == "guizhou").LentNow.CpuMillicores);
        Assert.Equal(4_000, view.Hubs.Single(h => h.Id == "yangtze").BorrowedNow.CpuMillicores);
        Assert.Equal(0, view.Hubs.Single(h => h.Id == "bth").LentNow.CpuMillicores);
        Assert.Equal(2.5, view.Totals.SavedByBorrowing.CarbonKg, 12);
    }

    [Fact]
    public void An_arrow_carries_what_its_loans_settled_together_for_the_hover()
    {
        var view = Compose(
            Loan("a", "yangtze", "guizhou", 4_000, LoanState.Active, jobs: 3, coreHours: 1.5, kwh: 2, kwhAtHome: 3),
            Loan("b", "yangtze", "guizhou", 8_000, LoanState.Active, jobs: 2, coreHours: 0.5, kwh: 1, kwhAtHome: 1));

        var usage = Assert.Single(view.Arrows).Usage!;
        Assert.Equal(5, usage.Jobs);
        Assert.Equal(2.0, usage.CoreHours, 12);
        Assert.Equal(3.0, usage.Footprint.EnergyKwh, 12);
        Assert.Equal(1.0, usage.Saved.EnergyKwh, 12);
    }

    [Fact]
    public void Trend_counts_are_given_per_minute_whatever_the_sampling_interval()
    {
        var readings = new ComputeGrid.Contracts.Ops.TrendReadings(new Dictionary<string, int> { ["gba"] = 4 }, new Dictionary<string, double> { ["gba"] = 30 }, 0.25, 0.4);
        var trends = new ComputeGrid.Contracts.Ops.OpsTrends(TimeSpan.FromSeconds(15), [new(Now, 10, 5, readings)], []);

        var point = Assert.Single(TrendsView.Of(trends).Points);

        Assert.Equal(40, point.SubmittedPerMinute, 12);
        Assert.Equal(20, point.PlacedPerMinute, 12);
        Assert.Equal(4, point.QueueLength["gba"]);
        Assert.Equal(0.25, point.WestCoreShare);
        Assert.Equal(15, TrendsView.Of(trends).IntervalSeconds);
    }

    private static FederationView Compose(params LoanSummary[] loans) =>
        FederationFeed.Compose(Pool, [], loans, loansTruncated: false, Now, NationalTargets.Default);

    private static HubSnapshot Hub(string id, Zone zone, DataCenterSnapshot dc) =>
        new(new Hub(id, id, id, zone, dc.Spec.Location), [dc], 0, dc.Spec.Capacity, dc.Used, dc.Executed);

    private static DataCenterSnapshot Dc(string id, string hub, long used, double kwh, long jobsFinished, int borrowedJobs = 0)
    {
        var spec = new DataCenterSpec(id, id, hub, new GeoPoint(30, 110), ResourceVector.Of(100_000, 100 * 1024), new EnergyProfile(1.2, 0.5, 0.8, 0.4));
        var usedVector = ResourceVector.Of(used, 0);
        return new DataCenterSnapshot(spec, DataCenterStatus.Online, usedVector, spec.Capacity.Minus(usedVector), 0, new Footprint(kwh, kwh / 5, kwh / 2), jobsFinished, ResourceVector.Zero, borrowedJobs);
    }

    private static LoanSummary Loan(string id, string borrower, string lender, long cpu, LoanState state, long jobs = 0, double coreHours = 0, double kwh = 0, double kwhAtHome = 0) =>
        new(
            id,
            lender,
            borrower,
            ResourceVector.Of(cpu, cpu),
            state,
            new LoanPrice(0.5, 10),
            new LoanUsage(jobs, coreHours, 0, new Footprint(kwh, 0, 0), new Footprint(kwhAtHome, 0, 0), 0),
            Now.AddMinutes(-10),
            state is LoanState.Offered or LoanState.Declined ? null : Now.AddMinutes(-9),
            1);

    private static HubBalance Balance(string hub, long lent, long borrowed, double saved) =>
        new(
            hub,
            ResourceVector.Of(lent, 0),
            ResourceVector.Of(borrowed, 0),
            0,
            0,
            default,
            new LoanUsage(0, 0, 0, Footprint.Zero, new Footprint(0, saved, 0), 0),
            0,
            0);
}
