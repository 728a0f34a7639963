using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

public class PlacementExplainerTests
{
    private static NationalTopology Topology => Shipped.Topology;

    private static JobSpec Greenest => Shipped.ValidJob;

    private static JobSpec Fastest => Shipped.ValidJob with { Policy = PlacementPolicy.Fastest };

    [Fact]
    public void A_queued_job_is_never_described_as_in_a_data_center_the_regions_view_rules_out()
    {
        // The bug an operator saw: "in zhongwei ... the only feasible data center" while the table ruled zhongwei out as Offline.
        var view = View(d => d.Id == "guian" ? new CandidateState(d, DataCenterStatus.Offline, d.Capacity) : null);

        var e = PlacementExplainer.Explain(Greenest, new ExplainedJob(JobState.Queued, null, 3, 7), "yangtze", Topology, view, []);

        Assert.Contains(e.Plan.Excluded, x => x.DataCenterId == "guian" && x.Constraint == "status");
        Assert.DoesNotContain("guian", e.Summary);
        Assert.StartsWith("Queued, position 3 of 7 in yangtze's queue", e.Summary);
    }

    [Fact]
    public void A_placed_job_is_judged_with_its_own_reservation_given_back()
    {
        // wuhu is full in the view, but the job's own reservation is what fills it.
        var job = Fastest with { Resources = new ResourceRequest(4_000, 16_384) };
        var ownFill = View(d => d.Id == "wuhu" ? new CandidateState(d, DataCenterStatus.Online, ResourceVector.Zero) : null);

        var e = PlacementExplainer.Explain(job, new ExplainedJob(JobState.Running, "wuhu", null, 0), "yangtze", Topology, ownFill, []);

        Assert.Contains(e.Plan.Ranked, r => r.DataCenterId == "wuhu");
        Assert.StartsWith("Running in wuhu (own capacity of yangtze)", e.Summary);
    }

    [Fact]
    public void A_peer_data_center_is_reached_under_an_open_loan_with_room_and_otherwise_needs_a_loan()
    {
        var loans = new[] { new LoanRoom("loan-1", "guizhou", "guian", ResourceVector.Of(64_000, 262_144, [])) };

        var e = PlacementExplainer.Explain(Greenest, new ExplainedJob(JobState.Queued, null, 1, 1), "yangtze", Topology, View(), loans);

        Assert.Equal("loan loan-1 from guizhou", e.Routes["guian"]);
        Assert.Equal("needs a loan from gansu", e.Routes["qingyang"]);
        Assert.Equal("own capacity of yangtze", e.Routes["wuhu"]);
    }

    [Fact]
    public void A_job_running_on_a_loan_names_that_loan_as_its_route_though_it_fills_the_slice()
    {
        var full = new[] { new LoanRoom("loan-1", "guizhou", "guian", ResourceVector.Zero) };

        var e = PlacementExplainer.Explain(Greenest, new ExplainedJob(JobState.Running, "guian", null, 0, "loan-1"), "yangtze", Topology, View(), full);

        Assert.Equal("loan loan-1 from guizhou", e.Routes["guian"]);
        Assert.StartsWith("Running in guian (loan loan-1 from guizhou)", e.Summary);
    }

    [Fact]
    public void A_queued_job_whose_best_place_needs_a_loan_says_so()
    {
        var e = PlacementExplainer.Explain(Greenest, new ExplainedJob(JobState.Queued, null, 1, 1), "yangtze", Topology, View(), []);

        Assert.Contains("its best place guian is in guizhou, which yangtze can use only under a loan", e.Summary);
    }

    [Fact]
    public void A_loan_without_room_for_the_job_does_not_count_as_a_route()
    {
        var loans = new[] { new LoanRoom("loan-1", "guizhou", "guian", ResourceVector.Of(1_000, 1_024, [])) };

        var e = PlacementExplainer.Explain(Greenest, new ExplainedJob(JobState.Queued, null, 1, 1), "yangtze", Topology, View(), loans);

        Assert.Equal("needs a loan from guizhou", e.Routes["guian"]);
    }

    [Fact]
    public void A_queued_job_that_fits_nowhere_now_names_the_constraints_that_rule_the_pool_out()
    {
        var view = View(d => new CandidateState(d, DataCenterStatus.Online, ResourceVector.Zero));

        var e = PlacementExplainer.Explain(Greenest, new ExplainedJob(JobState.Queued, null, 1, 1), "yangtze", Topology, view, []);

        Assert.Empty(e.Plan.Ranked);
        Assert.Contains($"no data center is feasible now (capacity {Topology.DataCenters.Count})", e.Summary);
    }

    [Fact]
    public void A_placed_job_whose_data_center_is_ruled_out_now_says_it_was_placed_before()
    {
        var view = View(d => d.Id == "guian" ? new CandidateState(d, DataCenterStatus.Offline, d.Capacity) : null);

        var e = PlacementExplainer.Explain(Greenest, new ExplainedJob(JobState.Scheduled, "guian", null, 0), "yangtze", Topology, view, []);

        Assert.StartsWith("Scheduled in guian, placed before status ruled it out now", e.Summary);
    }

    private static List<CandidateState> View(Func<DataCenterSpec, CandidateState?>? change = null) =>
        [.. Topology.DataCenters.Values.Select(d => change?.Invoke(d) ?? new CandidateState(d, DataCenterStatus.Online, d.Capacity))];
}
