using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

/// <summary>GreenestPredictive: when a full data center has room for a job, and whether the job waits for it or spills.</summary>
public class PredictiveWaitTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly ResourceRequest FourCores = new(4_000, 16_384);

    private static ResourceVector Cores(double cores) => ResourceVector.Of((long)(cores * 1_000), (long)(cores * 4_096));

    private static ResourceRate CoresPerHour(double cores) => new(cores * 1_000, cores * 4_096, 0);

    private static KnownRelease Release(double cores, double minutes) => new(Now.AddMinutes(minutes), Cores(cores));

    private static RoomOutlook Outlook(double room = 0, KnownRelease[]? releases = null, double released = 0, double competing = 0, double notBeforeMinutes = 0) =>
        new(Cores(room), releases ?? [], CoresPerHour(released), CoresPerHour(competing), Now.AddMinutes(notBeforeMinutes));

    private sealed record StartCase(ResourceRequest Need, RoomOutlook Outlook, double LatestMinutes, double? StartMinutes);

    private static readonly Dictionary<string, StartCase> Starts = new()
    {
        ["room for it now starts now"] = new(FourCores, Outlook(room: 4), 60, 0),
        ["a known release of its size starts it then"] = new(FourCores, Outlook(releases: [Release(4, 30)]), 60, 30),
        ["two known releases add up: it starts at the second"] = new(FourCores, Outlook(room: 1, releases: [Release(1, 10), Release(2, 40)]), 60, 40),
        ["2 cores short at 4 cores an hour freed: 30 minutes"] = new(FourCores, Outlook(room: 2, released: 4), 60, 30),
        ["competing arrivals take their rate off the release rate: 2 short at 4 - 2 an hour is an hour"] = new(FourCores, Outlook(room: 2, released: 4, competing: 2), 90, 60),
        ["a release rate no greater than the competing demand never fills the gap"] = new(FourCores, Outlook(room: 2, released: 2, competing: 2), 24 * 60, null),
        ["a release after the latest start does not count"] = new(FourCores, Outlook(releases: [Release(4, 120)]), 60, null),
        ["a known release and the rate together: 3 cores after 15 minutes, the fourth 15 minutes later"] = new(FourCores, Outlook(releases: [Release(2, 15)], released: 4), 60, 30),
        ["nothing starts before a peer's back-off ends, even with room"] = new(FourCores, Outlook(room: 4, notBeforeMinutes: 10), 60, 10),
        ["a back-off that ends after the latest start leaves no start"] = new(FourCores, Outlook(room: 4, notBeforeMinutes: 90), 60, null),
        ["the tightest dimension decides: memory freed at 32 GiB an hour needs 30 minutes although the CPU is there"] = new(
            FourCores, new RoomOutlook(ResourceVector.Of(8_000, 0), [], new ResourceRate(0, 32_768, 0), ResourceRate.Zero, Now), 60, 30),
        ["GPUs of another model free nothing for a 910B job"] = new(
            new ResourceRequest(1_000, 1_024, 2, "910B"),
            new RoomOutlook(ResourceVector.Of(8_000, 8_192), [new(Now.AddMinutes(10), ResourceVector.Of(0, 0, [new("H800", 2)]))], ResourceRate.Zero, ResourceRate.Zero, Now),
            60,
            null),
        ["GPUs of its model freed by a known release start it then"] = new(
            new ResourceRequest(1_000, 1_024, 2, "910B"),
            new RoomOutlook(ResourceVector.Of(8_000, 8_192), [new(Now.AddMinutes(10), ResourceVector.Of(0, 0, [new("910B", 2)]))], ResourceRate.Zero, ResourceRate.Zero, Now),
            60,
            10),
    };

    public static TheoryData<string> StartScenarios => [.. Starts.Keys];

    [Theory]
    [MemberData(nameof(StartScenarios))]
    public void The_predicted_start_is_the_first_instant_the_room_plus_known_releases_plus_the_net_release_rate_holds_the_job(string scenario)
    {
        var c = Starts[scenario];

        var start = PredictiveWait.PredictStart(c.Need, c.Outlook, Now, Now.AddMinutes(c.LatestMinutes));

        Assert.Equal(c.StartMinutes is { } m ? Now.AddMinutes(m) : null, start);
    }

    private sealed record DecideCase(double WaitedMinutes, double? PredictedInMinutes, double BestKg, double NowKg, bool Waits, double? WakeInMinutes);

    private static readonly TimeSpan Bound = TimeSpan.FromHours(1);

    private static readonly Dictionary<string, DecideCase> Decisions = new()
    {
        ["room predicted within the bound and a saving worth it: it waits, to be tried at the predicted start"] = new(10, 20, 1, 4, true, 20),
        ["room predicted now (a pass will try it): it waits, to be tried by the deadline at the latest"] = new(10, 0, 1, 4, true, 50),
        ["room predicted after its deadline: it spills"] = new(10, 55, 1, 4, false, null),
        ["no room predicted: it spills"] = new(10, null, 1, 4, false, null),
        ["a job that has waited its bound spills although room is predicted soon"] = new(60, 1, 1, 4, false, null),
        ["a saving below 10% of the carbon now is not worth a wait"] = new(0, 5, 3.8, 4, false, null),
        ["no saving at all is not worth a wait"] = new(0, 5, 4, 4, false, null),
    };

    public static TheoryData<string> DecideScenarios => [.. Decisions.Keys];

    [Theory]
    [MemberData(nameof(DecideScenarios))]
    public void A_job_waits_for_its_greenest_data_center_only_within_its_bound_for_predicted_room_and_a_saving_worth_it(string scenario)
    {
        var c = Decisions[scenario];
        var enqueued = Now.AddMinutes(-c.WaitedMinutes);

        var choice = PredictiveWait.Decide(enqueued, Now, Bound, 0.1, c.BestKg, c.NowKg, c.PredictedInMinutes is { } p ? Now.AddMinutes(p) : null);

        Assert.Equal(c.Waits, choice.Waits);
        Assert.Equal(c.WakeInMinutes is { } w ? Now.AddMinutes(w) : null, choice.WakeAt);
        Assert.Equal(enqueued + Bound, choice.Deadline);
        Assert.False(string.IsNullOrWhiteSpace(choice.Reason));
    }

    [Fact]
    public void A_job_never_waits_past_its_bound_however_often_room_is_predicted_a_minute_ahead()
    {
        var enqueued = Now;
        var waitedPasses = 0;
        for (var t = Now; t < Now.AddHours(3); t = t.AddMinutes(7))
        {
            // A prediction that is always wrong: room a minute from each pass, every pass.
            var outlook = new RoomOutlook(ResourceVector.Zero, [new KnownRelease(t.AddMinutes(1), Cores(4))], ResourceRate.Zero, ResourceRate.Zero, t);
            var choice = PredictiveWait.Choose(FourCores, outlook, enqueued, t, Bound, 0.1, 1, 4);

            Assert.Equal(t < enqueued + Bound, choice.Waits);
            Assert.True(choice.WakeAt is null || choice.WakeAt <= enqueued + Bound, "a waiting job is tried again by its deadline");
            waitedPasses += choice.Waits ? 1 : 0;
        }

        Assert.Equal(9, waitedPasses);
    }

    [Fact]
    public void A_zero_bound_never_waits_so_GreenestPredictive_is_Greenest()
    {
        var choice = PredictiveWait.Choose(FourCores, Outlook(room: 4), Now, Now, TimeSpan.Zero, 0, 1, 4);

        Assert.False(choice.Waits);
    }

    [Fact]
    public void The_release_rate_is_what_capacity_freed_notices_showed_coming_free_over_the_window()
    {
        var observer = new ReleaseObserver(TimeSpan.FromHours(1));

        // Free went 0 -> 4 cores (4 freed), then others took 2 (no notice), then 2 -> 8 (6 freed), then it fell: nothing freed.
        observer.Note("guian", Cores(0), Cores(4), Now.AddMinutes(-90));
        observer.Note("guian", Cores(0), Cores(4), Now.AddMinutes(-30));
        observer.Note("guian", Cores(2), Cores(8), Now.AddMinutes(-10));
        observer.Note("guian", Cores(8), Cores(5), Now.AddMinutes(-5));
        observer.Note("qingyang", Cores(0), Cores(64), Now.AddMinutes(-5));

        // The notice 90 minutes ago is out of the one-hour window: 4 + 6 cores in an hour.
        Assert.Equal(CoresPerHour(10), observer.RateAt("guian", FourCores, Now));
        Assert.Equal(ResourceRate.Zero, observer.RateAt("guian", FourCores, Now.AddHours(2)));
        Assert.Equal(ResourceRate.Zero, observer.RateAt("zhongwei", FourCores, Now));
    }

    [Fact]
    public void The_competing_rate_is_the_arrival_forecasts_rate_per_hour()
    {
        var forecast = new ArrivalForecast(TimeSpan.FromMinutes(10));
        forecast.Note("guizhou", FourCores, TimeSpan.FromHours(4), Now.AddMinutes(-5));
        forecast.Note("guizhou", FourCores, TimeSpan.FromHours(4), Now);

        // 8 cores in a 10-minute window, one gap of two instants: 8 x 1/2 x 6 an hour = 24 cores an hour, what Predict gives for one hour.
        Assert.Equal(CoresPerHour(24), forecast.RateOf(["guizhou"], FourCores, Now));
        Assert.Equal(24_000, forecast.Predict(["guizhou"], TimeSpan.FromHours(1), Now).CpuMillicores);
        Assert.Equal(ResourceRate.Zero, forecast.RateOf(["gansu"], FourCores, Now));
    }

    [Fact]
    public void GreenestPredictive_ranks_data_centers_as_Greenest_and_says_so_in_its_reason()
    {
        var states = Shipped.Topology.DataCenters.Values.Select(d => new CandidateState(d, DataCenterStatus.Online, d.Capacity)).ToList();
        var greenest = PlacementEngine.Plan(Shipped.ValidJob, Shipped.Topology, states);

        var predictive = PlacementEngine.Plan(Shipped.ValidJob with { Policy = PlacementPolicy.GreenestPredictive }, Shipped.Topology, states);

        Assert.Equal(greenest.Ranked.Select(r => (r.DataCenterId, r.Score)), predictive.Ranked.Select(r => (r.DataCenterId, r.Score)));
        Assert.StartsWith("GreenestPredictive: lowest carbon", predictive.ReasonFor(predictive.Ranked[0]), StringComparison.Ordinal);
    }

    [Fact]
    public void GreenestPredictive_takes_the_candidate_index_walk_of_Greenest()
    {
        var states = Shipped.Topology.DataCenters.Values.Select(d => new CandidateState(d, DataCenterStatus.Online, d.Capacity)).ToList();
        var job = Shipped.ValidJob with { Policy = PlacementPolicy.GreenestPredictive };
        var index = new CandidateIndex(Shipped.Topology, job.OriginHub, states);

        var shortlist = index.Shortlist(job, _ => true, [], 8);

        Assert.Equal(PlacementEngine.Plan(job, Shipped.Topology, states).Ranked.Take(8).Select(r => r.DataCenterId), shortlist.Ranked.Select(r => r.DataCenterId));
        Assert.Equal(PlacementEngine.Best(job, Shipped.Topology, states), index.Best(job, _ => true));
    }
}
