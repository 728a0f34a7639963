using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Capacity;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

public class DataCenterBookTests
{
    private static readonly ResourceVector Capacity = ResourceVector.Of(8_000, 32_768, [new("910B", 8)]);
    private static readonly ResourceRequest Small = new(1_000, 1_024);
    private static readonly ResourceRequest Gpu = new(1_000, 1_024, 2, "910B");

    private static DataCenterSpec Spec(ResourceVector? capacity = null) =>
        new("dc-1", "DC 1", "gansu", new GeoPoint(36, 103), capacity ?? Capacity, new EnergyProfile(1.2, 0.5, 0.4, 0.4));

    private static DataCenterBook NewBook(Dictionary<string, ResourceRequest>? reservations = null, Dictionary<string, HeldSlice>? slices = null)
    {
        var book = new DataCenterBook("dc-1", null, DataCenterStatus.Offline, false, reservations ?? new(StringComparer.Ordinal), slices ?? new(StringComparer.Ordinal));
        Assert.Null(book.Configure(Spec()));
        return book;
    }

    private static DataCenterBook WithOpenLoan(string borrower = "yangtze", ResourceVector? amount = null)
    {
        var book = NewBook();
        book.HoldForLoan("loan-1", borrower, amount ?? ResourceVector.Of(4_000, 8_192), out _);
        book.OpenLoan("loan-1");
        return book;
    }

    [Fact]
    public void A_new_data_center_is_Online_once_configured()
    {
        var book = NewBook();

        Assert.True(book.Exists);
        Assert.Equal(DataCenterStatus.Online, book.Status);
    }

    [Fact]
    public void A_spec_for_another_id_is_refused_naming_the_id()
    {
        var book = NewBook();

        Assert.Equal("id", book.Configure(Spec() with { Id = "dc-2" })?.Field);
    }

    [Fact]
    public void Shrinking_below_what_is_reserved_is_refused_naming_the_capacity_and_changes_nothing()
    {
        var book = NewBook();
        book.Reserve("job-1", new ResourceRequest(6_000, 1_024), "gansu", null, 0);

        Assert.Equal("capacity", book.Configure(Spec(ResourceVector.Of(4_000, 32_768)))?.Field);
        Assert.Equal(Capacity, book.Spec!.Capacity);
    }

    [Theory]
    [InlineData("gansu", null, ReserveVerdict.Reserved)]
    [InlineData("yangtze", null, ReserveVerdict.NoLoan)]
    [InlineData("yangtze", "loan-unknown", ReserveVerdict.NoLoan)]
    public void Only_the_own_hub_reserves_outside_a_loan(string hubId, string? loanId, ReserveVerdict expected)
    {
        var book = NewBook();

        Assert.Equal(expected, book.Reserve("job-1", Small, hubId, loanId, 0).Verdict);
    }

    [Fact]
    public void A_retried_reservation_is_AlreadyReserved_even_after_the_data_center_stopped_taking_work()
    {
        var book = NewBook();
        book.Reserve("job-1", Small, "gansu", null, 0);
        book.SetStatus(DataCenterStatus.Draining);

        Assert.Equal(ReserveVerdict.AlreadyReserved, book.Reserve("job-1", Small, "gansu", null, 0).Verdict);
        Assert.Equal(ReserveVerdict.NotAccepting, book.Reserve("job-2", Small, "gansu", null, 0).Verdict);
    }

    [Fact]
    public void Reservations_never_exceed_capacity()
    {
        var book = NewBook();
        var verdicts = Enumerable.Range(0, 12).Select(i => book.Reserve($"job-{i}", Small, "gansu", null, 0).Verdict).ToList();

        Assert.Equal(8, verdicts.Count(v => v == ReserveVerdict.Reserved));
        Assert.Equal(4, verdicts.Count(v => v == ReserveVerdict.Insufficient));
        Assert.True(book.Ledger.Used.IsWithin(Capacity));
    }

