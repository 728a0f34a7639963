using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Capacity;
using ComputeGrid.Domain.Reservations;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

public class AdvanceReservationTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 8, 0, 0, TimeSpan.Zero);
    private static readonly ResourceVector Capacity = ResourceVector.Of(8_000, 32_768, [new("910B", 8)]);

    private static DateTimeOffset H(double hours) => T0.AddHours(hours);

    private static AdvanceWindow Window(long cpu, double from, double to, int gpus = 0, string tenant = "acme") =>
        new(tenant, new ResourceRequest(cpu, 1_024, gpus, gpus > 0 ? "910B" : null), H(from), H(to));

    private static DataCenterBook NewBook(Dictionary<string, ResourceRequest>? reservations = null)
    {
        var book = new DataCenterBook("dc-1", null, DataCenterStatus.Offline, false, reservations ?? new(StringComparer.Ordinal), new Dictionary<string, HeldSlice>(StringComparer.Ordinal));
        Assert.Null(book.Configure(new DataCenterSpec("dc-1", "DC 1", "gansu", new GeoPoint(36, 103), Capacity, new EnergyProfile(1.2, 0.5, 0.4, 0.4))));
        return book;
    }

    public static TheoryData<string, long, double, double, bool> Admissions => new()
    {
        // rule, new window's millicores, its start and end (hours from T0), admitted
        { "fits beside a job that ends before the window opens", 6_000, 2, 4, true },
        { "fits beside a job whose bounded run reaches into the window when both fit", 3_000, 0.5, 4, true },
        { "is refused when the job still holds at the window's start and both do not fit", 6_000, 0.5, 4, false },
        { "is refused when another window overlaps and both do not fit", 6_000, 5, 7, false },
        { "fits back to back with another window", 6_000, 6, 8, true },
        { "is refused when another window starts inside it and both do not fit", 6_000, 3.5, 5.5, false },
    };

    [Theory]
    [MemberData(nameof(Admissions))]
    public void A_window_is_admitted_only_if_at_every_instant_the_others_the_bounded_jobs_and_it_fit(string rule, long cpu, double from, double to, bool admitted)
    {
        // A job of 4 cores holding until T0+1h; a window of 4 cores over [4h, 6h).
        TimedHold[] jobs = [new(new ResourceRequest(4_000, 1_024), H(1))];
        AdvanceWindow[] windows = [Window(4_000, 4, 6)];

        var refusal = ReservationCalendar.Admit(Capacity, jobs, windows, new ResourceRequest(cpu, 1_024), H(from), H(to));

        Assert.True(admitted == (refusal is null), rule);
        if (refusal is not null)
        {
            Assert.Equal("resources", refusal.Field);
        }
    }

    [Fact]
    public void A_job_of_unknown_run_time_counts_as_holding_for_ever()
    {
        TimedHold[] jobs = [new(new ResourceRequest(4_000, 1_024), null)];

        Assert.NotNull(ReservationCalendar.Admit(Capacity, jobs, [], new ResourceRequest(6_000, 1_024), H(100), H(101)));
    }

    public static TheoryData<string, long, double, double?, bool> Intrusions => new()
    {
        // rule, job's millicores, now, its bounded end (null: unknown), intrudes
        { "a job that ends before the window opens may use its capacity", 8_000, 0, 4, false },
        { "a job whose run reaches into the window may not take what the window needs", 8_000, 0, 5, true },
        { "a job that fits beside the window may run through it", 4_000, 0, 10, false },
        { "a job of unknown run time may not take what a later window needs", 8_000, 0, null, true },
        { "a job after the window's end may use everything", 8_000, 6, 9, false },
    };

    [Theory]
    [MemberData(nameof(Intrusions))]
    public void A_job_is_refused_when_its_bounded_run_would_intrude_on_a_window_it_does_not_belong_to(string rule, long cpu, double now, double? end, bool intrudes)
    {
        AdvanceWindow[] windows = [Window(4_000, 4, 6)];

        Assert.True(intrudes == ReservationCalendar.Intrudes(Capacity, [], windows, new ResourceRequest(cpu, 1_024), H(now), end is { } e ? H(e) : null), rule);
    }

    public static TheoryData<string, double, string[]> Recalls => new()
    {
        // rule, now (hours from T0), loans recalled (the window of 6 cores opens at 4h; notice 1h; slices of 2 and 4 cores)
        { "nothing is recalled before the notice before the window", 2.5, [] },
        { "the largest slice is recalled first, only as much as the window needs", 3, ["big"] },
        { "a window already open recalls nothing", 4.5, [] },
    };

    [Theory]
    [MemberData(nameof(Recalls))]
    public void Lent_capacity_a_window_needs_is_recalled_with_notice_before_it_opens(string rule, double now, string[] recalled)
    {
        var window = Window(6_000, 4, 6);
        if (now >= 4)
        {
            window.State = WindowState.Open;
        }

        var slices = new Dictionary<string, ResourceRequest>(StringComparer.Ordinal) { ["small"] = new(2_000, 1_024), ["big"] = new(4_000, 1_024) };

        Assert.True(recalled.SequenceEqual(ReservationCalendar.LoansToRecall(Capacity, [], slices, [window], H(now), TimeSpan.FromHours(1))), rule);
    }

    private static readonly OperatorReservationBounds Operator = new(MaxWindow: TimeSpan.FromDays(30), MaxAdvance: TimeSpan.FromDays(180));

    public static TheoryData<string, double, double, long, string?> Quotas => new()
    {
        // rule, start, end (hours from now), millicores, the field refused (null: accepted)
        { "a reservation within the tenant's quota is accepted", 1, 2, 4_000, null },
        { "the tenant's reservations may not hold more cores at once than its quota", 1, 2, 6_000, "resources.cpuMillicores" },
        { "a reservation apart from the tenant's others counts alone", 10, 11, 6_000, null },
        { "a window longer than the quota's is refused naming the end", 1, 30, 1_000, "end" },
        { "a window further ahead than the quota's is refused naming the start", 24 * 40, 24 * 40 + 1, 1_000, "start" },
    };

    [Theory]
    [MemberData(nameof(Quotas))]
    public void A_tenant_reserves_within_its_quota(string rule, double start, double end, long cpu, string? field)
    {
        var quota = new ReservationQuota(MaxCores: 8, MaxGpus: 4, MaxWindow: TimeSpan.FromDays(1), MaxAdvance: TimeSpan.FromDays(30));
        ReservedSpan[] others = [new(new ResourceRequest(4_000, 1_024), H(0), H(3))];

        var errors = AdvanceReservationRules.ValidateLimits(new ResourceRequest(cpu, 1_024), H(start), H(end), T0, quota, Operator, others);

        Assert.True(field is null ? errors.Count == 0 : errors.Any(e => e.Field == field), $"{rule}: {string.Join("; ", errors)}");
    }

    [Fact]
    public void An_operator_is_not_bound_by_the_tenant_quota()
    {
        var errors = AdvanceReservationRules.ValidateLimits(new ResourceRequest(64_000, 1_024, 64, "910B"), H(1), H(24 * 20), T0, quota: null, Operator, []);

        Assert.Empty(errors);
    }

    public static TheoryData<string, double, double, string?> OperatorWindows => new()
    {
        // rule, start, end (hours from now), the field refused (null: accepted)
        { "an operator's window within its bounds is accepted", 24 * 100, 24 * 120, null },
        { "an operator's window longer than OperatorMaxWindow is refused naming the end", 1, 24 * 31, "end" },
        { "an operator's window further ahead than OperatorMaxAdvance is refused naming the start", 24 * 181, 24 * 182, "start" },
    };

    [Theory]
    [MemberData(nameof(OperatorWindows))]
    public void An_operator_reserves_within_the_operator_bounds(string rule, double start, double end, string? field)
    {
        var errors = AdvanceReservationRules.ValidateLimits(new ResourceRequest(1_000, 1_024), H(start), H(end), T0, quota: null, Operator, []);

        Assert.True(field is null ? errors.Count == 0 : errors.Count == 1 && errors[0].Field == field && errors[0].Reason.Contains("an operator", StringComparison.Ordinal), $"{rule}: {string.Join("; ", errors)}");
    }

    public static TheoryData<string, long, long, int, string?, string?> Shapes => new()
    {
        // rule, millicores, MiB, GPUs, model, the field refused (null: accepted)
        { "a reservation of cores, memory and a known GPU model is well formed", 1_000, 1_024, 1, "910B", null },
        { "zero cores is refused naming them", 0, 1_024, 0, null, "resources.cpuMillicores" },
        { "zero memory is refused naming it", 1_000, 0, 0, null, "resources.memoryMiB" },
        { "GPUs without a model are refused naming the model", 1_000, 1_024, 1, null, "resources.gpuModel" },
        { "a GPU model the pool does not know is refused naming it", 1_000, 1_024, 1, "H999", "resources.gpuModel" },
        { "a GPU model the pool does not know is refused even with zero GPUs", 1_000, 1_024, 0, "H999", "resources.gpuModel" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_reservation_is_well_formed(string rule, long cpu, long memory, int gpus, string? model, string? field)
    {
        var errors = AdvanceReservationRules.ValidateShape("r1", "acme", new ResourceRequest(cpu, memory, gpus, model), null, "dc-1", H(1), H(2), T0, new HashSet<string> { "910B", "A800" });

        Assert.True(field is null ? errors.Count == 0 : errors.Count == 1 && errors[0].Field == field, $"{rule}: {string.Join("; ", errors)}");
    }

    [Fact]
    public void A_window_that_ends_before_it_starts_is_refused_naming_the_end()
    {
        var errors = AdvanceReservationRules.ValidateShape("r1", "acme", new ResourceRequest(1_000, 1_024), null, "dc-1", H(2), H(1), T0, new HashSet<string>());

        Assert.Equal("end", Assert.Single(errors).Field);
    }

    public static TheoryData<string, long, long, int, string?, string?> Scopes => new()
    {
        // rule, millicores, MiB, GPUs, model, the field refused (null: accepted); the scope is two data centers of 8 cores,
        // 32 GiB and 8 910B each
        { "what the scope's data centers hold together can be honoured some day", 16_000, 65_536, 16, "910B", null },
        { "a GPU model none of the scope's data centers has can never be honoured", 1_000, 1_024, 1, "A800", "resources.gpuModel" },
        { "more GPUs than the scope has in all can never be honoured", 1_000, 1_024, 17, "910B", "resources.gpus" },
        { "more cores than the scope has in all can never be honoured", 16_001, 1_024, 0, null, "resources.cpuMillicores" },
        { "more memory than the scope has in all can never be honoured", 1_000, 65_537, 0, null, "resources.memoryMiB" },
    };

    [Theory]
    [MemberData(nameof(Scopes))]
    public void A_reservation_beyond_everything_its_scope_has_can_never_be_honoured(string rule, long cpu, long memory, int gpus, string? model, string? field)
    {
        var errors = AdvanceReservationRules.ValidateScope(new ResourceRequest(cpu, memory, gpus, model), "hub 'gansu'", [Capacity, Capacity]);

        Assert.True(
            field is null ? errors.Count == 0 : errors.Count == 1 && errors[0].Field == field && errors[0].Reason.StartsWith("hub 'gansu'", StringComparison.Ordinal),
            $"{rule}: {string.Join("; ", errors)}");
    }

    public static TheoryData<string, string, long, double, double, string?> Uses => new()
    {
        // rule, job's tenant, its millicores, run hours, now (hours from T0), refused (null: accepted); the window is [4h, 6h) of 4 cores
        { "a job of the tenant that fits and ends in the window may name it", "acme", 2_000, 1, 0, null },
        { "another tenant's job may not name it", "other", 2_000, 1, 0, "no reservation" },
        { "a job larger than its share may not name it", "acme", 6_000, 1, 0, "does not fit" },
        { "a job whose run would outlast the window may not name it", "acme", 2_000, 3, 0, "would not end" },
        { "a job submitted inside the window counts its run from now", "acme", 2_000, 1, 5.5, "would not end" },
        { "an ended reservation may not be named", "acme", 2_000, 1, 7, "ended" },
    };

    [Theory]
    [MemberData(nameof(Uses))]
    public void A_job_names_a_reservation_of_its_tenant_that_it_fits_and_ends_in(string rule, string tenant, long cpu, double runHours, double now, string? refused)
    {
        var error = AdvanceReservationRules.ValidateUse("r1", tenant, new ResourceRequest(cpu, 1_024), TimeSpan.FromHours(runHours), "acme", false, [new ResourceRequest(4_000, 4_096)], H(4), H(6), H(now));

        Assert.True(refused is null ? error is null : error?.Reason.Contains(refused, StringComparison.Ordinal) == true, $"{rule}: {error}");
        Assert.True(error is null || error.Field == "reservation", rule);
    }

    public static TheoryData<string, long, int, string[]> Allotments => new()
    {
        // rule, millicores and GPUs asked, data centers given shares (dc-a has 4 cores 2 GPUs free, dc-b 8 cores 4 GPUs)
        { "a hub reservation goes whole to the first data center that holds it", 3_000, 1, ["dc-a"] },
        { "it skips one too small for it whole", 6_000, 3, ["dc-b"] },
        { "it is split over data centers when none holds it whole", 10_000, 5, ["dc-a", "dc-b"] },
        { "it is refused when together they cannot hold it", 20_000, 1, [] },
    };

    [Theory]
    [MemberData(nameof(Allotments))]
    public void A_hub_reservation_is_allotted_over_the_hub_data_centers_when_it_is_made(string rule, long cpu, int gpus, string[] dataCenters)
    {
        (string, ResourceVector)[] free = [("dc-a", ResourceVector.Of(4_000, 8_192, [new("910B", 2)])), ("dc-b", ResourceVector.Of(8_000, 8_192, [new("910B", 4)]))];

        var allotment = AdvanceReservationRules.Allot(new ResourceRequest(cpu, 2_048, gpus, "910B"), free);

        Assert.True(dataCenters.SequenceEqual(allotment?.Select(a => a.DataCenterId) ?? []), rule);
        if (allotment is not null)
        {
            Assert.Equal(cpu, allotment.Sum(a => a.Share.CpuMillicores));
            Assert.Equal(gpus, allotment.Sum(a => a.Share.Gpus));
        }
    }

    [Fact]
    public void The_book_refuses_a_job_whose_bounded_run_intrudes_and_takes_one_that_ends_before()
    {
        var book = NewBook();
        Assert.Null(book.AdmitWindow("r1", "acme", new ResourceRequest(6_000, 1_024), H(4), H(6), T0, out var changed));
        Assert.True(changed);

        Assert.Equal(ReserveVerdict.Insufficient, book.Reserve("long", new ResourceRequest(4_000, 1_024), "gansu", null, 100, T0, H(5)).Verdict);
        Assert.Equal(ReserveVerdict.Reserved, book.Reserve("short", new ResourceRequest(4_000, 1_024), "gansu", null, 100, T0, H(3)).Verdict);
        Assert.Equal(ReserveVerdict.Reserved, book.Reserve("small", new ResourceRequest(2_000, 1_024), "gansu", null, 100, T0, H(5)).Verdict);
    }

    [Fact]
    public void The_book_refuses_a_window_that_jobs_already_holding_would_break()
    {
        var book = NewBook();
        book.Reserve("job", new ResourceRequest(4_000, 1_024), "gansu", null, 100, T0, H(5));

        Assert.Equal("resources", book.AdmitWindow("r1", "acme", new ResourceRequest(6_000, 1_024), H(4), H(6), T0, out var changed)?.Field);
        Assert.False(changed);
        Assert.Empty(book.Windows);
    }

    [Fact]
    public void At_its_start_a_window_is_held_as_one_ledger_entry_its_jobs_reserve_inside_and_at_its_end_it_is_released()
    {
        var book = NewBook();
        book.AdmitWindow("r1", "acme", new ResourceRequest(6_000, 2_048), H(4), H(6), T0, out _);

        Assert.Equal(ReserveVerdict.Insufficient, book.ReserveInWindow("j1", new ResourceRequest(2_000, 1_024), "r1", "acme", "gansu", H(5)).Verdict);
        var opening = book.TickWindows(H(4), TimeSpan.FromMinutes(5));
        Assert.Equal(["r1"], opening.Opened);
        Assert.Equal(6_000, book.Ledger.Reservations[DataCenterBook.WindowKey("r1")].CpuMillicores);
        Assert.Equal(ReserveVerdict.NoReservation, book.ReserveInWindow("j2", new ResourceRequest(2_000, 1_024), "r1", "other", "gansu", H(5)).Verdict);
        Assert.Equal(ReserveVerdict.Insufficient, book.ReserveInWindow("j3", new ResourceRequest(2_000, 1_024), "r1", "acme", "gansu", H(7)).Verdict);
        Assert.Equal(ReserveVerdict.Reserved, book.ReserveInWindow("j1", new ResourceRequest(2_000, 1_024), "r1", "acme", "gansu", H(5)).Verdict);
        Assert.Equal(ReserveVerdict.AlreadyReserved, book.Reserve("j1", new ResourceRequest(2_000, 1_024), "gansu", null, 100).Verdict);
        Assert.Contains("j1", book.HeldJobs());
        Assert.Equal(6_000, book.Ledger.Used.CpuMillicores);

        Assert.NotNull(book.Release("j1", Footprint.Zero));
        Assert.False(book.Holds("j1"));

        var closing = book.TickWindows(H(6), TimeSpan.FromMinutes(5));
        Assert.Equal(["r1"], closing.Closed);
        Assert.Empty(book.Windows);
        Assert.Equal(0, book.Ledger.Used.CpuMillicores);
    }

    [Fact]
    public void Cancelling_an_open_window_frees_its_capacity_at_once_and_its_jobs_keep_running()
    {
        var book = NewBook();
        book.AdmitWindow("r1", "acme", new ResourceRequest(6_000, 2_048), H(0), H(6), T0, out _);
        book.TickWindows(T0, TimeSpan.Zero);
        book.ReserveInWindow("j1", new ResourceRequest(2_000, 1_024), "r1", "acme", "gansu", H(1));

        Assert.NotNull(book.CancelWindow("r1"));

        Assert.Equal(2_000, book.Ledger.Used.CpuMillicores);
        Assert.True(book.Holds("j1"));
        Assert.Null(book.CancelWindow("r1"));
    }

    [Fact]
    public void A_lender_does_not_lend_for_a_term_that_overlaps_a_window_the_capacity_that_window_needs()
    {
        var book = NewBook();
        book.AdmitWindow("r1", "acme", new ResourceRequest(6_000, 2_048), H(4), H(6), T0, out _);

        var overlapping = book.HoldForLoan("loan-1", "yangtze", ResourceVector.Of(8_000, 8_192), out _, T0, H(5));
        var before = book.HoldForLoan("loan-2", "yangtze", ResourceVector.Of(8_000, 8_192), out _, T0, H(3));

        Assert.Equal(2_000, overlapping.CpuMillicores);
        Assert.Equal(6_000, before.CpuMillicores);
    }

    [Fact]
    public void A_window_that_lent_capacity_blocks_recalls_the_loan_and_opens_once_it_is_back()
    {
        var book = NewBook();
        book.HoldForLoan("loan-1", "yangtze", ResourceVector.Of(6_000, 8_192), out _, T0, H(2));
        book.OpenLoan("loan-1");
        Assert.Null(book.AdmitWindow("r1", "acme", new ResourceRequest(6_000, 2_048), H(4), H(6), T0, out _));

        var early = book.TickWindows(H(3.5), TimeSpan.FromHours(1));
        var blocked = book.TickWindows(H(4), TimeSpan.FromHours(1));
        book.CloseLoan("loan-1", preempt: true);
        var opened = book.TickWindows(H(4.1), TimeSpan.FromHours(1));

        Assert.Equal(["loan-1"], early.Intents.OfType<RecallLoans>().Single().LoanIds);
        Assert.Empty(blocked.Opened);
        Assert.Equal(["r1"], opened.Opened);
    }

    [Fact]
    public void A_window_kept_from_opening_by_a_job_past_its_bounded_end_preempts_it()
    {
        var book = NewBook();
        book.Reserve("late", new ResourceRequest(4_000, 1_024), "gansu", null, 100, T0, H(3));
        book.AdmitWindow("r1", "acme", new ResourceRequest(6_000, 2_048), H(4), H(6), T0, out _);

        var tick = book.TickWindows(H(4), TimeSpan.Zero);

        Assert.Empty(tick.Opened);
        Assert.Equal(["late"], tick.Intents.OfType<PreemptOverrun>().Single().JobIds);
    }

    [Fact]
    public void A_bounded_run_left_for_a_job_no_longer_held_is_dropped_and_a_held_one_is_kept()
    {
        var runsUntil = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal) { ["gone"] = H(1) };
        var book = new DataCenterBook("dc-1", null, DataCenterStatus.Offline, false, new Dictionary<string, ResourceRequest>(StringComparer.Ordinal), new Dictionary<string, HeldSlice>(StringComparer.Ordinal), runsUntil: runsUntil);
        book.Configure(new DataCenterSpec("dc-1", "DC 1", "gansu", new GeoPoint(36, 103), Capacity, new EnergyProfile(1.2, 0.5, 0.4, 0.4)));
        book.Reserve("held", new ResourceRequest(1_000, 1_024), "gansu", null, 100, T0, H(2));

        Assert.True(book.RepairBoundedRuns());

        Assert.Equal(["held"], runsUntil.Keys);
        Assert.False(book.RepairBoundedRuns());
    }

    [Fact]
    public void After_a_write_cut_short_the_ledger_holds_exactly_the_open_windows()
    {
        var reservations = new Dictionary<string, ResourceRequest>(StringComparer.Ordinal) { [DataCenterBook.WindowKey("gone")] = new(1_000, 1_024) };
        var book = NewBook(reservations);
        book.Windows["r1"] = new AdvanceWindow("acme", new ResourceRequest(2_000, 1_024), T0, H(1), WindowState.Open);

        Assert.True(book.RepairWindows());

        Assert.Equal([DataCenterBook.WindowKey("r1")], book.Ledger.Reservations.Keys);
        Assert.False(book.RepairWindows());
    }
}
