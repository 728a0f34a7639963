using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Market;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

public class ListPriceTests
{
    private static NationalTopology Topology => Shipped.Topology;

    [Theory]
    [InlineData("guian", "cpu-core-hour", "0.0081")] // 12 W / 1000 x PUE 1.2 x 0.45 CNY/kWh x 1.25
    [InlineData("guian", "memory-gib-hour", "0.000253")] // 0.375 W: 0.000253125 rounded to 6 decimals
    [InlineData("guian", "gpu-hour:910B", "0.20925")] // 310 W
    [InlineData("yrd-demo-zone", "gpu-hour:H800", "0.853125")] // 700 W / 1000 x 1.25 x 0.78 x 1.25
    public void A_default_list_price_is_the_energy_cost_of_one_unit_plus_a_25_percent_margin(string dataCenter, string sku, string expected)
    {
        var prices = ListPrices.Default(Topology.DataCenters[dataCenter], Topology.Power);
        var product = sku.StartsWith("gpu-hour:", StringComparison.Ordinal) ? ProductKey.GpuHour(sku["gpu-hour:".Length..]) : sku == "cpu-core-hour" ? ProductKey.CpuCoreHour : ProductKey.MemoryGiBHour;

        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), prices.UnitPrice(product));
    }

    [Theory]
    [InlineData("0.004", "0.00")]
    [InlineData("0.005", "0.01")]
    [InlineData("1.125", "1.13")]
    [InlineData("2.675", "2.68")]
    [InlineData("-0.005", "-0.01")]
    public void Amounts_are_rounded_to_the_fen_half_away_from_zero(string amount, string expected) =>
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), Money.Fen(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData(0.0080, 0.0081, 0.20925, null)] // within 0.5x..100x of every default
    [InlineData(0.004, 0.0081, 0.20925, "cpuCoreHourCny")] // below 0.5x
    [InlineData(0.0081, 0.0081, 21, "gpuHourCny.910B")] // above 100x
    [InlineData(0.0081, -1, 0.20925, "memoryGiBHourCny")] // negative
    [InlineData(0.00810001, 0.000253, 0.20925, "cpuCoreHourCny")] // more than 6 decimals
    public void An_owner_sets_prices_only_within_the_bounds_of_the_defaults(double cpu, double memory, double gpu, string? field)
    {
        var prices = PriceList.Of((decimal)cpu, (decimal)memory, [KeyValuePair.Create("910B", (decimal)gpu)]);

        var errors = ListPrices.Validate(prices, Topology.DataCenters["guian"], Topology.Power, PriceBounds.Default);

        Assert.Equal(field, errors.SingleOrDefault()?.Field);
    }

    [Fact]
    public void An_owner_cannot_price_a_GPU_model_its_data_center_does_not_have()
    {
        var prices = PriceList.Of(0.0081m, 0.000253m, [KeyValuePair.Create("A800", 1m)]);

        var error = Assert.Single(ListPrices.Validate(prices, Topology.DataCenters["guian"], Topology.Power, PriceBounds.Default));

        Assert.Equal("gpuHourCny.A800", error.Field);
    }

    [Fact]
    public void Flops_ratings_turn_GPU_hours_of_different_models_into_summable_PFLOPS_hours()
    {
        var a800 = FlopsTable.PflopsHours(ProductKey.GpuHour("A800"), 10m);
        var h800 = FlopsTable.PflopsHours(ProductKey.GpuHour("H800"), 2m);
        var unrated = FlopsTable.PflopsHours(ProductKey.GpuHour("G2"), 5m);

        Assert.Equal(3.12, a800.Fp16, 9);
        Assert.Equal(1.979, h800.Fp16, 9);
        Assert.Equal((0.0, 0.0), unrated);
    }
}

public class BillingPeriodTests
{
    [Theory]
    [InlineData("2026-11-30T15:59:59.9999999Z", PeriodKind.Month, "2026-11")]
    [InlineData("2026-11-30T16:00:00Z", PeriodKind.Month, "2026-12")] // midnight of 1 December in Shanghai
    [InlineData("2026-12-31T16:00:00Z", PeriodKind.Month, "2027-01")]
    [InlineData("2026-11-24T16:00:00Z", PeriodKind.Day, "2026-11-25")]
    [InlineData("2026-11-24T15:59:59Z", PeriodKind.Day, "2026-11-24")]
    public void Periods_are_cut_at_midnight_in_Asia_Shanghai(string instant, PeriodKind kind, string expected) =>
        Assert.Equal(expected, BillingPeriod.Containing(DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture), kind).Id);

    [Fact]
    public void A_month_runs_from_its_first_midnight_in_Shanghai_to_the_next_months()
    {
        var november = BillingPeriod.TryParse("2026-11")!;

        Assert.Equal(new DateTimeOffset(2026, 10, 31, 16, 0, 0, TimeSpan.Zero), november.Start);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 16, 0, 0, TimeSpan.Zero), november.End);
    }

    [Theory]
    [InlineData("2026-13")]
    [InlineData("2026-02-30")]
    [InlineData("26-11")]
    [InlineData("")]
    [InlineData("1999-01")]
    public void A_period_id_that_is_no_month_or_day_is_refused(string id) => Assert.Null(BillingPeriod.TryParse(id));
}

