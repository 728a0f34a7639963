using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Regions;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

/// <summary>The region's loan decisions, as its loan book makes them: what it asks, accepts, lends, recalls and returns, and in which order it writes and sends.</summary>
public class RegionLoanBookTests
{
    private const string Hub = "yangtze";
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
    private static readonly EnergyProfile Energy = new(1.2, 0.5, 0.4, 0.4);

    private static readonly RegionLoanRules Rules = new(
        Enabled: true,
        OfferTtl: TimeSpan.FromMinutes(1),
        AskBackoff: TimeSpan.FromMinutes(2),
        QueuePressureThreshold: TimeSpan.FromMinutes(1),
        MaxJobsPerRequest: 500,
        TermFactor: 1.5,
        MinTerm: TimeSpan.FromHours(1),
        MaxTerm: TimeSpan.FromDays(7),
        Ceiling: new LoanPrice(1, 20),
        PriceMargin: 0.2,
        RecallNotice: TimeSpan.FromMinutes(10),
        OnExpiry: ExpiryTerms.FinishRunning);

    private static NationalTopology Topology => Shipped.Topology;

    private sealed record Books(RegionBook Jobs, RegionLoanBook Loans);

    private static Books New(HubQuota? quota = null, RegionLoanRules? rules = null)
    {
        var jobs = new RegionBook(new Dictionary<string, WaitingJob>(StringComparer.Ordinal), new Dictionary<string, PlacedJob>(StringComparer.Ordinal), nextSequence: 0);
        var loans = new RegionLoanBook(
            Hub,
            quota ?? HubQuota.Default,
            rules ?? Rules,
            jobs,
            new Dictionary<string, LentLoan>(StringComparer.Ordinal),
            new Dictionary<string, BorrowedLoan>(StringComparer.Ordinal),
            new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal),
            new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal));
        return new Books(jobs, loans);
    }

    private static JobSpec Job(int cores = 4, int priority = 500) =>
        Shipped.ValidJob with { Resources = new ResourceRequest(cores * 1_000L, cores * 4_096L), Priority = priority };

    private static WaitingJob Waiting(string jobId = "job-1", int cores = 4, int priority = 500, DateTimeOffset? since = null) =>
        new(jobId, Job(cores, priority), 0, since ?? Now);

    private static LoanSlice Slice(string dataCenterId, int cores) => new(dataCenterId, ResourceVector.Of(cores * 1_000L, cores * 4_096L), 0.1, 20);

    private static LoanTerms Offer(string loanId, string lender, string dataCenterId, int cores, string borrower = Hub) =>
        new(loanId, loanId.Split('.')[0], lender, borrower, [Slice(dataCenterId, cores)], new LoanPrice(0.3, 6), TimeSpan.FromHours(3), TimeSpan.FromMinutes(10), ExpiryTerms.FinishRunning, Now.AddMinutes(1));

    private static List<CandidateState> View() =>
        [.. Topology.DataCenters.Values.Select(d => new CandidateState(d, DataCenterStatus.Online, d.Capacity))];

    /// <summary>A book with a <paramref name="lent"/> loan "l.yangtze" to gba (at wuhu) and a <paramref name="borrowed"/> loan "b.gansu" of 8 cores from gansu (at qingyang).</summary>
    private static Books WithLoans(LoanState lent, LoanState borrowed)
    {
        var books = New();
        books.Loans.Answer(new CapacityAsk("l", "gba", ResourceVector.Of(4_000, 16_384), TimeSpan.FromHours(2), null), Topology, View(), Now);
        var opened = books.Loans.Lent.Keys.Single();
        books.Loans.Opened(Offer(opened, Hub, "wuhu", 4, "gba"), LoanState.Offered, Offer(opened, Hub, "wuhu", 4, "gba"), Now);
        if (lent != LoanState.Offered)
        {
            books.Loans.OnOfferAccepted(opened, Now);
        }

        if (lent is LoanState.Recalling)
        {
            books.Loans.Recalling(opened);
        }
        else if (lent is LoanState.Draining)
        {
            books.Loans.OnLoanReturned(opened);
        }

        books.Loans.Accepted(Offer("b.gansu", "gansu", "qingyang", 8), new BorrowedLoan(Offer("b.gansu", "gansu", "qingyang", 8), borrowed, Now.AddHours(3)), Now);
        books.Jobs.TakeWritePlan();
        return books;
    }

    private static AskPeers Ask(Books books, params string[] peers) =>
        books.Loans.Ask(peers, [Waiting()], "test", "r1", Now) ?? throw new InvalidOperationException("nobody asked");

    [Theory]
    [InlineData("nothing", new[] { "gansu", "guizhou" }, new[] { "gansu", "guizhou" })]
    [InlineData("nothing", new[] { Hub, "gansu" }, new[] { "gansu" })]
    [InlineData("gansu refused", new[] { "gansu", "guizhou" }, new[] { "guizhou" })]
    [InlineData("gansu is being asked", new[] { "gansu", "guizhou" }, new[] { "guizhou" })]
    [InlineData("gansu is being asked", new[] { "gansu" }, new string[0])]
    public void A_borrower_asks_only_peers_that_are_not_itself_not_backed_off_and_not_being_asked(string before, string[] hubs, string[] asked)
    {
        var books = New();
        if (before == "gansu refused")
        {
            Ask(books, "gansu");
            books.Loans.OnRefused("r1", "gansu", Now);
            books.Loans.Close("r1", Now);
        }
        else if (before == "gansu is being asked")
        {
            Ask(books, "gansu");
        }

        var ask = books.Loans.Ask(hubs, [Waiting()], "test", "r2", Now);

        Assert.Equal(asked, ask?.Peers ?? []);
    }

    [Fact]
    public void A_backed_off_peer_may_be_asked_again_once_the_backoff_ends()
    {
        var books = New();
        Ask(books, "gansu");
        books.Loans.OnRefused("r1", "gansu", Now);
        books.Loans.Close("r1", Now);

        Assert.True(books.Loans.IsBackedOff("gansu", Now.AddMinutes(1)));
        Assert.True(books.Loans.MayAsk("gansu", Now.Add(Rules.AskBackoff)));
    }

    [Fact]
    public void What_open_negotiations_ask_counts_against_the_borrowing_limit()
    {
        var books = New(new HubQuota(null, ResourceVector.Of(4_000, 16_384), ReclaimPolicy.LowerPriority));
        Ask(books, "gansu");

        Assert.Null(books.Loans.Ask(["guizhou"], [Waiting("job-2")], "test", "r2", Now));
    }

    [Theory]
    [InlineData("a loan already borrowed", "[]")]
    [InlineData("the window closed", "[DeclineOffer arrived after the offer window closed]")]
    [InlineData("the last asked peer", "[CloseWindow]")]
    [InlineData("one of two asked peers", "[]")]
    public void An_offer_is_ignored_declined_collected_or_closes_the_window(string offerFrom, string intents)
    {
        var books = New();
        Ask(books, offerFrom == "one of two asked peers" ? ["gansu", "guizhou"] : ["gansu"]);
        var offer = Offer("r1.gansu", "gansu", "qingyang", 4);
        if (offerFrom == "a loan already borrowed")
        {
            books.Loans.Accepted(offer, new BorrowedLoan(offer, LoanState.Active, Now.AddHours(3)), Now);
        }
        else if (offerFrom == "the window closed")
        {
            books.Loans.Close("r1", Now);
        }

        Assert.Equal(intents, Describe(books.Loans.OnOffer("r1", "gansu", offer)));
    }

    [Fact]
    public void A_refusal_backs_the_peer_off_and_the_last_answer_closes_the_window()
    {
        var books = New();
        Ask(books, "gansu", "guizhou");

        Assert.Empty(books.Loans.OnRefused("r1", "gansu", Now));
        Assert.True(books.Loans.IsBackedOff("gansu", Now));
        Assert.Equal("[CloseWindow]", Describe(books.Loans.OnRefused("r1", "guizhou", Now)));
    }

    [Fact]
    public void Closing_a_window_declines_useless_offers_first_then_accepts_the_chosen_then_writes_and_tries_the_queue()
    {
        var books = New();
        Ask(books, "gansu", "guizhou", "ningxia");
        books.Loans.OnOffer("r1", "guizhou", Offer("r1.guizhou", "guizhou", "guian", 1));
        books.Loans.OnOffer("r1", "gansu", Offer("r1.gansu", "gansu", "qingyang", 4));

        var intents = books.Loans.Close("r1", Now);

        Assert.Equal("[DeclineOffer none of the waiting jobs fits in it, AcceptOffer r1.gansu, Persist, DrainQueue]", Describe(intents));
        Assert.True(books.Loans.IsBackedOff("guizhou", Now), "a useless offer backs its lender off");
        Assert.True(books.Loans.IsBackedOff("ningxia", Now), "a silent peer is backed off");
        Assert.False(books.Loans.IsBackedOff("gansu", Now));
        Assert.Empty(books.Loans.OpenRequests);
        Assert.Empty(books.Loans.Close("r1", Now));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_accepted_loan_is_recorded_and_written_with_the_record_and_a_refused_accept_backs_the_lender_off(bool holds)
    {
        var books = New();
        var offer = Offer("r1.gansu", "gansu", "qingyang", 4);

        var recorded = books.Loans.Accepted(offer, holds ? new BorrowedLoan(offer, LoanState.Active, Now.AddHours(3)) : null, Now);

        Assert.Equal(holds, recorded);
        Assert.Equal(holds, books.Loans.Borrowed.ContainsKey("r1.gansu"));
        Assert.Equal(!holds, books.Loans.IsBackedOff("gansu", Now));
        Assert.Equal(holds, books.Jobs.TakeWritePlan().Plan.Contains(RegionWrite.Record));
    }

    [Theory]
    [InlineData("OfferAccepted", LoanState.Offered, LoanState.Active)]
    [InlineData("OfferAccepted", LoanState.Active, LoanState.Active)]
    [InlineData("LoanReturned", LoanState.Active, LoanState.Draining)]
    [InlineData("LoanReturned", LoanState.Recalling, LoanState.Draining)]
    public void A_lent_loan_moves_only_forward_on_the_borrowers_messages(string message, LoanState before, LoanState after)
    {
        var books = WithLoans(before, LoanState.Active);
        var loanId = books.Loans.Lent.Keys.Single();

        var intents = message == "OfferAccepted" ? books.Loans.OnOfferAccepted(loanId, Now.AddSeconds(5)) : books.Loans.OnLoanReturned(loanId);

        Assert.Equal(after, books.Loans.Lent[loanId].State);
        Assert.Equal(before == after ? "[]" : "[Persist]", Describe(intents));
    }

    [Theory]
    [InlineData(LoanState.Active, LoanState.Recalling)]
    [InlineData(LoanState.Draining, LoanState.Draining)]
    public void A_recall_notice_stops_placements_on_an_active_borrowed_loan_only(LoanState before, LoanState after)
    {
        var books = WithLoans(LoanState.Active, before);

        books.Loans.OnRecallNotice("b.gansu");

        Assert.Equal(after, books.Loans.Borrowed["b.gansu"].State);
        Assert.Equal(after == LoanState.Active, books.Loans.UsableSlices(Now).Any());
    }

    [Theory]
    [InlineData("lent", "[Persist, DrainQueue]")]
    [InlineData("borrowed", "[Persist]")]
    public void A_settled_loan_is_forgotten_remembered_a_day_and_capacity_we_lent_is_tried_at_once(string side, string intents)
    {
        var books = WithLoans(LoanState.Active, LoanState.Active);
        var loanId = side == "lent" ? books.Loans.Lent.Keys.Single() : "b.gansu";

        Assert.Equal(intents, Describe(books.Loans.Forget(loanId, Now)));
        Assert.False(books.Loans.Lent.ContainsKey(loanId) || books.Loans.Borrowed.ContainsKey(loanId));
        Assert.Empty(books.Loans.OnOffer("b", "gansu", Offer(loanId, "gansu", "qingyang", 4)));
        Assert.Equal([RegionWrite.Record, RegionWrite.Queue, RegionWrite.Placed], books.Jobs.TakeWritePlan().Plan);
    }

    [Fact]
    public void A_settled_borrowed_loan_leaves_no_use_behind()
    {
        var books = WithLoans(LoanState.Active, LoanState.Active);
        books.Jobs.Place("job-1", Job(), new JobPlacement("qingyang", "gansu", "test", 10, Footprint.Zero, Energy, "b.gansu"));

        books.Loans.Forget("b.gansu", Now);

        Assert.False(books.Jobs.LoanInUse("b.gansu"));
    }

    [Theory]
    [InlineData("a request answered already", true, "[]")]
    [InlineData("our own request", true, "[]")]
    [InlineData("lending disabled", false, "[Persist, RefuseRequest lending is disabled here]")]
    [InlineData("a lending limit of zero", true, "[Persist, RefuseRequest our lending limit is reached]")]
    [InlineData("spare capacity", true, "[Persist, OpenLoan]")]
    public void A_lender_answers_each_request_once_and_writes_before_it_refuses_or_opens_the_loan(string situation, bool enabled, string intents)
    {
        var books = New(situation == "a lending limit of zero" ? new HubQuota(ResourceVector.Zero, null, ReclaimPolicy.Never) : null, Rules with { Enabled = enabled });
        var ask = new CapacityAsk("r1", situation == "our own request" ? Hub : "gba", ResourceVector.Of(4_000, 16_384), TimeSpan.FromHours(2), null);
        if (situation == "a request answered already")
        {
            books.Loans.Answer(ask, Topology, View(), Now);
        }

        Assert.Equal(intents, Describe(books.Loans.Answer(ask, Topology, View(), Now)));
    }

    [Fact]
    public void A_proposal_counts_against_the_lending_limit_before_the_loan_holds_anything()
    {
        var books = New();

        var intents = books.Loans.Answer(new CapacityAsk("r1", "gba", ResourceVector.Of(4_000, 16_384), TimeSpan.FromHours(2), null), Topology, View(), Now);

        var open = Assert.IsType<OpenLoan>(intents[1]);
        Assert.Equal(LoanState.Offered, books.Loans.Lent[open.Terms.LoanId].State);
        Assert.Equal(ResourceVector.Of(4_000, 16_384), books.Loans.LentNow());
        Assert.Equal([RegionWrite.Record, RegionWrite.Queue, RegionWrite.Placed], books.Jobs.TakeWritePlan().Plan);
    }

    [Fact]
    public void What_our_own_waiting_jobs_need_is_not_lent()
    {
        var books = New();
        var nominal = Topology.DataCentersOf(Hub).Aggregate(ResourceVector.Zero, (sum, d) => sum.Plus(d.Capacity));
        books.Jobs.Enqueue("big", Shipped.ValidJob with { Resources = new ResourceRequest(nominal.CpuMillicores, nominal.MemoryMiB) }, Now);

        var intents = books.Loans.Answer(new CapacityAsk("r1", "gba", ResourceVector.Of(4_000, 16_384), TimeSpan.FromHours(2), null), Topology, View(), Now);

        Assert.Equal("[Persist, RefuseRequest no spare capacity beyond what our 1 waiting jobs need]", Describe(intents));
    }

    [Theory]
    [InlineData(LoanState.Offered, "[HoldInView, Persist, SendOffer]")]
    [InlineData(LoanState.Declined, "[Persist, RefuseRequest our data centers filled up meanwhile]")]
    public void An_opened_loan_is_counted_in_the_view_written_then_offered_and_one_that_could_not_hold_is_refused(LoanState opened, string intents)
    {
        var books = New();
        var open = Assert.IsType<OpenLoan>(books.Loans.Answer(new CapacityAsk("r1", "gba", ResourceVector.Of(4_000, 16_384), TimeSpan.FromHours(2), null), Topology, View(), Now)[1]);

        Assert.Equal(intents, Describe(books.Loans.Opened(open.Terms, opened, open.Terms, Now)));
        Assert.Equal(opened == LoanState.Offered, books.Loans.Lent.ContainsKey(open.Terms.LoanId));
    }

    [Theory]
    [InlineData(ReclaimPolicy.Never, LoanState.Active, false)]
    [InlineData(ReclaimPolicy.LowerPriority, LoanState.Offered, false)]
    [InlineData(ReclaimPolicy.LowerPriority, LoanState.Active, true)]
    public void A_lender_looks_for_loans_to_recall_only_when_its_policy_allows_and_a_loan_is_active(ReclaimPolicy policy, LoanState lent, bool looks)
    {
        var books = New(new HubQuota(null, null, policy));
        var open = Assert.IsType<OpenLoan>(books.Loans.Answer(new CapacityAsk("r1", "gba", ResourceVector.Of(4_000, 16_384), TimeSpan.FromHours(2), null), Topology, View(), Now)[1]);
        books.Loans.Opened(open.Terms, LoanState.Offered, open.Terms, Now);
        if (lent == LoanState.Active)
        {
            books.Loans.OnOfferAccepted(open.Terms.LoanId, Now);
        }

        var query = books.Loans.Reclaim([Waiting()], Topology, View());

        Assert.Equal(looks, query is not null);
        if (query is not null)
        {
            Assert.Equal(open.Terms.Slices.Select(s => s.DataCenterId).Order(), query.Sites.Select(s => s.DataCenterId).Order());
        }
    }

    [Theory]
    [InlineData(ReclaimPolicy.LowerPriority, 100, 500, "[RecallLoan, Persist]")]
    [InlineData(ReclaimPolicy.LowerPriority, 900, 500, "[]")]
    [InlineData(ReclaimPolicy.Any, 900, 500, "[RecallLoan, Persist]")]
    public void A_lender_recalls_for_its_waiting_job_what_its_policy_allows_and_writes_after_the_recalls(ReclaimPolicy policy, int borrowedPriority, int waitingPriority, string intents)
    {
        var books = New(new HubQuota(null, null, policy));
        var open = Assert.IsType<OpenLoan>(books.Loans.Answer(new CapacityAsk("r1", "gba", ResourceVector.Of(4_000, 16_384), TimeSpan.FromHours(2), null), Topology, View(), Now)[1]);
        books.Loans.Opened(open.Terms, LoanState.Offered, open.Terms, Now);
        books.Loans.OnOfferAccepted(open.Terms.LoanId, Now);
        var slice = open.Terms.Slices[0];
        var query = new ReclaimQuery(Waiting(priority: waitingPriority), [(slice.DataCenterId, ResourceVector.Zero)]);
        var uses = new Dictionary<string, IReadOnlyList<SliceUse>> { [slice.DataCenterId] = [new SliceUse(open.Terms.LoanId, slice.Amount, borrowedPriority)] };

        var recalls = books.Loans.ChooseRecalls(query, uses, Topology.DataCentersOf(Hub).Aggregate(ResourceVector.Zero, (sum, d) => sum.Plus(d.Capacity)));

        Assert.Equal(intents, Describe(recalls).Replace($" {open.Terms.LoanId}", string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public void A_recall_the_loan_took_marks_the_lent_record_recalling()
    {
        var books = WithLoans(LoanState.Active, LoanState.Active);
        var loanId = books.Loans.Lent.Keys.Single();

        Assert.True(books.Loans.Recalling(loanId));
        Assert.False(books.Loans.Recalling("unknown"));
        Assert.Equal(LoanState.Recalling, books.Loans.Lent[loanId].State);
    }

    [Theory]
    [InlineData(LoanState.Active, false, false, true)]
    [InlineData(LoanState.Active, true, false, false)]
    [InlineData(LoanState.Active, false, true, false)]
    [InlineData(LoanState.Recalling, false, true, true)]
    [InlineData(LoanState.Draining, false, false, false)]
    public void A_borrowed_loan_goes_back_early_when_nothing_runs_on_it_and_nothing_waiting_could_use_it(LoanState state, bool inUse, bool jobWaits, bool returns)
    {
        var books = WithLoans(LoanState.Active, state);
        if (inUse)
        {
            books.Jobs.Place("job-1", Job(), new JobPlacement("qingyang", "gansu", "test", 10, Footprint.Zero, Energy, "b.gansu"));
        }

        if (jobWaits)
        {
            books.Jobs.Enqueue("job-2", Job(), Now);
        }

        Assert.Equal(returns ? "[ReturnLoan nothing runs on it and nothing waiting needs it]" : "[]", Describe(books.Loans.ReturnsDue()));
    }

    [Fact]
    public void A_returned_loan_drains_and_is_written_at_once()
    {
        var books = WithLoans(LoanState.Active, LoanState.Active);

        Assert.Equal("[Persist]", Describe(books.Loans.Returning("b.gansu")));
        Assert.Equal(LoanState.Draining, books.Loans.Borrowed["b.gansu"].State);
        Assert.Empty(books.Loans.ReturnsDue());
    }

    [Fact]
    public void Placement_uses_the_roomiest_slice_per_data_center_of_active_loans_within_their_term()
    {
        var books = WithLoans(LoanState.Active, LoanState.Active);
        var second = Offer("c.gansu", "gansu", "qingyang", 2);
        books.Loans.Accepted(second, new BorrowedLoan(second, LoanState.Active, Now.AddHours(3)), Now);
        books.Jobs.Place("job-1", Job(cores: 7), new JobPlacement("qingyang", "gansu", "test", 10, Footprint.Zero, Energy, "b.gansu"));

        var usable = books.Loans.UsableSlices(Now).Single();

        Assert.Equal(("qingyang", ResourceVector.Of(2_000, 8_192)), (usable.DataCenterId, usable.Room));
        Assert.Empty(books.Loans.UsableSlices(Now.AddHours(3)));
    }

    [Fact]
    public void For_a_job_placement_uses_a_slice_that_fits_it_before_a_roomier_one_that_does_not()
    {
        var books = WithLoans(LoanState.Active, LoanState.Active);
        var memoryBound = new LoanTerms(
            "c.gansu", "c", "gansu", Hub, [new LoanSlice("qingyang", ResourceVector.Of(64_000, 8 * 4_096), 0.1, 20)], new LoanPrice(0.3, 6), TimeSpan.FromHours(3), TimeSpan.FromMinutes(10), ExpiryTerms.FinishRunning, Now.AddMinutes(1));
        books.Loans.Accepted(memoryBound, new BorrowedLoan(memoryBound, LoanState.Active, Now.AddHours(3)), Now);
        books.Jobs.Place("job-1", Job(cores: 1) with { Resources = new ResourceRequest(1_000, 8 * 4_096) }, new JobPlacement("qingyang", "gansu", "test", 10, Footprint.Zero, Energy, "c.gansu"));
        books.Jobs.Place("job-2", Job(cores: 4), new JobPlacement("qingyang", "gansu", "test", 10, Footprint.Zero, Energy, "b.gansu"));

        // c.gansu has 63 of 64 cores free but no memory; b.gansu has 4 of 8 cores and their memory.
        Assert.Equal(ResourceVector.Of(63_000, 0), books.Loans.UsableSlices(Now).Single().Room);
        Assert.Equal(ResourceVector.Of(4_000, 4 * 4_096), books.Loans.UsableSlices(Now, Job(cores: 4).Resources).Single().Room);
        Assert.True(books.Loans.CouldTake(["gansu"], Job(cores: 4), Now));
    }

    [Theory]
    [InlineData(4, new[] { "b.gansu" })]
    [InlineData(9, new string[0])]
    public void A_job_is_tried_only_on_loans_whose_slice_has_room_for_it(int cores, string[] loans)
    {
        var books = WithLoans(LoanState.Active, LoanState.Active);

        Assert.Equal(loans, books.Loans.LoansWithRoom("qingyang", Job(cores).Resources).Select(l => l.LoanId));
    }

    [Fact]
    public void A_slice_the_data_center_closed_takes_no_more_placements_and_is_written_with_the_turn()
    {
        var books = WithLoans(LoanState.Active, LoanState.Active);

        books.Loans.SliceClosed("b.gansu");

        Assert.Equal(LoanState.Draining, books.Loans.Borrowed["b.gansu"].State);
        Assert.Empty(books.Loans.LoansWithRoom("qingyang", Job().Resources));
        Assert.Empty(books.Loans.Rooms());
        Assert.Contains(RegionWrite.Record, books.Jobs.TakeWritePlan().Plan);
    }

    [Theory]
    [InlineData(LoanState.Recalling, LoanRecordVerdict.Refresh, LoanState.Recalling, "[]")]
    [InlineData(LoanState.Recalled, LoanRecordVerdict.Forget, LoanState.Recalled, "[Persist]")]
    [InlineData(LoanState.Active, LoanRecordVerdict.Keep, LoanState.Active, "[]")]
    [InlineData(null, LoanRecordVerdict.Forget, LoanState.Active, "[Persist]")]
    public void A_cached_borrowed_record_takes_its_loans_state_or_is_forgotten(LoanState? truth, LoanRecordVerdict verdict, LoanState after, string intents)
    {
        var books = WithLoans(LoanState.Active, LoanState.Active);

        var check = books.Loans.Check("b.gansu", truth, Now);

        Assert.NotNull(check);
        Assert.Equal((verdict, intents), (check.Verdict, Describe(check.Then)));
        Assert.Equal(verdict == LoanRecordVerdict.Forget, !books.Loans.Borrowed.ContainsKey("b.gansu"));
        if (verdict != LoanRecordVerdict.Forget)
        {
            Assert.Equal(after, books.Loans.Borrowed["b.gansu"].State);
        }

        Assert.Equal(verdict != LoanRecordVerdict.Keep, books.Jobs.TakeWritePlan().Plan.Contains(RegionWrite.Record));
    }

    [Fact]
    public void A_lent_record_whose_loan_never_opened_is_forgotten_once_its_offer_lapsed_and_the_capacity_tried_at_home()
    {
        var books = WithLoans(LoanState.Offered, LoanState.Active);
        var loanId = books.Loans.Lent.Keys.Single();

        Assert.Equal(LoanRecordVerdict.Keep, books.Loans.Check(loanId, null, Now.AddSeconds(30))!.Verdict);
        Assert.Equal("[Persist, DrainQueue]", Describe(books.Loans.Check(loanId, null, Now.AddMinutes(2))!.Then));
        Assert.Null(books.Loans.Check(loanId, null, Now.AddMinutes(2)));
    }

    [Fact]
    public void Loan_records_are_checked_round_robin_a_batch_at_a_time()
    {
        var books = WithLoans(LoanState.Active, LoanState.Active);

        var first = books.Loans.RecordsToCheck(1);
        var second = books.Loans.RecordsToCheck(1);

        Assert.Equal([.. books.Loans.Lent.Keys, "b.gansu"], [.. first, .. second]);
    }

    [Theory]
    [InlineData(30, false)]
    [InlineData(60, true)]
    [InlineData(120, true)]
    public void Jobs_waiting_past_the_pressure_threshold_make_the_hub_ask_every_peer_that_could_run_them(int waitedSeconds, bool asks)
    {
        var books = New();

        var wish = books.Loans.UnderPressure([Waiting(since: Now.AddSeconds(-waitedSeconds))], Topology, Now);

        Assert.Equal(asks, wish is not null);
        if (wish is not null)
        {
            Assert.DoesNotContain(Hub, wish.Peers);
            Assert.Contains("gansu", wish.Peers);
            Assert.Equal(["job-1"], wish.Jobs.Select(j => j.JobId));
        }
    }

    [Fact]
    public void No_pressure_asks_when_lending_is_disabled()
    {
        var books = New(rules: Rules with { Enabled = false });

        Assert.Null(books.Loans.UnderPressure([Waiting(since: Now.AddHours(-1))], Topology, Now));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void A_crash_after_any_prefix_of_the_lenders_plan_never_lends_past_the_limit_and_reconciliation_ends_with_nothing_lent(int prefix)
    {
        // The lender's plan for one request: Answer's intents, then (once the loan opened) Opened's. Storage holds what
        // the last Persist before the crash wrote; the loan exists once OpenLoan ran, and lapses unaccepted.
        var limit = ResourceVector.Of(4_000, 16_384);
        var quota = new HubQuota(limit, null, ReclaimPolicy.Never);
        var books = New(quota);
        var ask = new CapacityAsk("r1", "gba", limit, TimeSpan.FromHours(2), null);
        var plan = new List<RegionIntent>(books.Loans.Answer(ask, Topology, View(), Now));
        var stored = new Dictionary<string, LentLoan>(StringComparer.Ordinal);
        var answered = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var opened = false;
        for (var step = 0; step < prefix && step < plan.Count; step++)
        {
            switch (plan[step])
            {
                case Persist:
                    stored = books.Loans.Lent.ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal);
                    answered = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal) { ["r1"] = Now };
                    break;
                case OpenLoan open:
                    opened = true;
                    plan.AddRange(books.Loans.Opened(open.Terms, LoanState.Offered, open.Terms, Now));
                    break;
            }
        }

        var jobs = new RegionBook(new Dictionary<string, WaitingJob>(StringComparer.Ordinal), new Dictionary<string, PlacedJob>(StringComparer.Ordinal), 0);
        var restarted = new RegionLoanBook(Hub, quota, Rules, jobs, stored, new Dictionary<string, BorrowedLoan>(StringComparer.Ordinal), answered, new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal));

        Assert.True(!opened || stored.Count > 0, "a loan holds capacity that the stored record does not count against the limit");
        Assert.True(restarted.LentNow().IsWithin(limit));
        Assert.Equal(stored.Count == 0 ? "[Persist, OpenLoan]" : "[Persist, RefuseRequest our lending limit is reached]", Describe(restarted.Answer(ask with { RequestId = "r2" }, Topology, View(), Now)));
        var later = Now + Rules.OfferTtl + TimeSpan.FromSeconds(1);
        foreach (var loanId in restarted.RecordsToCheck(10))
        {
            restarted.Check(loanId, opened ? LoanState.Declined : null, later);
        }

        Assert.Empty(restarted.Lent);
        Assert.Equal(ResourceVector.Zero, restarted.LentNow());
    }

    /// <summary>Intents as "[Kind detail, ...]": the kind, and the reason where it has one.</summary>
    private static readonly RegionLoanRules Forecasting = Rules with { ArrivalWindow = TimeSpan.FromMinutes(10), ForecastHorizon = TimeSpan.FromHours(1) };

    private static ResourceVector Cores(int cores) => ResourceVector.Of(cores * 1_000L, cores * 4_096L);

    [Fact]
    public void A_loan_is_sized_to_every_waiting_job_announced_for_the_peer_plus_what_recent_arrivals_predict()
    {
        var books = New(rules: Forecasting);
        var first = books.Jobs.Enqueue("job-1", Job(), Now, "guizhou");
        books.Jobs.Enqueue("job-2", Job(), Now, "guizhou");
        books.Jobs.Enqueue("job-3", Job(), Now, "gansu");
        books.Loans.Arrived(Job(), "guizhou", null, Now.AddMinutes(-1));
        books.Loans.Arrived(Job(), "guizhou", null, Now);

        var ask = books.Loans.Ask(["guizhou"], [first], "test", "r1", Now)!;

        // Two waiting jobs of 4 cores; two 2-hour arrivals a minute apart in the 10-minute window predict one gap's worth:
        // 4 cores x 60 / 10 = 24 cores.
        Assert.Equal(2, ask.Demand.Jobs);
        Assert.Equal(Cores(24), ask.Demand.Forecast);
        Assert.Equal(Cores(32), ask.Demand.Amount);
    }

    [Fact]
    public void Without_an_arrival_window_a_loan_covers_the_waiting_jobs_only()
    {
        var books = New();
        books.Loans.Arrived(Job(), "guizhou", null, Now);

        var ask = books.Loans.Ask(["guizhou"], [Waiting()], "test", "r1", Now)!;

        Assert.Equal(Cores(4), ask.Demand.Amount);
        Assert.Equal(ResourceVector.Zero, ask.Demand.Forecast);
    }

    [Theory]
    [InlineData("waiting for the peer", "guizhou", null, null, 24)]
    [InlineData("placed on a loan from the peer", null, "guian", "guizhou", 24)]
    [InlineData("placed at home", null, "wuhu", Hub, 0)]
    [InlineData("placed on a loan from another peer", null, "qingyang", "gansu", 0)]
    public void Only_arrivals_whose_best_place_is_the_peer_count_toward_its_forecast(string arrival, string? wanted, string? dataCenter, string? hub, int predictedCores)
    {
        _ = arrival;
        var books = New(rules: Forecasting);
        var placement = dataCenter is null ? null : new JobPlacement(dataCenter, hub!, "test", 10, Footprint.Zero, Energy, hub == Hub ? null : $"r0.{hub}");
        books.Loans.Arrived(Job(), wanted, placement, Now.AddMinutes(-1));
        books.Loans.Arrived(Job(), wanted, placement, Now);

        var ask = books.Loans.Ask(["guizhou"], [Waiting()], "test", "r1", Now)!;

        Assert.Equal(Cores(predictedCores), ask.Demand.Forecast);
    }

    [Theory]
    [InlineData("its slice has room for the job", LoanState.Active, 4, LatencyClass.Batch, 0, 1)]
    [InlineData("the job is larger than the room", LoanState.Active, 9, LatencyClass.Batch, 0, 2)]
    [InlineData("the loan is recalled", LoanState.Recalling, 4, LatencyClass.Batch, 0, 2)]
    [InlineData("its term has ended", LoanState.Active, 4, LatencyClass.Batch, 3, 2)]
    [InlineData("its slice is beyond the job's latency bound", LoanState.Active, 4, LatencyClass.Interactive, 0, 2)]
    public void A_waiting_job_an_open_loan_from_the_peer_could_take_is_not_asked_for_again(string situation, LoanState state, int cores, LatencyClass latency, int hoursLater, int jobsAskedFor)
    {
        _ = situation;
        var books = WithLoans(LoanState.Active, state);
        books.Jobs.Enqueue("job-9", Job(cores) with { LatencyClass = latency }, Now, "gansu");

        var ask = books.Loans.Ask(["gansu"], [Waiting("job-1", cores: 16)], "test", "r1", Now.AddHours(hoursLater))!;

        Assert.Equal(jobsAskedFor, ask.Demand.Jobs);
        Assert.Equal(jobsAskedFor == 1, books.Loans.CouldTake(["gansu"], Job(cores) with { LatencyClass = latency }, Now.AddHours(hoursLater)));
    }

    [Fact]
    public void A_job_that_arrives_while_a_negotiation_with_its_peer_is_in_flight_starts_no_second_one()
    {
        var books = New(rules: Forecasting);
        books.Loans.Arrived(Job(), "guizhou", null, Now);
        Assert.NotNull(books.Loans.Ask(["guizhou"], [Waiting("job-1")], "test", "r1", Now));

        books.Loans.Arrived(Job(), "guizhou", null, Now.AddSeconds(1));
        var second = books.Loans.Ask(["guizhou"], [Waiting("job-2", since: Now.AddSeconds(1))], "test", "r2", Now.AddSeconds(1));

        Assert.Null(second);
        Assert.Equal(["r1"], books.Loans.OpenRequests);
    }

    [Fact]
    public void In_a_steady_burst_one_loan_covers_many_jobs_at_most_one_loan_per_ten_borrowed_jobs()
    {
        // 120 jobs of 4 cores, one every 30 s, each running 4 h, whose best place is guian: the region places a job on a
        // loan with room, else queues it, asks, and the lender offers all it asked for.
        var books = New(rules: Forecasting);
        var loans = 0;
        for (var i = 0; i < 120; i++)
        {
            var now = Now.AddSeconds(30 * i);
            var spec = Job() with { RunTime = TimeSpan.FromHours(4) };
            if (books.Loans.LoansWithRoom("guian", spec.Resources) is [var (loanId, _), ..])
            {
                var placement = new JobPlacement("guian", "guizhou", "test", 12, Footprint.Zero, Energy, loanId);
                books.Loans.Arrived(spec, null, placement, now);
                books.Jobs.Place($"job-{i}", spec, placement);
                continue;
            }

            Assert.False(books.Loans.CouldTake(["guizhou"], spec, now));
            books.Loans.Arrived(spec, "guizhou", null, now);
            var waiting = books.Jobs.Enqueue($"job-{i}", spec, now, "guizhou");
            var ask = books.Loans.Ask(["guizhou"], [waiting], "test", $"r{i}", now)!;
            var offer = new LoanTerms(
                $"r{i}.guizhou", $"r{i}", "guizhou", Hub, [new LoanSlice("guian", ask.Demand.Amount, 0.09, 12)], new LoanPrice(0.01, 0.3), ask.Demand.Term, TimeSpan.FromMinutes(10), ExpiryTerms.FinishRunning, now.AddMinutes(1));
            books.Loans.OnOffer($"r{i}", "guizhou", offer);
            Assert.Contains(books.Loans.Close($"r{i}", now), intent => intent is AcceptOffer);
            books.Loans.Accepted(offer, new BorrowedLoan(offer, LoanState.Active, now + offer.Term), now);
            loans++;
            books.Jobs.PlaceFromQueue($"job-{i}", spec, new JobPlacement("guian", "guizhou", "test", 12, Footprint.Zero, Energy, offer.LoanId));
        }

        // The first job is no rate (a loan of its own), the second makes a loan for 7, the ninth one for 49, the 58th the rest.
        Assert.True(loans <= 12, $"{loans} loans for 120 borrowed jobs");
        Assert.Equal(4, loans);
        Assert.Equal(120, books.Jobs.Placed.Values.Count(p => p.Placement.LoanId is not null));
    }

    private static string Describe(IEnumerable<RegionIntent> intents) =>
        $"[{string.Join(", ", intents.Select(i => i switch
        {
            DeclineOffer d => $"DeclineOffer {d.Reason}",
            AcceptOffer a => $"AcceptOffer {a.Offer.LoanId}",
            RefuseRequest r => $"RefuseRequest {r.Reason}",
            RecallLoan r => $"RecallLoan {r.LoanId}",
            ReturnLoan r => $"ReturnLoan {r.Reason}",
            _ => i.GetType().Name,
        }))}]";
}
