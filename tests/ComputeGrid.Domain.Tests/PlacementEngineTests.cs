using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

public class PlacementEngineTests
{
    private static NationalTopology Topology => Shipped.Topology;

    /// <summary>4 cores + 16 GiB at 12 W/core and 0.375 W/GiB = 54 W; for 2 hours = 0.108 kWh of IT energy.</summary>
    private const double ValidJobItKwh = 54 * 2 / 1000.0;

    [Fact]
    public void A_batch_job_from_Shanghai_with_policy_Greenest_goes_to_guian_in_the_shipped_topology()
    {
        var plan = PlacementEngine.Plan(Shipped.ValidJob, Topology, AllOnline());

        Assert.Equal("guian", plan.Ranked[0].DataCenterId);
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(4, "910B")]
    [InlineData(4, "H800")]
    [InlineData(4, "A800")]
    public void A_batch_job_with_policy_Greenest_goes_to_the_feasible_data_center_with_the_lowest_effective_carbon(int gpus, string? model)
    {
        var job = Shipped.ValidJob with { Resources = new ResourceRequest(4_000, 16_384, gpus, model) };
        var expected = Topology.DataCenters.Values
            .Where(d => gpus == 0 || d.Capacity.GpusOf(model!) >= gpus)
            .MinBy(d => d.Energy.EffectiveKgCo2PerItKwh)!;

        var plan = PlacementEngine.Plan(job, Topology, AllOnline());

        Assert.Equal(expected.Id, plan.Ranked[0].DataCenterId);
        Assert.Equal(plan.Ranked.Select(c => c.Estimate.CarbonKg).Order(), plan.Ranked.Select(c => c.Estimate.CarbonKg));
    }

    [Theory]
    [InlineData("bth")]
    [InlineData("gba")]
    [InlineData("chengyu")]
    [InlineData("ningxia")]
    public void A_batch_job_with_policy_Greenest_goes_to_guian_from_any_origin(string origin)
    {
        var plan = PlacementEngine.Plan(Shipped.ValidJob with { OriginHub = origin }, Topology, AllOnline());

        Assert.Equal("guian", plan.Ranked[0].DataCenterId);
    }

    [Fact]
    public void A_Greenest_candidates_carbon_is_its_IT_energy_times_PUE_times_grid_factor_times_one_minus_green_share()
    {
        var plan = PlacementEngine.Plan(Shipped.ValidJob, Topology, AllOnline());

        var guian = plan.Ranked[0];
        Assert.Equal(ValidJobItKwh * 1.2 * 0.4989 * (1 - 0.85), guian.Estimate.CarbonKg, 12);
    }

    [Theory]
    [InlineData(0, "zhongwei")] // no data moves: the cheapest power wins (0.36 CNY/kWh x PUE 1.2)
    [InlineData(0.01, "zhongwei")] // moving 0.01 GiB costs 0.0003 CNY, not enough to matter
    [InlineData(100, "wuhu")] // moving 100 GiB costs 3 CNY: the cheapest data center of the origin hub wins
    public void A_batch_job_with_policy_Cheapest_goes_to_the_data_center_with_the_lowest_energy_plus_transfer_cost(double inputGiB, string winner)
    {
        var job = Shipped.ValidJob with { Policy = PlacementPolicy.Cheapest, InputDataGiB = inputGiB };
        var expected = Topology.DataCenters.Values
            .MinBy(d => (ValidJobItKwh * d.Energy.Pue * d.Energy.PriceCnyPerKwh) + (d.HubId == "yangtze" ? 0 : inputGiB * 0.03))!;

        var plan = PlacementEngine.Plan(job, Topology, AllOnline());

        Assert.Equal(expected.Id, plan.Ranked[0].DataCenterId);
        Assert.Equal(winner, plan.Ranked[0].DataCenterId);
        Assert.Equal(plan.Ranked.Select(c => c.Estimate.CostCny).Order(), plan.Ranked.Select(c => c.Estimate.CostCny));
    }