    [Fact]
    public void A_hold_takes_what_is_free_of_one_gpu_model_and_is_idempotent_by_loan()
    {
        var book = NewBook();
        book.Reserve("job-1", new ResourceRequest(6_000, 1_024, 6, "910B"), "gansu", null, 0);

        var held = book.HoldForLoan("loan-1", "yangtze", ResourceVector.Of(4_000, 4_096, [new("910B", 4)]), out var changed);
        var again = book.HoldForLoan("loan-1", "yangtze", ResourceVector.Of(4_000, 4_096, [new("910B", 4)]), out var changedAgain);

        Assert.True(changed);
        Assert.False(changedAgain);
        Assert.Equal(ResourceVector.Of(2_000, 4_096, [new("910B", 2)]), held);
        Assert.Equal(held, again);
        Assert.Equal(SliceState.Held, book.Slices["loan-1"].State);
    }

    [Fact]
    public void A_data_center_lends_nothing_to_its_own_hub_or_while_not_Online()
    {
        var book = NewBook();

        Assert.Equal(ResourceVector.Zero, book.HoldForLoan("loan-1", "gansu", ResourceVector.Of(1_000, 1_024), out _));
        book.SetStatus(DataCenterStatus.Draining);
        Assert.Equal(ResourceVector.Zero, book.HoldForLoan("loan-2", "yangtze", ResourceVector.Of(1_000, 1_024), out _));
        Assert.Empty(book.Slices);
    }

    [Fact]
    public void Own_jobs_cannot_use_capacity_held_for_a_loan()
    {
        var book = NewBook();
        book.HoldForLoan("loan-1", "yangtze", ResourceVector.Of(8_000, 8_192), out _);

        Assert.Equal(ReserveVerdict.Insufficient, book.Reserve("job-1", Small, "gansu", null, 0).Verdict);
    }

    [Theory]
    [InlineData(SliceState.Held, ReserveVerdict.NoLoan)]
    [InlineData(SliceState.Open, ReserveVerdict.Reserved)]
    [InlineData(SliceState.Closing, ReserveVerdict.NoLoan)]
    public void The_borrower_reserves_only_inside_an_open_slice(SliceState state, ReserveVerdict expected)
    {
        var book = NewBook();
        book.HoldForLoan("loan-1", "yangtze", ResourceVector.Of(4_000, 8_192), out _);
        book.Slices["loan-1"].State = state;

        Assert.Equal(expected, book.Reserve("job-1", Small, "yangtze", "loan-1", 3).Verdict);
    }

    [Fact]
    public void Another_hub_cannot_reserve_inside_a_loan_it_did_not_borrow()
    {
        var book = WithOpenLoan();

        Assert.Equal(ReserveVerdict.NoLoan, book.Reserve("job-1", Small, "jingjinji", "loan-1", 0).Verdict);
    }

    [Fact]
    public void Borrowed_jobs_never_exceed_their_slice()
    {
        var book = WithOpenLoan(amount: ResourceVector.Of(2_000, 8_192));

        Assert.Equal(ReserveVerdict.Reserved, book.Reserve("job-1", Small, "yangtze", "loan-1", 0).Verdict);
        Assert.Equal(ReserveVerdict.Reserved, book.Reserve("job-2", Small, "yangtze", "loan-1", 0).Verdict);
        Assert.Equal(ReserveVerdict.Insufficient, book.Reserve("job-3", Small, "yangtze", "loan-1", 0).Verdict);
    }

    [Fact]
    public void Releasing_an_own_job_books_its_footprint_once_and_announces_the_room()
    {
        var book = NewBook();
        book.Reserve("job-1", Small, "gansu", null, 0);
        var run = new Footprint(1, 2, 3);

        var intents = book.Release("job-1", run);
        var again = book.Release("job-1", run);

        Assert.Equal([new AnnounceFreed()], intents);
        Assert.Null(again);
        Assert.Equal(run, book.Executed);
        Assert.Equal(1, book.JobsFinished);
    }

    [Fact]
    public void Releasing_a_borrowed_job_settles_it_with_its_loan_and_tells_the_borrower()
    {
        var book = WithOpenLoan();
        book.Reserve("job-1", Small, "yangtze", "loan-1", 0);

        var intents = book.Release("job-1", Footprint.Zero);

        Assert.Equal([new SettleBorrowedJob("loan-1", "job-1", Small), new TellBorrower("yangtze")], intents);
        Assert.Equal(SliceState.Open, book.Slices["loan-1"].State);
    }

