using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

/// <summary>When a hub borrows (policy: the best place is in a peer) and for how much (the waiting jobs within the borrowing room).</summary>
public class BorrowPlannerTests
{
    private static readonly TimeSpan MinTerm = TimeSpan.FromHours(1);
    private static readonly TimeSpan MaxTerm = TimeSpan.FromDays(7);

    private static NationalTopology Topology => Shipped.Topology;

    private static readonly Dictionary<string, DemandCase> DemandCases = new()
    {
        ["with no borrowing limit it covers every waiting job"] = new(
            [Job(8), Job(8), Job(8)], MaxJobs: 500, Room: null,
            Amount: ResourceVector.Of(24_000, 24 * 4_096), Jobs: 3),
        ["it borrows up to the borrowing limit exactly"] = new(
            [Job(8), Job(8), Job(4)], 500, Room: ResourceVector.Of(20_000, 20 * 4_096),
            Amount: ResourceVector.Of(20_000, 20 * 4_096), Jobs: 3),
        ["a job that would pass the borrowing limit is skipped and later smaller jobs still fit"] = new(
            [Job(8), Job(8), Job(8), Job(2)], 500, Room: ResourceVector.Of(18_000, 18 * 4_096),
            Amount: ResourceVector.Of(18_000, 18 * 4_096), Jobs: 3),
        ["a job short of memory room is skipped even when its CPU fits"] = new(
            [Job(4, memoryMiB: 64 * 1_024), Job(4)], 500, Room: ResourceVector.Of(20_000, 32 * 1_024),
            Amount: ResourceVector.Of(4_000, 4 * 4_096), Jobs: 1),
        ["a job whose GPU model the borrowing limit names with 0 is skipped"] = new(
            [Job(4, gpus: 1, model: "A800"), Job(4, gpus: 2, model: "910B")], 500,
            Room: new ResourceVector(20_000, 20 * 4_096, System.Collections.Immutable.ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("910B", 2), KeyValuePair.Create("A800", 0)])),
            Amount: ResourceVector.Of(4_000, 4 * 4_096, [new("910B", 2)]), Jobs: 1),
        ["a job whose GPU model the borrowing limit does not name is not limited by it"] = new(
            [Job(4, gpus: 1, model: "A800"), Job(4, gpus: 2, model: "910B")], 500, Room: ResourceVector.Of(20_000, 20 * 4_096, [new("910B", 2)]),
            Amount: ResourceVector.Of(8_000, 8 * 4_096, [new("910B", 2), new("A800", 1)]), Jobs: 2),
        ["it covers at most maxJobs jobs in queue order"] = new(
            [Job(1), Job(2), Job(4)], MaxJobs: 2, Room: null,
            Amount: ResourceVector.Of(3_000, 3 * 4_096), Jobs: 2),
        ["a job skipped for room still counts against maxJobs"] = new(
            [Job(8), Job(8), Job(2)], MaxJobs: 2, Room: ResourceVector.Of(10_000, 10 * 4_096),
            Amount: ResourceVector.Of(8_000, 8 * 4_096), Jobs: 1),
        ["it asks for nothing when no waiting job fits the borrowing room"] = new(
            [Job(8), Job(16)], 500, Room: ResourceVector.Of(4_000, 4 * 4_096), Amount: null, Jobs: 0),
        ["it asks for nothing once the borrowing limit is used up"] = new(
            [Job(1)], 500, Room: ResourceVector.Zero, Amount: null, Jobs: 0),
        ["it asks for nothing when nothing waits"] = new([], 500, Room: null, Amount: null, Jobs: 0),
    };

    public static TheoryData<string> DemandScenarios => [.. DemandCases.Keys];

    [Theory]
    [MemberData(nameof(DemandScenarios))]
    public void A_borrower_asks_for_its_waiting_jobs_in_queue_order_within_its_borrowing_room(string scenario)
    {
        var c = DemandCases[scenario];

        var demand = BorrowPlanner.Demand(c.Waiting, c.MaxJobs, c.Room, 1.5, MinTerm, MaxTerm);

        Assert.Equal(c.Amount, demand?.Amount);
        Assert.Equal(c.Jobs, demand?.Jobs ?? 0);
        if (demand is not null && c.Room is { } room)
        {
            Assert.True(QuotaMath.WithinLimit(demand.Amount, room), $"{demand.Amount} is beyond the room {room}");
        }
    }

    [Theory]
    [InlineData(2.0, 1.5, 3.0)]
    [InlineData(0.25, 1.5, 1.0)]
    [InlineData(200.0, 1.5, 168.0)]
    [InlineData(4.0, 1.0, 4.0)]
    [InlineData(4.0, 10.0, 40.0)]
    public void The_term_is_the_longest_jobs_run_time_times_the_term_factor_within_min_and_max_term(double longestHours, double factor, double termHours)
    {
        var jobs = new[] { Job(1) with { RunTime = TimeSpan.FromHours(longestHours / 4) }, Job(1) with { RunTime = TimeSpan.FromHours(longestHours) } };

        var demand = BorrowPlanner.Demand(jobs, 500, null, factor, MinTerm, MaxTerm)!;

        Assert.Equal(TimeSpan.FromHours(termHours), demand.Term);
    }

    [Fact]
    public void The_term_counts_only_the_jobs_the_demand_covers()
    {
        var jobs = new[] { Job(1) with { RunTime = TimeSpan.FromHours(2) }, Job(64) with { RunTime = TimeSpan.FromHours(48) } };

        var demand = BorrowPlanner.Demand(jobs, 500, ResourceVector.Of(8_000, 8 * 4_096), 1.5, MinTerm, MaxTerm)!;

        Assert.Equal(TimeSpan.FromHours(3), demand.Term);
    }

    [Theory]
    [InlineData(new[] { LatencyClass.Batch, LatencyClass.Batch }, null)]
    [InlineData(new[] { LatencyClass.Batch, LatencyClass.Regional }, 20.0)]
    [InlineData(new[] { LatencyClass.Regional, LatencyClass.Interactive, LatencyClass.Batch }, 5.0)]
    public void The_latency_bound_asked_for_is_the_strictest_among_the_covered_jobs(LatencyClass[] classes, double? maxLatencyMs)
    {
        var demand = BorrowPlanner.Demand(classes.Select(c => Job(1) with { LatencyClass = c }), 500, null, 1.5, MinTerm, MaxTerm)!;

        Assert.Equal(maxLatencyMs, demand.MaxLatencyMs);
    }

    [Theory]
    [InlineData(new[] { PlacementPolicy.Cheapest, PlacementPolicy.Greenest, PlacementPolicy.Greenest }, PlacementPolicy.Greenest)]
    [InlineData(new[] { PlacementPolicy.Fastest, PlacementPolicy.Greenest }, PlacementPolicy.Fastest)]
    [InlineData(new[] { PlacementPolicy.Balanced, PlacementPolicy.Cheapest, PlacementPolicy.Cheapest, PlacementPolicy.Balanced }, PlacementPolicy.Balanced)]
    public void The_policy_asked_for_is_the_one_most_covered_jobs_follow_ties_going_to_the_first_jobs(PlacementPolicy[] policies, PlacementPolicy expected)
    {
        var demand = BorrowPlanner.Demand(policies.Select(p => Job(1) with { Policy = p }), 500, null, 1.5, MinTerm, MaxTerm)!;

        Assert.Equal(expected, demand.Policy);
    }

    private static ResourceVector Cores(int cores, int gpus = 0, string model = "910B") =>
        ResourceVector.Of(cores * 1_000L, cores * 4_096L, gpus > 0 ? [new(model, gpus)] : null);

    private static readonly Dictionary<string, SizeCase> SizeCases = new()
    {
        ["without a forecast the loan covers the waiting jobs only"] = new(
            Waiting: Cores(8), Forecast: ResourceVector.Zero, OpenRoom: ResourceVector.Zero, Room: null, Amount: Cores(8)),
        ["the forecast is added to the waiting jobs' demand"] = new(
            Cores(8), Forecast: Cores(24), OpenRoom: ResourceVector.Zero, Room: null, Amount: Cores(32)),
        ["room open loans from the peer still have is taken off the forecast"] = new(
            Cores(8), Forecast: Cores(24), OpenRoom: Cores(10), Room: null, Amount: Cores(22)),
        ["open room beyond the forecast adds nothing"] = new(
            Cores(8), Forecast: Cores(24), OpenRoom: Cores(40), Room: null, Amount: Cores(8)),
        ["the added part stays within the borrowing room the waiting jobs leave"] = new(
            Cores(8), Forecast: Cores(24), OpenRoom: ResourceVector.Zero, Room: Cores(20), Amount: Cores(20)),
        ["waiting jobs that fill the borrowing room leave nothing to add"] = new(
            Cores(8), Forecast: Cores(24), OpenRoom: ResourceVector.Zero, Room: Cores(8), Amount: Cores(8)),
        ["the borrowing limit caps the added GPUs of a model it names"] = new(
            Cores(2, gpus: 2), Forecast: Cores(12, gpus: 12), OpenRoom: ResourceVector.Zero,
            Room: ResourceVector.Of(100_000, 100 * 4_096, [new("910B", 6)]), Amount: Cores(14, gpus: 6)),
        ["GPUs are added only of the models the waiting jobs ask for"] = new(
            Cores(2, gpus: 1), Forecast: ResourceVector.Of(6_000, 6 * 4_096, [new("910B", 3), new("A800", 3)]), OpenRoom: ResourceVector.Zero, Room: null,
            Amount: Cores(8, gpus: 4)),
        ["a GPU model only the open room has does not reduce the forecast below zero"] = new(
            Cores(2), Forecast: Cores(6), OpenRoom: Cores(1, gpus: 4, model: "A800"), Room: null, Amount: Cores(7)),
    };

    public static TheoryData<string> SizeScenarios => [.. SizeCases.Keys];

    [Theory]
    [MemberData(nameof(SizeScenarios))]
    public void A_loan_is_sized_to_the_waiting_jobs_plus_the_forecast_beyond_open_room_within_the_borrowing_room(string scenario)
    {
        var c = SizeCases[scenario];
        var waiting = new BorrowDemand(c.Waiting, TimeSpan.FromHours(3), null, PlacementPolicy.Greenest, 2);

        var sized = BorrowPlanner.WithForecast(waiting, c.Forecast, c.OpenRoom, c.Room);

        Assert.Equal(c.Amount, sized.Amount);
        Assert.Equal(c.Amount.Minus(c.Waiting), sized.Forecast);
        Assert.Equal((waiting.Term, waiting.Jobs, waiting.Policy), (sized.Term, sized.Jobs, sized.Policy));
        if (c.Room is { } room)
        {
            Assert.True(QuotaMath.WithinLimit(sized.Amount, room), $"{sized.Amount} is beyond the room {room}");
        }
    }

    [Fact]
    public void A_Greenest_batch_job_from_yangtze_wants_a_loan_from_guizhou_in_the_national_topology()
    {
        Assert.Equal("guizhou", BorrowPlanner.WantsLoanFrom(Shipped.ValidJob, Topology, AllOnline(), null, _ => true));
    }

    [Fact]
    public void A_Fastest_job_from_yangtze_wants_no_loan_because_its_best_place_is_at_home()
    {
        var job = Shipped.ValidJob with { Policy = PlacementPolicy.Fastest };

        Assert.Null(BorrowPlanner.WantsLoanFrom(job, Topology, AllOnline(), null, _ => true));
    }

    [Fact]
    public void No_wish_when_the_borrower_already_has_loan_room_in_the_best_hub()
    {
        var onLoan = new ScoredCandidate("guian", "guizhou", 20, default, 0, 0);

        Assert.Null(BorrowPlanner.WantsLoanFrom(Shipped.ValidJob, Topology, AllOnline(), onLoan, _ => true));
    }

    [Fact]
    public void Loan_room_in_another_hub_does_not_stop_the_wish_for_the_best_hub()
    {
        var onLoan = new ScoredCandidate("qingyang", "gansu", 20, default, 0, 0);

        Assert.Equal("guizhou", BorrowPlanner.WantsLoanFrom(Shipped.ValidJob, Topology, AllOnline(), onLoan, _ => true));
    }

    [Theory]
    [InlineData(new[] { "guizhou" }, "gansu")]
    [InlineData(new[] { "guizhou", "gansu" }, "chengyu")]
    [InlineData(new[] { "guizhou", "gansu", "chengyu", "ningxia", "inner-mongolia", "gba", "bth" }, null)]
    public void Hubs_that_mayAsk_refuses_are_skipped_for_the_next_greenest(string[] refused, string? wanted)
    {
        var wants = BorrowPlanner.WantsLoanFrom(Shipped.ValidJob, Topology, AllOnline(), null, hub => !refused.Contains(hub));

        Assert.Equal(wanted, wants);
    }

    [Fact]
    public void A_full_best_hub_is_not_wanted_and_the_next_greenest_is()
    {
        var pool = AllOnline(d => d.Id == "guian" ? new CandidateState(d, DataCenterStatus.Online, ResourceVector.Zero) : null);

        Assert.Equal("gansu", BorrowPlanner.WantsLoanFrom(Shipped.ValidJob, Topology, pool, null, _ => true));
    }

    [Fact]
    public void A_job_restricted_to_its_own_hub_wants_no_loan()
    {
        var job = Shipped.ValidJob with { AllowedHubs = ["yangtze"] };

        Assert.Null(BorrowPlanner.WantsLoanFrom(job, Topology, AllOnline(), null, _ => true));
    }

    [Theory]
    [InlineData("guizhou", 4, "H800", true)]
    [InlineData("gansu", 4, "H800", false)]
    [InlineData("gansu", 4, "910B", true)]
    [InlineData("guizhou", 0, null, true)]
    public void A_hub_could_run_a_job_when_some_data_center_there_has_its_GPU_model_and_size(string hub, int gpus, string? model, bool could)
    {
        var job = Shipped.ValidJob with { Resources = new ResourceRequest(4_000, 16_384, gpus, model) };

        Assert.Equal(could, BorrowPlanner.CouldRunIn(job, Topology, hub));
    }

    [Fact]
    public void A_hub_the_jobs_data_residency_excludes_could_never_run_it()
    {
        var job = Shipped.ValidJob with { AllowedHubs = ["yangtze"] };

        Assert.False(BorrowPlanner.CouldRunIn(job, Topology, "guizhou"));
    }

    private static JobSpec Job(int cores, long? memoryMiB = null, int gpus = 0, string? model = null) =>
        Shipped.ValidJob with { Resources = new ResourceRequest(cores * 1_000L, memoryMiB ?? cores * 4_096L, gpus, model) };

    private static List<CandidateState> AllOnline(Func<DataCenterSpec, CandidateState?>? change = null) =>
        [.. Topology.DataCenters.Values.Select(d => change?.Invoke(d) ?? new CandidateState(d, DataCenterStatus.Online, d.Capacity))];

    private sealed record SizeCase(ResourceVector Waiting, ResourceVector Forecast, ResourceVector OpenRoom, ResourceVector? Room, ResourceVector Amount);

    private sealed record DemandCase(JobSpec[] Waiting, int MaxJobs, ResourceVector? Room, ResourceVector? Amount, int Jobs);
}