public class MeteringTests
{
    private static NationalTopology Topology => Shipped.Topology;

    private static readonly PriceList Prices = PriceList.Of(0.5m, 0.01m, [KeyValuePair.Create("910B", 8m)]);

    private static RunUsage Run(DateTimeOffset start, TimeSpan ran, ResourceRequest? resources = null, double transferGiB = 0)
    {
        var r = resources ?? new ResourceRequest(4_000, 16_384, 2, "910B");
        var footprint = FootprintCalculator.Of(r, ran, Topology.DataCenters["guian"].Energy, Topology.Power);
        return new RunUsage("acme.j1", "acme.j1", "acme", "yangtze", "guian", "guizhou", r, start, start + ran, footprint, Prices, transferGiB, 0.03m);
    }

    [Fact]
    public void A_run_inside_one_period_is_charged_units_times_hours_times_price_per_product()
    {
        var charges = Metering.Charge(Run(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero), TimeSpan.FromHours(3)), Topology.Power, PeriodKind.Day).ToList();

        var (period, charge) = Assert.Single(charges);
        Assert.Equal("2026-11-25", period.Id);
        Assert.Equal(
            [("cpu-core-hour", 12m, 6.00m), ("memory-gib-hour", 48m, 0.48m), ("gpu-hour:910B", 6m, 48.00m)],
            charge.Lines.Select(l => (l.Sku, l.Quantity, l.AmountCny)));
        Assert.Equal(54.48m, charge.AmountCny);
    }

    [Fact]
    public void A_run_that_spans_midnight_in_Shanghai_is_split_by_run_time_between_the_two_days()
    {
        // 23:00 to 01:00 in Shanghai: one hour on each day.
        var run = Run(new DateTimeOffset(2026, 11, 25, 15, 0, 0, TimeSpan.Zero), TimeSpan.FromHours(2));

        var charges = Metering.Charge(run, Topology.Power, PeriodKind.Day).ToList();

        Assert.Equal(["2026-11-25", "2026-11-26"], charges.Select(c => c.Period.Id));
        Assert.All(charges, c => Assert.Equal(18.16m, c.Charge.AmountCny));
        Assert.Equal(run.Footprint.EnergyKwh, charges.Sum(c => c.Charge.Lines.Sum(l => l.EnergyKwh)), 9);
        Assert.Equal(run.Footprint.CarbonKg, charges.Sum(c => c.Charge.Lines.Sum(l => l.CarbonKg)), 9);
    }

    [Fact]
    public void A_run_that_spans_the_end_of_a_month_in_Shanghai_is_split_between_the_two_months_by_run_time()
    {
        // From 22:00 on 30 November to 04:00 on 1 December, Shanghai: 2 hours in November, 4 in December.
        var run = Run(new DateTimeOffset(2026, 11, 30, 14, 0, 0, TimeSpan.Zero), TimeSpan.FromHours(6), new ResourceRequest(1_000, 1_024));

        var charges = Metering.Charge(run, Topology.Power, PeriodKind.Month).ToList();

        Assert.Equal([("2026-11", 2m), ("2026-12", 4m)], charges.Select(c => (c.Period.Id, c.Charge.Lines.Single(l => l.Sku == "cpu-core-hour").Quantity)));
    }

    [Fact]
    public void A_cancelled_job_is_charged_for_what_it_ran_not_for_its_declared_run_time()
    {
        // Declared 10 hours, cancelled after 36 minutes: 0.6 hours of 4 cores at 0.5 CNY.
        var charge = Metering.Charge(Run(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero), TimeSpan.FromMinutes(36), new ResourceRequest(4_000, 1_024)), Topology.Power, PeriodKind.Month).Single().Charge;

        Assert.Equal(2.4m, charge.Lines.Single(l => l.Sku == "cpu-core-hour").Quantity);
        Assert.Equal(1.20m, charge.Lines.Single(l => l.Sku == "cpu-core-hour").AmountCny);
    }

    [Fact]
    public void A_run_of_no_time_is_charged_nothing() =>
        Assert.Empty(Metering.Charge(Run(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero), TimeSpan.Zero), Topology.Power, PeriodKind.Day));

    [Fact]
    public void Input_data_moved_is_charged_once_in_the_period_the_run_starts()
    {
        var run = Run(new DateTimeOffset(2026, 11, 25, 15, 0, 0, TimeSpan.Zero), TimeSpan.FromHours(2), new ResourceRequest(1_000, 1_024), transferGiB: 100);

        var charges = Metering.Charge(run, Topology.Power, PeriodKind.Day).ToList();

        Assert.Equal(3.00m, charges[0].Charge.Lines.Single(l => l.Sku == "transfer-gib").AmountCny);
        Assert.DoesNotContain(charges[1].Charge.Lines, l => l.Sku == "transfer-gib");
    }

    [Fact]
    public void A_statement_total_is_the_exact_sum_of_its_rounded_lines_and_its_csv_ends_with_that_total()
    {
        var charges = Enumerable.Range(0, 7)
            .Select(i => Run(new DateTimeOffset(2026, 11, 25, 1, 0, 0, TimeSpan.Zero).AddMinutes(i * 13), TimeSpan.FromMinutes(7 + (i * 11)), new ResourceRequest(1_333, 777)) with { RunKey = $"r{i}", JobId = $"j{i}" })
            .SelectMany(r => Metering.Charge(r, Topology.Power, PeriodKind.Day))
            .Select(c => c.Charge)
            .ToList();
        var statement = new Statement("acme", StatementOwner.Tenant, BillingPeriod.TryParse("2026-11-25")!, null, [.. charges.SelectMany(c => c.Lines)], []);

        Assert.Equal(charges.Sum(c => c.AmountCny), statement.Total.AmountCny);
        Assert.Equal(statement.Total.AmountCny, statement.ByJob.Sum(j => j.AmountCny));
        var total = StatementCsv.Write(statement).Split("\r\n")[^2];
        Assert.StartsWith("total,2026-11-25,acme,", total, StringComparison.Ordinal);
        Assert.Contains($",{statement.Total.AmountCny.ToString(System.Globalization.CultureInfo.InvariantCulture)},", total, StringComparison.Ordinal);
    }

    [Fact]
    public void A_statement_csv_writes_measures_in_fixed_notation_with_at_most_six_decimals()
    {
        // 1.333 cores for 7 minutes: 0.1555166... core-hours, and energy and carbon of a few millionths.
        var run = Run(new DateTimeOffset(2026, 11, 25, 1, 0, 0, TimeSpan.Zero), TimeSpan.FromMinutes(7), new ResourceRequest(1_333, 7));
        var lines = Metering.Charge(run, Topology.Power, PeriodKind.Day).SelectMany(c => c.Charge.Lines).ToList();
        var statement = new Statement("acme", StatementOwner.Tenant, BillingPeriod.TryParse("2026-11-25")!, null, lines, []);

        var rows = StatementCsv.Write(statement).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(r => r.Split(',')).ToList();

        var header = StatementCsv.Header.Split(',');
        string[] measures = ["quantity", "energyKwh", "carbonKg", "pflopsHoursFp16", "pflopsHoursFp32"];
        foreach (var row in rows)
        {
            foreach (var cell in measures.Select(m => row[Array.IndexOf(header, m)]).Where(c => c.Length > 0))
            {
                Assert.Matches(@"^-?\d+(\.\d{1,6})?$", cell);
            }
        }

        var cpu = rows.Single(r => r[Array.IndexOf(header, "product")] == "cpu-core-hour");
        Assert.Equal("0.155517", cpu[Array.IndexOf(header, "quantity")]);
    }
}