    [Theory]
    [InlineData("yangtze", "yrd-demo-zone")]
    [InlineData("bth", "zhangjiakou")]
    [InlineData("gba", "shaoguan")]
    [InlineData("chengyu", "tianfu")]
    [InlineData("guizhou", "guian")]
    [InlineData("inner-mongolia", "horinger")]
    public void A_job_with_policy_Fastest_goes_to_the_data_center_with_the_lowest_latency_from_its_origin(string origin, string winner)
    {
        var job = Shipped.ValidJob with { OriginHub = origin, Policy = PlacementPolicy.Fastest };

        var plan = PlacementEngine.Plan(job, Topology, AllOnline());

        Assert.Equal(winner, plan.Ranked[0].DataCenterId);
        Assert.Equal(plan.Ranked.Select(c => c.LatencyMs).Order(), plan.Ranked.Select(c => c.LatencyMs));
    }

    [Fact]
    public void With_policy_Fastest_the_less_loaded_of_two_equally_near_data_centers_wins()
    {
        var guian = Topology.DataCenters["guian"];
        var twin = guian with { Id = "guian-twin" };
        var topology = Topology.With(twin);
        var job = Shipped.ValidJob with { OriginHub = "guizhou", Policy = PlacementPolicy.Fastest, AllowedHubs = ["guizhou"] };
        CandidateState[] candidates =
        [
            new(guian, DataCenterStatus.Online, guian.Capacity.Minus(new ResourceRequest(3_000_000, 4_096))),
            new(twin, DataCenterStatus.Online, twin.Capacity),
        ];

        var plan = PlacementEngine.Plan(job, topology, candidates);

        Assert.Equal(["guian-twin", "guian"], plan.Ranked.Select(c => c.DataCenterId));
        Assert.Equal(0.5, plan.Ranked[1].Utilisation, 9);
    }

    [Fact]
    public void An_Interactive_job_from_yangtze_only_gets_candidates_within_5_ms()
    {
        var job = Shipped.ValidJob with { LatencyClass = LatencyClass.Interactive };

        var plan = PlacementEngine.Plan(job, Topology, AllOnline());

        Assert.Equal(["wuhu", "yrd-demo-zone"], plan.Ranked.Select(c => c.DataCenterId).Order(StringComparer.Ordinal));
        Assert.All(plan.Ranked, c => Assert.InRange(c.LatencyMs, 0, 5));
        Assert.All(plan.Excluded, x => Assert.Equal("latency", x.Constraint));
        Assert.Equal(8, plan.Excluded.Count);
    }

    [Fact]
    public void A_Regional_job_from_yangtze_may_go_to_guian_which_is_within_20_ms()
    {
        var job = Shipped.ValidJob with { LatencyClass = LatencyClass.Regional };

        var plan = PlacementEngine.Plan(job, Topology, AllOnline());

        Assert.Equal("guian", plan.Ranked[0].DataCenterId);
        Assert.All(plan.Ranked, c => Assert.InRange(c.LatencyMs, 0, 20));
    }

    [Fact]
    public void AllowedHubs_restrict_a_job_to_those_hubs_and_exclude_the_rest_with_constraint_residency()
    {
        var job = Shipped.ValidJob with { AllowedHubs = ["gansu", "ningxia"] };

        var plan = PlacementEngine.Plan(job, Topology, AllOnline());

        Assert.Equal(["qingyang", "zhongwei"], plan.Ranked.Select(c => c.DataCenterId).Order(StringComparer.Ordinal));
        Assert.Equal(8, plan.Excluded.Count);
        Assert.All(plan.Excluded, x => Assert.Equal("residency", x.Constraint));
        Assert.All(plan.Excluded, x => Assert.DoesNotContain(x.HubId, job.AllowedHubs));
    }

    [Theory]
    [InlineData(DataCenterStatus.Draining)]
    [InlineData(DataCenterStatus.Offline)]
    public void A_data_center_that_is_not_Online_is_excluded_with_constraint_status(DataCenterStatus status)
    {
        var candidates = AllOnline(d => d.Id == "guian" ? new CandidateState(d, status, d.Capacity) : null);
        var expected = Topology.DataCenters.Values.Where(d => d.Id != "guian").MinBy(d => d.Energy.EffectiveKgCo2PerItKwh)!;

        var plan = PlacementEngine.Plan(Shipped.ValidJob, Topology, candidates);

        var ruledOut = Assert.Single(plan.Excluded);
        Assert.Equal(("guian", "status"), (ruledOut.DataCenterId, ruledOut.Constraint));
        Assert.DoesNotContain(plan.Ranked, c => c.DataCenterId == "guian");
        Assert.Equal(expected.Id, plan.Ranked[0].DataCenterId);
    }

