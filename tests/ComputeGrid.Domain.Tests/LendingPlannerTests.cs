using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

public class LendingPlannerTests
{
    private static NationalTopology Topology => Shipped.Topology;

    private static List<CandidateState> View(Func<DataCenterSpec, CandidateState?>? change = null) =>
        [.. Topology.DataCenters.Values.Select(d => change?.Invoke(d) ?? new CandidateState(d, DataCenterStatus.Online, d.Capacity))];

    private static LendingProposal Propose(ResourceVector asked, double? maxLatencyMs = null, HubQuota? quota = null, List<CandidateState>? view = null, ResourceVector? ownNeed = null) =>
        LendingPlanner.Propose("yangtze", "gansu", asked, maxLatencyMs, quota ?? HubQuota.Default, Topology, view ?? View(), ResourceVector.Zero, ownNeed ?? ResourceVector.Zero, 0);

    [Fact]
    public void A_lender_offers_only_its_own_online_data_centers_and_no_more_than_asked()
    {
        var asked = ResourceVector.Of(4_000, 8_192);

        var proposal = Propose(asked);

        Assert.Null(proposal.Refusal);
        Assert.All(proposal.Slices, s => Assert.Equal("yangtze", Topology.DataCenters[s.DataCenterId].HubId));
        Assert.True(proposal.Slices.Aggregate(ResourceVector.Zero, (sum, s) => sum.Plus(s.Amount)).IsWithin(asked));
    }

    [Fact]
    public void An_offline_data_center_is_never_offered()
    {
        var offline = Topology.DataCentersOf("yangtze").First().Id;

        var proposal = Propose(ResourceVector.Of(1_000_000, 1_000_000), view: View(d => d.Id == offline ? new CandidateState(d, DataCenterStatus.Offline, d.Capacity) : null));

        Assert.DoesNotContain(proposal.Slices, s => s.DataCenterId == offline);
    }

    [Fact]
    public void What_its_own_waiting_jobs_need_stays_home()
    {
        var all = Topology.DataCentersOf("yangtze").Aggregate(ResourceVector.Zero, (sum, d) => sum.Plus(d.Capacity));

        var proposal = Propose(ResourceVector.Of(1_000, 1_024), ownNeed: all);

        Assert.Empty(proposal.Slices);
        Assert.Equal("no spare capacity beyond what our 0 waiting jobs need", proposal.Refusal);
    }

    [Fact]
    public void A_reached_lending_limit_is_named_as_the_reason()
    {
        var proposal = Propose(ResourceVector.Of(1_000, 1_024), quota: new HubQuota(ResourceVector.Zero, null, ReclaimPolicy.Any));

        Assert.Equal("our lending limit is reached", proposal.Refusal);
    }

    [Fact]
    public void Sites_beyond_the_requested_latency_are_not_offered()
    {
        var proposal = Propose(ResourceVector.Of(1_000, 1_024), maxLatencyMs: 0.001);

        Assert.Empty(proposal.Slices);
        Assert.Equal("no spare capacity within the requested latency", proposal.Refusal);
    }

    [Fact]
    public void Sites_with_the_gpu_model_asked_for_come_first()
    {
        var withGpus = Topology.DataCentersOf("yangtze").Where(d => d.Capacity.Gpus.Count > 0).ToList();
        Assert.NotEmpty(withGpus);
        var model = withGpus[0].Capacity.Gpus.Keys.First();

        var proposal = Propose(ResourceVector.Of(1_000, 1_024, [new(model, 1)]));

        Assert.Contains(model, Topology.DataCenters[proposal.Slices[0].DataCenterId].Capacity.Gpus.Keys);
    }

    private static LoanTerms Offer(params ResourceVector[] slices) => new(
        "loan-1", "req-1", "gansu", "yangtze", [.. slices.Select((a, i) => new LoanSlice($"dc-{i}", a, 0.3, 10))], new LoanPrice(1, 10), TimeSpan.FromHours(1), TimeSpan.FromMinutes(5), ExpiryTerms.FinishRunning, DateTimeOffset.UnixEpoch);

    [Fact]
    public void An_offer_is_useful_only_when_a_waiting_job_fits_in_one_slice()
    {
        var offer = Offer(ResourceVector.Of(2_000, 2_048), ResourceVector.Of(2_000, 2_048));

        Assert.True(LendingPlanner.IsUseful(offer, [new ResourceRequest(2_000, 2_048)]));
        Assert.False(LendingPlanner.IsUseful(offer, [new ResourceRequest(3_000, 2_048)]));
    }

    [Theory]
    [InlineData(LoanState.Active, false, false, true)]
    [InlineData(LoanState.Active, true, false, false)]
    [InlineData(LoanState.Active, false, true, false)]
    [InlineData(LoanState.Recalling, false, true, true)]
    [InlineData(LoanState.Recalling, true, false, false)]
    [InlineData(LoanState.Draining, false, false, false)]
    [InlineData(LoanState.Offered, false, false, false)]
    public void A_borrowed_loan_goes_back_when_nothing_runs_on_it_and_nothing_waiting_could_use_it(LoanState state, bool inUse, bool aJobWaitsThatFits, bool returns)
    {
        var offer = Offer(ResourceVector.Of(2_000, 2_048));
        JobSpec[] waiting = aJobWaitsThatFits ? [Shipped.ValidJob with { Resources = new ResourceRequest(1_000, 1_024) }] : [];

        Assert.Equal(returns, LendingPlanner.ShouldReturn(state, offer, inUse, waiting));
    }
}