public class PriceCapTests
{
    private static NationalTopology Topology => Shipped.Topology;

    /// <summary>4 x 910B for 10 hours from Guizhou's own hub: the default 910B GPU-hour at guian is 0.20925 CNY.</summary>
    private static JobSpec GpuJob(decimal? cap) => Shipped.ValidJob with
    {
        OriginHub = "guizhou",
        Resources = new ResourceRequest(4_000, 16_384, 4, "910B"),
        RunTime = TimeSpan.FromHours(10),
        Policy = PlacementPolicy.Greenest,
        MaxPriceCny = cap,
    };

    private static List<CandidateState> AllOnline() =>
        [.. Topology.DataCenters.Values.Select(d => new CandidateState(d, DataCenterStatus.Online, d.Capacity))];

    [Fact]
    public void The_price_of_a_job_at_a_data_center_is_its_lines_for_the_declared_run_time()
    {
        var guian = AllOnline().Single(c => c.Spec.Id == "guian");

        // cpu 4 x 10 x 0.0081 = 0.324 -> 0.32; memory 16 x 10 x 0.000253 = 0.04048 -> 0.04; GPU 4 x 10 x 0.20925 = 8.37.
        Assert.Equal(8.73m, PlacementEngine.PriceAt(GpuJob(null), guian, Topology));
    }