    [Theory]
    [InlineData(0, 0)] // completely full
    [InlineData(3_999, 1_000_000)] // one millicore short
    [InlineData(1_000_000, 16_383)] // one MiB short
    public void A_data_center_without_enough_free_capacity_now_is_excluded_with_constraint_capacity(long freeCpu, long freeMemory)
    {
        var candidates = AllOnline(d => d.Id == "guian" ? new CandidateState(d, DataCenterStatus.Online, ResourceVector.Of(freeCpu, freeMemory)) : null);

        var plan = PlacementEngine.Plan(Shipped.ValidJob, Topology, candidates);

        var ruledOut = Assert.Single(plan.Excluded);
        Assert.Equal(("guian", "capacity"), (ruledOut.DataCenterId, ruledOut.Constraint));
        Assert.Equal("qingyang", plan.Ranked[0].DataCenterId);
    }

    [Fact]
    public void A_GPU_model_nobody_within_the_latency_class_has_excludes_them_with_constraint_gpuModel()
    {
        // From yangtze, Interactive reaches only yrd-demo-zone (H800) and wuhu (910B); neither has A800.
        var job = Shipped.ValidJob with { LatencyClass = LatencyClass.Interactive, Resources = new ResourceRequest(4_000, 16_384, 1, "A800") };

        var plan = PlacementEngine.Plan(job, Topology, AllOnline());

        Assert.Empty(plan.Ranked);
        Assert.Equal(
            ["wuhu", "yrd-demo-zone"],
            plan.Excluded.Where(x => x.Constraint == "gpuModel").Select(x => x.DataCenterId).Order(StringComparer.Ordinal));
        Assert.All(plan.Excluded.Where(x => x.Constraint != "gpuModel"), x => Assert.Equal("latency", x.Constraint));
    }