    [Fact]
    public void The_last_borrowed_job_of_a_closing_slice_returns_the_slice()
    {
        var book = WithOpenLoan();
        book.Reserve("job-1", Small, "yangtze", "loan-1", 0);
        Assert.False(book.CloseLoan("loan-1", preempt: false).Returned);

        var intents = book.Release("job-1", Footprint.Zero);

        Assert.Equal([new SettleBorrowedJob("loan-1", "job-1", Small), new SliceReturned("loan-1"), new AnnounceFreed()], intents);
        Assert.Empty(book.Slices);
        Assert.Equal(ResourceVector.Zero, book.Ledger.Used);
    }

    [Fact]
    public void Closing_an_empty_slice_returns_it_at_once_and_again_is_a_no_op()
    {
        var book = WithOpenLoan();

        var first = book.CloseLoan("loan-1", preempt: false);
        var second = book.CloseLoan("loan-1", preempt: false);

        Assert.Equal(new CloseDecision(true, true, first.Intents), first);
        Assert.Equal([new AnnounceFreed()], first.Intents);
        Assert.True(second.Returned);
        Assert.False(second.Changed);
        Assert.Equal(ResourceVector.Zero, book.Ledger.Used);
    }

    [Fact]
    public void Closing_with_preemption_preempts_every_borrowed_job_and_keeps_the_slice_until_they_end()
    {
        var book = WithOpenLoan();
        book.Reserve("job-1", Small, "yangtze", "loan-1", 0);
        book.Reserve("job-2", Small, "yangtze", "loan-1", 0);

        var decision = book.CloseLoan("loan-1", preempt: true);

        Assert.False(decision.Returned);
        Assert.True(decision.Changed);
        var preempt = Assert.IsType<PreemptBorrowed>(Assert.Single(decision.Intents));
        Assert.Equal(["job-1", "job-2"], preempt.JobIds.Order(StringComparer.Ordinal));
        Assert.Equal(SliceState.Closing, book.Slices["loan-1"].State);
        Assert.False(book.CloseLoan("loan-1", preempt: false).Changed);
    }

    [Fact]
    public void Retiring_is_refused_while_anything_holds_capacity()
    {
        var book = WithOpenLoan();

        Assert.Equal("dataCenterId", book.Retire()?.Field);
        book.CloseLoan("loan-1", preempt: false);
        Assert.Null(book.Retire());
        Assert.False(book.Exists);
    }

    [Fact]
    public void Silence_takes_it_Offline_and_an_agent_brings_it_back_but_not_from_an_operators_Offline()
    {
        var book = NewBook();

        Assert.True(book.GoSilent());
        Assert.True(book.HearAgent());
        Assert.Equal(DataCenterStatus.Online, book.Status);
        book.SetStatus(DataCenterStatus.Offline);
        Assert.False(book.HearAgent());
        Assert.Equal(DataCenterStatus.Offline, book.Status);
    }

    [Fact]
    public void The_record_is_written_before_the_reservation_shards()
    {
        Assert.Equal([DataCenterWrite.Record, DataCenterWrite.ReservationShards, DataCenterWrite.BoundedRunShards], DataCenterBook.WritePlan);
    }

    /// <summary>
    /// Storage after a crash part-way through <see cref="DataCenterBook.WritePlan"/>: the record as of after the change,
    /// the shards as of before it, then the next activation's repair.
    /// </summary>
    [Theory]
    [InlineData("hold")]
    [InlineData("close")]
    [InlineData("release-last")]
    public void A_crash_between_the_record_and_the_shards_is_repaired_to_the_state_after_the_change(string change)
    {
        var before = WithOpenLoan();
        before.Reserve("job-1", Small, "yangtze", "loan-1", 0);
        var shardsBefore = new Dictionary<string, ResourceRequest>(before.Ledger.Reservations, StringComparer.Ordinal);

        Action<DataCenterBook> apply = change switch
        {
            "hold" => b => b.HoldForLoan("loan-2", "jingjinji", ResourceVector.Of(1_000, 1_024), out _),
            "close" => b => b.CloseLoan("loan-1", preempt: false),
            _ => b =>
            {
                b.CloseLoan("loan-1", preempt: false);
                b.Release("job-1", Footprint.Zero);
            },
        };
        apply(before);
        var slicesAfter = before.Slices.ToDictionary(s => s.Key, s => new HeldSlice(s.Value.Borrower, s.Value.Amount, s.Value.State) { Reservations = new(s.Value.Reservations) }, StringComparer.Ordinal);

        var restored = new DataCenterBook("dc-1", Spec(), DataCenterStatus.Online, false, shardsBefore, slicesAfter);
        restored.RepairSlices();

        Assert.Equal(before.Ledger.Used, restored.Ledger.Used);
        Assert.Equal(
            before.Ledger.Reservations.Keys.Order(StringComparer.Ordinal),
            restored.Ledger.Reservations.Keys.Order(StringComparer.Ordinal));
    }
}