    [Fact]
    public void Placement_rules_out_data_centers_above_the_cap_and_names_the_cap()
    {
        var candidates = AllOnline();
        var capped = GpuJob(8.73m);

        var plan = PlacementEngine.Plan(capped, Topology, candidates);

        Assert.All(plan.Ranked, r => Assert.True(PlacementEngine.PriceAt(capped, candidates.Single(c => c.Spec.Id == r.DataCenterId), Topology) <= 8.73m));
        var over = plan.Excluded.Where(x => x.Constraint == "price").ToList();
        Assert.NotEmpty(over);
        Assert.All(over, x => Assert.Contains("maxPriceCny 8.73 CNY", x.Detail, StringComparison.Ordinal));
        Assert.Equal(plan.Ranked.Count + over.Count, PlacementEngine.Plan(GpuJob(null), Topology, candidates).Ranked.Count);
    }

    [Fact]
    public void An_owner_price_counts_for_the_cap_not_the_default()
    {
        var candidates = AllOnline().Select(c => c.Spec.Id == "guian" ? c with { Prices = PriceList.Of(0.0081m, 0.000253m, [KeyValuePair.Create("910B", 1m)]) } : c).ToList();

        var plan = PlacementEngine.Plan(GpuJob(8.73m), Topology, candidates);

        Assert.Contains(plan.Excluded, x => x.DataCenterId == "guian" && x.Constraint == "price");
    }

    [Fact]
    public void A_job_that_no_data_center_can_take_under_its_cap_is_refused_naming_maxPriceCny_and_the_cheapest_price()
    {
        var error = PlacementEngine.WhyOverCap(GpuJob(1m), Topology, AllOnline());

        Assert.NotNull(error);
        Assert.Equal("maxPriceCny", error.Field);
        var cheapest = PlacementEngine.Cheapest(GpuJob(1m), Topology, AllOnline())!.Value;
        Assert.Contains($"the cheapest available is {Money.Cny(cheapest.PriceCny)} at {cheapest.DataCenterId}", error.Reason, StringComparison.Ordinal);
        Assert.Null(PlacementEngine.WhyOverCap(GpuJob(cheapest.PriceCny), Topology, AllOnline()));
    }

    [Fact]
    public void The_indexed_shortlist_counts_and_picks_as_the_engine_does_under_a_cap()
    {
        var candidates = AllOnline();
        var capped = GpuJob(8.73m);
        var index = new CandidateIndex(Topology, "guizhou", candidates);

        var shortlist = index.Shortlist(capped, _ => true, [], 2);
        var plan = PlacementEngine.Plan(capped, Topology, candidates);

        Assert.Equal(plan.Ranked.Count, shortlist.Feasible);
        Assert.Equal(plan.Ranked[0].DataCenterId, shortlist.Ranked[0].DataCenterId);
    }

    [Fact]
    public void Explain_names_the_cap_when_it_leaves_a_queued_job_nowhere_to_go()
    {
        var explanation = PlacementExplainer.Explain(GpuJob(0.01m), new ExplainedJob(JobState.Queued, null, 1, 1), "guizhou", Topology, AllOnline(), []);

        Assert.Contains("maxPriceCny 0.01 CNY rules out", explanation.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void A_quote_lists_each_feasible_placement_with_price_and_carbon_and_the_policy_choice_first()
    {
        var now = new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);

        var quote = Quoting.Quote(GpuJob(null), Topology, AllOnline(), now);

        Assert.Equal(quote.Choice, quote.Options[0].DataCenterId);
        Assert.Equal(1, quote.Options[0].Rank);
        Assert.All(quote.Options, o => Assert.Equal(now, o.EstimatedStart));
        Assert.Equal(8.73m, quote.Options.Single(o => o.DataCenterId == "guian").PriceCny);
        Assert.Equal(4 * 10 * 0.32 + (4 * 10 * 0.00016), quote.Options[0].PflopsHoursFp16, 9);
    }
}