    [Fact]
    public void A_data_center_whose_total_capacity_is_too_small_is_excluded_with_constraint_size()
    {
        // 200 x 910B: wuhu has 256, guian and qingyang 512; shaoguan and tianfu have only 128.
        var job = Shipped.ValidJob with { Resources = new ResourceRequest(4_000, 16_384, 200, "910B") };

        var plan = PlacementEngine.Plan(job, Topology, AllOnline());

        Assert.Equal(["shaoguan", "tianfu"], plan.Excluded.Where(x => x.Constraint == "size").Select(x => x.DataCenterId).Order(StringComparer.Ordinal));
        Assert.Equal(["guian", "qingyang", "wuhu"], plan.Ranked.Select(c => c.DataCenterId).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(PlacementPolicy.Greenest)]
    [InlineData(PlacementPolicy.Cheapest)]
    [InlineData(PlacementPolicy.Fastest)]
    [InlineData(PlacementPolicy.Balanced)]
    public void Every_data_center_is_either_ranked_or_excluded_exactly_once(PlacementPolicy policy)
    {
        var job = Shipped.ValidJob with { Policy = policy, LatencyClass = LatencyClass.Regional, Resources = new ResourceRequest(4_000, 16_384, 1, "910B") };

        var plan = PlacementEngine.Plan(job, Topology, AllOnline());

        var ids = plan.Ranked.Select(c => c.DataCenterId).Concat(plan.Excluded.Select(x => x.DataCenterId));
        Assert.Equal(Topology.DataCenters.Keys.Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Balanced_scores_lie_between_0_and_1_and_are_ranked_lowest_first()
    {
        var plan = PlacementEngine.Plan(Shipped.ValidJob with { Policy = PlacementPolicy.Balanced }, Topology, AllOnline());

        Assert.All(plan.Ranked, c => Assert.InRange(c.Score, 0, 1));
        Assert.Equal(plan.Ranked.Select(c => c.Score).Order(), plan.Ranked.Select(c => c.Score));
    }

    [Fact]
    public void On_a_score_tie_the_data_center_in_the_origins_own_hub_wins()
    {
        // A twin of guian (same place, same energy) registered in the origin's hub: equal carbon, so home wins.
        var twin = Topology.DataCenters["guian"] with { Id = "guian-twin", HubId = "yangtze" };
        var topology = Topology.With(twin);
        var candidates = topology.DataCenters.Values.Select(d => new CandidateState(d, DataCenterStatus.Online, d.Capacity));

        var plan = PlacementEngine.Plan(Shipped.ValidJob, topology, candidates);

        Assert.Equal(["guian-twin", "guian"], plan.Ranked.Take(2).Select(c => c.DataCenterId));
    }

    [Theory]
    [InlineData(PlacementPolicy.Greenest, "lowest carbon")]
    [InlineData(PlacementPolicy.Cheapest, "lowest cost")]
    [InlineData(PlacementPolicy.Fastest, "lowest latency")]
    [InlineData(PlacementPolicy.Balanced, "best balance")]
    public void ReasonFor_names_the_policy_what_it_optimises_the_runner_up_and_how_many_were_feasible(PlacementPolicy policy, string what)
    {
        var plan = PlacementEngine.Plan(Shipped.ValidJob with { Policy = policy }, Topology, AllOnline());

        var reason = plan.ReasonFor(plan.Ranked[0]);

        Assert.StartsWith($"{policy}: {what}", reason, StringComparison.Ordinal);
        Assert.Contains($"next {plan.Ranked[1].DataCenterId}", reason, StringComparison.Ordinal);
        Assert.EndsWith("10 of 10 data centers in the pool feasible", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ReasonFor_a_shortlist_of_one_in_a_pool_of_many_feasible_does_not_call_it_the_only_feasible_one()
    {
        var plan = PlacementEngine.Plan(Shipped.ValidJob, Topology, AllOnline());
        var shortlist = new PlacementShortlist(plan.Policy, [plan.Ranked[0]], Feasible: 10, Total: 10);

        var reason = shortlist.ReasonFor(plan.Ranked[0]);

        Assert.DoesNotContain("the only feasible data center", reason, StringComparison.Ordinal);
        Assert.Contains("the only one of them its origin hub can use now", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ReasonFor_the_only_feasible_data_center_says_so()
    {
        var job = Shipped.ValidJob with { AllowedHubs = ["guizhou"] };
        var plan = PlacementEngine.Plan(job, Topology, AllOnline());

        var reason = plan.ReasonFor(Assert.Single(plan.Ranked));

        Assert.Contains("the only feasible data center", reason, StringComparison.Ordinal);
        Assert.EndsWith("1 of 10 data centers in the pool feasible", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ReasonFor_a_tiny_job_gives_its_numbers_with_three_significant_digits_and_a_unit_never_an_exponent()
    {
        var job = Shipped.ValidJob with { Policy = PlacementPolicy.Greenest, Resources = new ResourceRequest(1, 1, 0, null), RunTime = TimeSpan.FromSeconds(1) };
        var plan = PlacementEngine.Plan(job, Topology, AllOnline());

        var reason = plan.ReasonFor(plan.Ranked[0]);

        Assert.DoesNotContain("E-", reason, StringComparison.Ordinal);
        Assert.Matches(@"lowest carbon \d+(\.\d+)? [m]?gCO2 \(next \S+ \d+(\.\d+)? [m]?gCO2\)", reason);
    }

    [Fact]
    public void The_pool_count_counts_each_data_center_once_whether_its_own_room_or_a_loan_slice_makes_it_feasible()
    {
        var job = Shipped.ValidJob with { Resources = new ResourceRequest(4_000, 16_384, 0, null) };
        var full = Topology.DataCenters.Values.Select(d => new CandidateState(d, DataCenterStatus.Online, d.Id == "guian" ? ResourceVector.Zero : d.Capacity)).ToList();
        var guian = Topology.DataCenters["guian"];
        var slice = new CandidateState(guian with { Capacity = ResourceVector.Of(64_000, 262_144) }, DataCenterStatus.Online, ResourceVector.Of(64_000, 262_144));
        var wuhuSlice = slice with { Spec = Topology.DataCenters["wuhu"] with { Capacity = slice.Spec.Capacity } };

        Assert.Equal((9, 10), PlacementEngine.CountInPool(job, Topology, full, []));
        Assert.Equal((10, 10), PlacementEngine.CountInPool(job, Topology, full, [slice, slice]));
        Assert.Equal((10, 10), PlacementEngine.CountInPool(job, Topology, full, [slice, wuhuSlice]));
    }

    [Fact]
    public void WhyNeverFits_a_job_wanting_more_GPUs_than_any_data_center_has_names_resources_gpus()
    {
        var job = Shipped.ValidJob with { Resources = new ResourceRequest(4_000, 16_384, 600, "910B") };

        var error = PlacementEngine.WhyNeverFits(job, Topology, Topology.DataCenters.Values);

        Assert.Equal("resources.gpus", error?.Field);
        Assert.Contains("512", error!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void WhyNeverFits_a_job_whose_allowed_hubs_are_all_beyond_its_latency_class_names_latencyClass()
    {
        var job = Shipped.ValidJob with { LatencyClass = LatencyClass.Interactive, AllowedHubs = ["guizhou"] };

        var error = PlacementEngine.WhyNeverFits(job, Topology, Topology.DataCenters.Values);

        Assert.Equal("latencyClass", error?.Field);
    }

    [Theory]
    [InlineData("allowed hub without data centers", "allowedHubs")]
    [InlineData("GPU model absent within the latency class", "resources.gpuModel")]
    [InlineData("more CPU than the largest data center", "resources.cpuMillicores")]
    [InlineData("more memory than the largest data center", "resources.memoryMiB")]
    public void WhyNeverFits_names_the_field_that_can_never_be_satisfied(string change, string field)
    {
        var job = change switch
        {
            "allowed hub without data centers" => Shipped.ValidJob with { AllowedHubs = ["atlantis"] },
            "GPU model absent within the latency class" => Shipped.ValidJob with { LatencyClass = LatencyClass.Interactive, Resources = new ResourceRequest(1_000, 1_024, 1, "A800") },
            "more CPU than the largest data center" => Shipped.ValidJob with { Resources = new ResourceRequest(6_000_001, 1_024) },
            "more memory than the largest data center" => Shipped.ValidJob with { Resources = new ResourceRequest(1_000, 24_576_001) },
            _ => throw new ArgumentOutOfRangeException(nameof(change), change, "no such change"),
        };

        var error = PlacementEngine.WhyNeverFits(job, Topology, Topology.DataCenters.Values);

        Assert.Equal(field, error?.Field);
    }

    [Theory]
    [InlineData(LatencyClass.Batch, 0, null)]
    [InlineData(LatencyClass.Interactive, 128, "H800")]
    [InlineData(LatencyClass.Regional, 512, "910B")]
    public void WhyNeverFits_a_job_some_data_center_could_run_is_null(LatencyClass latencyClass, int gpus, string? model)
    {
        var job = Shipped.ValidJob with { LatencyClass = latencyClass, Resources = new ResourceRequest(4_000, 16_384, gpus, model) };

        Assert.Null(PlacementEngine.WhyNeverFits(job, Topology, Topology.DataCenters.Values));
    }

    [Fact]
    public void WhyNeverFits_ignores_current_load_so_a_job_that_only_waits_for_room_is_null()
    {
        var job = Shipped.ValidJob;
        var plan = PlacementEngine.Plan(job, Topology, Topology.DataCenters.Values.Select(d => new CandidateState(d, DataCenterStatus.Online, ResourceVector.Zero)));
        Assert.Empty(plan.Ranked);

        Assert.Null(PlacementEngine.WhyNeverFits(job, Topology, Topology.DataCenters.Values));
    }

    private static List<CandidateState> AllOnline(Func<DataCenterSpec, CandidateState?>? change = null) =>
        [.. Topology.DataCenters.Values.Select(d => change?.Invoke(d) ?? new CandidateState(d, DataCenterStatus.Online, d.Capacity))];
}