public class DataCenterBookLoanTruthTests
{
    private static DataCenterBook BookWithSlice(SliceState state, int borrowedJobs = 0)
    {
        var book = new DataCenterBook("dc-1", null, DataCenterStatus.Offline, false, new Dictionary<string, ResourceRequest>(StringComparer.Ordinal), new Dictionary<string, HeldSlice>(StringComparer.Ordinal));
        book.Configure(new DataCenterSpec("dc-1", "DC 1", "gansu", new GeoPoint(36, 103), ResourceVector.Of(8_000, 32_768), new EnergyProfile(1.2, 0.5, 0.4, 0.4)));
        book.HoldForLoan("loan-1", "yangtze", ResourceVector.Of(4_000, 8_192), out _);
        book.OpenLoan("loan-1");
        for (var i = 0; i < borrowedJobs; i++)
        {
            book.Reserve($"job-{i}", new ResourceRequest(1_000, 1_024), "yangtze", "loan-1", 0);
        }

        book.Slices["loan-1"].State = state;
        return book;
    }

    [Theory]
    [InlineData(SliceState.Held, LoanState.Offered, false)]
    [InlineData(SliceState.Held, LoanState.Active, true)]
    [InlineData(SliceState.Open, LoanState.Active, false)]
    [InlineData(SliceState.Open, LoanState.Recalling, true)]
    [InlineData(SliceState.Open, LoanState.Draining, true)]
    [InlineData(SliceState.Open, LoanState.Expired, true)]
    [InlineData(SliceState.Held, LoanState.Declined, true)]
    [InlineData(SliceState.Held, null, true)]
    public void A_slice_disagrees_with_a_loan_that_moved_on_without_telling_it(SliceState slice, LoanState? loan, bool disagrees)
    {
        Assert.Equal(disagrees, BookWithSlice(slice).Disagrees("loan-1", loan));
    }

    [Fact]
    public void A_closing_slice_with_jobs_agrees_with_an_ended_loan_until_its_jobs_end()
    {
        var book = BookWithSlice(SliceState.Closing, borrowedJobs: 1);

        Assert.False(book.Disagrees("loan-1", LoanState.Returned));
        Assert.Null(book.SettleWithLoan("loan-1", LoanState.Returned));
    }

    [Fact]
    public void A_held_slice_of_a_loan_its_grain_does_not_know_goes_back_to_the_data_center()
    {
        var book = BookWithSlice(SliceState.Held);

        var decision = book.SettleWithLoan("loan-1", null);

        Assert.NotNull(decision);
        Assert.True(decision.Returned);
        Assert.Equal([new SliceReturned("loan-1"), new AnnounceFreed()], decision.Intents);
        Assert.Empty(book.Slices);
        Assert.Equal(ResourceVector.Zero, book.Ledger.Used);
    }

    [Fact]
    public void A_held_slice_of_an_accepted_loan_is_opened_and_the_borrower_told()
    {
        var book = BookWithSlice(SliceState.Held);

        var decision = book.SettleWithLoan("loan-1", LoanState.Active);

        Assert.Equal([new TellBorrower("yangtze")], decision!.Intents);
        Assert.Equal(SliceState.Open, book.Slices["loan-1"].State);
    }

    [Fact]
    public void An_open_slice_with_jobs_of_a_draining_loan_closes_to_new_jobs_and_keeps_them()
    {
        var book = BookWithSlice(SliceState.Open, borrowedJobs: 2);

        var decision = book.SettleWithLoan("loan-1", LoanState.Draining);

        Assert.False(decision!.Returned);
        Assert.Empty(decision.Intents);
        Assert.Equal(SliceState.Closing, book.Slices["loan-1"].State);
        Assert.Equal(2, book.BorrowedJobs);
    }
}
