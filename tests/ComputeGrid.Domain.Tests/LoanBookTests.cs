using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Tests;

public class LoanBookTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
    private static readonly ResourceVector Four = ResourceVector.Of(4_000, 8_192);

    private static LoanTerms Terms(ExpiryTerms onExpiry = ExpiryTerms.FinishRunning) => new(
        "ignored",
        "request-1",
        "gansu",
        "yangtze",
        [new LoanSlice("qingyang", Four, 0.3, 20), new LoanSlice("zhongwei", Four, 0.4, 25)],
        new LoanPrice(0.01, 0.5),
        TimeSpan.FromHours(2),
        TimeSpan.FromMinutes(10),
        onExpiry,
        T0.AddMinutes(1));

    /// <summary>A loan's state as the grain's record holds it, in memory.</summary>
    private sealed class Sheet : ILoanSheet
    {
        public List<LoanStep> History { get; } = [];

        public LoanTerms? Terms { get; set; }

        public LoanState State { get; set; }

        public DateTimeOffset OfferedAt { get; set; }

        public DateTimeOffset? AcceptedAt { get; set; }

        public DateTimeOffset? EndsAt { get; set; }

        public DateTimeOffset? RecallAt { get; set; }

        public LoanState? DrainingTo { get; set; }

        public bool DrainPreempts { get; set; }

        public ISet<string> Drained { get; } = new HashSet<string>(StringComparer.Ordinal);

        public ISet<string> SettledJobs { get; } = new HashSet<string>(StringComparer.Ordinal);

        public LoanUsage Usage { get; set; }

        public long Version { get; set; }

        public int Steps => History.Count;

        public void Add(LoanStep step) => History.Add(step);
    }

    /// <summary>Where a loan is brought before the call under test.</summary>
    public enum Stage
    {
        New,
        Offered,
        Active,
        Recalling,
        Draining,
        Settled,
        Declined,
    }

    private static (LoanBook Book, Sheet Sheet) At(Stage stage, ExpiryTerms onExpiry = ExpiryTerms.FinishRunning)
    {
        var sheet = new Sheet();
        var book = new LoanBook("loan-1", sheet);
        if (stage == Stage.New)
        {
            return (book, sheet);
        }

        var terms = Terms(onExpiry);
        book.Propose(terms, T0);
        book.Held(terms.Slices.Select(s => (s, s.Amount)), T0);
        switch (stage)
        {
            case Stage.Declined:
                book.Close(book.Due(T0.AddMinutes(2))!, T0.AddMinutes(2));
                return (book, sheet);
            case Stage.Offered:
                return (book, sheet);
        }

        book.Accept("yangtze", T0.AddSeconds(30));
        if (stage == Stage.Recalling)
        {
            var recall = book.Recall("gansu", "own work waits", T0.AddMinutes(5));
            book.Close(recall.Then!, T0.AddMinutes(5));
            book.Closed(recall.Then!, [], T0.AddMinutes(5));
        }
        else if (stage is Stage.Draining or Stage.Settled)
        {
            var closing = book.Return("yangtze", "done", T0.AddMinutes(5)).Then!;
            book.Close(closing, T0.AddMinutes(5));
            book.Closed(closing, stage == Stage.Settled ? ["qingyang", "zhongwei"] : ["qingyang"], T0.AddMinutes(5));
        }

        return (book, sheet);
    }

    private static string Kinds(IEnumerable<LoanIntent> plan) => string.Join(" ", plan.Select(i => i switch
    {
        WriteLoan => "Write",
        AnnounceLoan => "Announce",
        HoldSlice h => $"Hold:{h.Slice.DataCenterId}",
        OpenSlice o => $"Open:{o.DataCenterId}",
        CloseSlice c => $"Close:{c.DataCenterId}" + (c.Preempt ? "!" : string.Empty),
        TellHub t => $"{t.GetType().Name[4..]}>{t.ToHub}",
        _ => i.GetType().Name,
    }));

    [Fact]
    public void The_offer_is_written_before_any_slice_is_held()
    {
        var (book, sheet) = At(Stage.New);

        var plan = book.Propose(Terms(), T0);

        Assert.Equal("Write Hold:qingyang Hold:zhongwei", Kinds(plan));
        Assert.Equal(LoanState.Offered, sheet.State);
        Assert.Equal("loan-1", sheet.Terms!.LoanId);
    }

    [Fact]
    public void An_offer_keeps_the_slices_as_held_and_drops_those_nothing_could_be_held_in()
    {
        var (book, sheet) = At(Stage.New);
        var terms = Terms();
        book.Propose(terms, T0);

        var plan = book.Held([(terms.Slices[0], ResourceVector.Of(2_000, 4_096)), (terms.Slices[1], ResourceVector.Zero)], T0);

        Assert.Equal("Write Announce", Kinds(plan));
        Assert.Equal(LoanState.Offered, sheet.State);
        Assert.Equal([("qingyang", ResourceVector.Of(2_000, 4_096))], sheet.Terms!.Slices.Select(s => (s.DataCenterId, s.Amount)));
        Assert.StartsWith("offered ", sheet.History.Single().Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_offer_with_nothing_held_is_Declined_without_a_message_to_the_lender()
    {
        var (book, sheet) = At(Stage.New);
        var terms = Terms();
        book.Propose(terms, T0);

        var plan = book.Held(terms.Slices.Select(s => (s, ResourceVector.Zero)), T0);

        Assert.Equal("Write Announce", Kinds(plan));
        Assert.Equal(LoanState.Declined, sheet.State);
        Assert.False(book.HasDeadlines);
    }

    public static TheoryData<Stage, string, int, LoanAcceptVerdict, string, LoanState> Accepts => new()
    {
        { Stage.Offered, "yangtze", 30, LoanAcceptVerdict.Accepted, "Open:qingyang Open:zhongwei Write Accepted>gansu Announce", LoanState.Active },
        { Stage.Offered, "huabei", 30, LoanAcceptVerdict.NotYours, string.Empty, LoanState.Offered },
        { Stage.New, "yangtze", 30, LoanAcceptVerdict.NotYours, string.Empty, LoanState.Offered },
        { Stage.Offered, "yangtze", 60, LoanAcceptVerdict.Lapsed, "Close:qingyang Close:zhongwei Write Declined>gansu Settled>gansu Settled>yangtze Announce", LoanState.Declined },
        { Stage.Declined, "yangtze", 30, LoanAcceptVerdict.Lapsed, string.Empty, LoanState.Declined },
        { Stage.Active, "yangtze", 30, LoanAcceptVerdict.AlreadyAccepted, string.Empty, LoanState.Active },
        { Stage.Settled, "yangtze", 30, LoanAcceptVerdict.AlreadyAccepted, string.Empty, LoanState.Returned },
    };

    [Theory]
    [MemberData(nameof(Accepts))]
    public void An_accept_commits_once_before_the_offer_lapses_and_opens_the_slices_before_the_write(
        Stage stage, string borrower, int afterSeconds, LoanAcceptVerdict verdict, string plan, LoanState after)
    {
        var (book, sheet) = At(stage);

        var accept = book.Accept(borrower, T0.AddSeconds(afterSeconds));

        Assert.Equal(verdict, accept.Answer);
        Assert.Equal(plan, Kinds(accept.Plan));
        if (stage != Stage.New)
        {
            Assert.Equal(after, sheet.State);
        }
    }

    [Fact]
    public void An_accepted_loan_runs_its_term_from_the_acceptance_and_tells_the_lender_with_a_step_unique_message_id()
    {
        var (book, sheet) = At(Stage.Offered);

        var accept = book.Accept("yangtze", T0.AddSeconds(30));

        Assert.Equal(T0.AddSeconds(30), sheet.AcceptedAt);
        Assert.Equal(T0.AddSeconds(30) + TimeSpan.FromHours(2), sheet.EndsAt);
        var told = Assert.Single(accept.Plan.OfType<TellAccepted>());
        Assert.Equal(("loan-1/accepted/2", "yangtze"), (told.MessageId, told.FromHub));
    }

    public static TheoryData<Stage, string, bool, string, bool> Recalls => new()
    {
        { Stage.Active, "gansu", true, "Write Recall>yangtze Announce", true },
        { Stage.Recalling, "gansu", true, string.Empty, false },
        { Stage.Active, "yangtze", false, string.Empty, false },
        { Stage.Offered, "gansu", false, string.Empty, false },
        { Stage.Draining, "gansu", false, string.Empty, false },
        { Stage.Settled, "gansu", false, string.Empty, false },
    };

    [Theory]
    [MemberData(nameof(Recalls))]
    public void Only_the_lender_recalls_an_active_loan_and_a_repeated_recall_answers_true_without_acting(
        Stage stage, string lender, bool answer, string plan, bool closes)
    {
        var (book, _) = At(stage);

        var recall = book.Recall(lender, "own work waits", T0.AddMinutes(6));

        Assert.Equal(answer, recall.Answer);
        Assert.Equal(plan, Kinds(recall.Plan));
        Assert.Equal(closes, recall.Then is { Final: LoanState.Recalled, Preempt: false, StayRecalling: true });
    }

    [Fact]
    public void A_recall_keeps_the_loan_Recalling_until_its_notice_ends_while_borrowed_jobs_remain()
    {
        var (book, sheet) = At(Stage.Active);
        var recall = book.Recall("gansu", "own work waits", T0.AddMinutes(6));

        Assert.Equal("Close:qingyang Close:zhongwei", Kinds(book.Close(recall.Then!, T0.AddMinutes(6))));
        Assert.Equal("Write", Kinds(book.Closed(recall.Then!, ["qingyang"], T0.AddMinutes(6))));

        Assert.Equal(LoanState.Recalling, sheet.State);
        Assert.Equal(T0.AddMinutes(16), sheet.RecallAt);
    }

    [Fact]
    public void A_recalled_loan_nothing_runs_on_comes_back_at_once_in_one_write()
    {
        var (book, sheet) = At(Stage.Active);
        var recall = book.Recall("gansu", "own work waits", T0.AddMinutes(6));
        book.Close(recall.Then!, T0.AddMinutes(6));

        var plan = book.Closed(recall.Then!, ["qingyang", "zhongwei"], T0.AddMinutes(6));

        Assert.Equal("Write Settled>gansu Settled>yangtze Announce", Kinds(plan));
        Assert.Equal(LoanState.Recalled, sheet.State);
        Assert.Equal([LoanState.Recalling, LoanState.Draining, LoanState.Recalled], sheet.History.TakeLast(3).Select(s => s.State));
    }

    public static TheoryData<Stage, string, bool> Returns => new()
    {
        { Stage.Active, "yangtze", true },
        { Stage.Recalling, "yangtze", true },
        { Stage.Active, "gansu", false },
        { Stage.Offered, "yangtze", false },
        { Stage.Draining, "yangtze", false },
        { Stage.Settled, "yangtze", false },
    };

    [Theory]
    [MemberData(nameof(Returns))]
    public void Only_the_borrower_returns_an_active_or_recalling_loan_telling_the_lender_before_the_slices_close(Stage stage, string borrower, bool answer)
    {
        var (book, _) = At(stage);

        var giveBack = book.Return(borrower, "done", T0.AddMinutes(7));

        Assert.Equal(answer, giveBack.Answer);
        Assert.Equal(answer ? "Returned>gansu" : string.Empty, Kinds(giveBack.Plan));
        Assert.Equal(answer, giveBack.Then is { Final: LoanState.Returned, Preempt: false, StayRecalling: false });
    }

    public static TheoryData<Stage, ExpiryTerms, int, LoanState?, bool, string?> Deadlines => new()
    {
        { Stage.Offered, ExpiryTerms.FinishRunning, 0, null, false, null },
        { Stage.Offered, ExpiryTerms.FinishRunning, 1, LoanState.Declined, false, "the offer lapsed unanswered" },
        { Stage.Active, ExpiryTerms.FinishRunning, 60, null, false, null },
        { Stage.Active, ExpiryTerms.FinishRunning, 121, LoanState.Expired, false, "the loan's term ended" },
        { Stage.Active, ExpiryTerms.Preempt, 121, LoanState.Expired, true, "the loan's term ended" },
        { Stage.Recalling, ExpiryTerms.FinishRunning, 10, null, false, null },
        { Stage.Recalling, ExpiryTerms.FinishRunning, 15, LoanState.Recalled, true, "the recall's notice ended" },
        { Stage.Draining, ExpiryTerms.FinishRunning, 6, LoanState.Returned, false, "settling" },
        { Stage.Settled, ExpiryTerms.FinishRunning, 600, null, false, null },
        { Stage.Declined, ExpiryTerms.FinishRunning, 600, null, false, null },
        { Stage.New, ExpiryTerms.FinishRunning, 600, null, false, null },
    };

    [Theory]
    [MemberData(nameof(Deadlines))]
    public void A_deadline_that_passed_closes_the_loan_and_a_draining_loan_is_closed_again_on_every_tick(
        Stage stage, ExpiryTerms onExpiry, int minutes, LoanState? final, bool preempt, string? reason)
    {
        var (book, _) = At(stage, onExpiry);

        var due = book.Due(T0.AddMinutes(minutes));

        Assert.Equal(final, due?.Final);
        if (due is not null)
        {
            Assert.Equal((preempt, reason), (due.Preempt, due.Reason));
        }
    }

    [Fact]
    public void An_expiring_loan_writes_and_announces_Draining_before_any_slice_closes()
    {
        var (book, sheet) = At(Stage.Active, ExpiryTerms.Preempt);

        var plan = book.Close(book.Due(T0.AddHours(3))!, T0.AddHours(3));

        Assert.Equal("Write Announce Close:qingyang! Close:zhongwei!", Kinds(plan));
        Assert.Equal((LoanState.Draining, LoanState.Expired, true), (sheet.State, sheet.DrainingTo, sheet.DrainPreempts));
    }

    [Fact]
    public void A_draining_loan_closes_only_the_slices_not_yet_empty_and_writes_nothing_until_one_empties()
    {
        var (book, _) = At(Stage.Draining);
        var settling = book.Due(T0.AddMinutes(6))!;

        Assert.Equal("Close:zhongwei", Kinds(book.Close(settling, T0.AddMinutes(6))));
        Assert.Empty(book.Closed(settling, [], T0.AddMinutes(6)));
    }

    [Fact]
    public void A_loan_settles_in_its_final_state_once_every_slice_is_empty_and_tells_both_hubs_one_message()
    {
        var (book, sheet) = At(Stage.Draining);

        var plan = book.SliceDrained("zhongwei", T0.AddMinutes(8));

        Assert.Equal("Write Settled>gansu Settled>yangtze Announce", Kinds(plan));
        Assert.Equal(LoanState.Returned, sheet.State);
        Assert.Single(plan.OfType<TellSettled>().Select(t => (t.MessageId, t.FromHub, t.Final)).Distinct());
        Assert.False(book.HasDeadlines);
    }

    [Fact]
    public void Declining_an_offer_releases_every_held_slice_before_Declined_is_written()
    {
        var (book, sheet) = At(Stage.Offered);

        Assert.True(book.MayDecline("yangtze"));
        Assert.False(book.MayDecline("huabei"));
        var plan = book.Close(new LoanClosing(LoanState.Declined, false, "enough capacity at home"), T0.AddSeconds(10));

        Assert.Equal("Close:qingyang Close:zhongwei Write Declined>gansu Settled>gansu Settled>yangtze Announce", Kinds(plan));
        Assert.Equal(LoanState.Declined, sheet.State);
        Assert.Empty(book.Closed(new LoanClosing(LoanState.Declined, false, "enough capacity at home"), ["qingyang"], T0.AddSeconds(10)));
        Assert.Empty(sheet.Drained);
    }

    [Fact]
    public void A_borrowed_job_is_booked_once_with_its_charge_and_what_it_would_have_cost_at_home()
    {
        var (book, sheet) = At(Stage.Active);
        var footprint = new Footprint(1, 0.1, 0.5);
        var version = sheet.Version;

        var plan = book.SettleJob("qingyang", "job-1", new ResourceRequest(4_000, 8_192), TimeSpan.FromHours(1), footprint, Shipped.Topology);

        Assert.Equal("Write Announce", Kinds(plan));
        Assert.Equal((1L, 4.0, 0.04), (sheet.Usage.Jobs, sheet.Usage.CoreHours, Math.Round(sheet.Usage.ChargeCny, 6)));
        Assert.Equal(footprint, sheet.Usage.Footprint);
        Assert.Equal(LoanBook.AtHome(Shipped.Topology, "yangtze", new ResourceRequest(4_000, 8_192), TimeSpan.FromHours(1)), sheet.Usage.AtHome);
        Assert.True(sheet.Usage.AtHome.EnergyKwh > 0);
        Assert.Equal(version + 1, sheet.Version);
    }

    [Fact]
    public void A_settled_loan_books_no_further_use()
    {
        var (book, sheet) = At(Stage.Settled);

        Assert.Empty(book.SettleJob("qingyang", "job-9", new ResourceRequest(1_000, 1_024), TimeSpan.FromHours(1), Footprint.Zero, Shipped.Topology));
        Assert.Equal(0, sheet.Usage.Jobs);
    }

    /// <summary>Each transition, called a second time with the same arguments: the retry must plan nothing and change nothing.</summary>
    public static TheoryData<string> Retries => new()
    {
        "open", "accept", "decline", "recall", "return", "expire", "slice drained", "job settled", "settle",
    };

    [Theory]
    [MemberData(nameof(Retries))]
    public void A_retried_transition_plans_nothing_and_changes_nothing(string transition)
    {
        Func<LoanBook, IReadOnlyList<LoanIntent>> call = transition switch
        {
            "open" => b => b.Propose(Terms(), T0),
            "accept" => b => b.Accept("yangtze", T0.AddSeconds(40)).Plan,
            "decline" => b => b.MayDecline("yangtze") ? b.Close(new LoanClosing(LoanState.Declined, false, "no"), T0.AddSeconds(40)) : [],
            "recall" => b => b.Recall("gansu", "own work", T0.AddMinutes(6)).Plan,
            "return" => b => b.Return("yangtze", "done", T0.AddMinutes(6)) is { Then: { } c } r ? [.. r.Plan, .. b.Close(c, T0.AddMinutes(6))] : [],
            "expire" => b => b.Due(T0.AddHours(3)) is { } c ? b.Close(c, T0.AddHours(3)) : [],
            "slice drained" => b => b.SliceDrained("zhongwei", T0.AddMinutes(7)),
            "job settled" => b => b.SettleJob("qingyang", "job-1", new ResourceRequest(1_000, 1_024), TimeSpan.FromMinutes(30), Footprint.Zero, Shipped.Topology),
            _ => b => b.Closed(new LoanClosing(LoanState.Returned, false, "settling"), ["qingyang", "zhongwei"], T0.AddMinutes(8)),
        };
        var (book, sheet) = transition switch
        {
            "open" => At(Stage.New),
            "accept" or "decline" => At(Stage.Offered),
            "slice drained" or "settle" => At(Stage.Draining),
            _ => At(Stage.Active),
        };

        Assert.NotEmpty(call(book));
        var (state, version, steps, usage) = (sheet.State, sheet.Version, sheet.Steps, sheet.Usage);
        var retry = call(book);

        Assert.DoesNotContain(retry, i => i is WriteLoan or TellHub or AnnounceLoan or OpenSlice or HoldSlice);
        Assert.Equal((state, version, steps, usage), (sheet.State, sheet.Version, sheet.Steps, sheet.Usage));
    }

    [Fact]
    public void No_plan_tells_or_announces_a_change_before_writing_it()
    {
        var plans = new List<IReadOnlyList<LoanIntent>>();
        var (book, _) = At(Stage.New);
        var terms = Terms();
        plans.Add(book.Propose(terms, T0));
        plans.Add(book.Held(terms.Slices.Select(s => (s, s.Amount)), T0));
        plans.Add(book.Accept("yangtze", T0.AddSeconds(30)).Plan);
        var recall = book.Recall("gansu", "own work", T0.AddMinutes(5));
        plans.Add(recall.Plan);
        plans.Add(book.Close(recall.Then!, T0.AddMinutes(5)));
        plans.Add(book.Closed(recall.Then!, ["qingyang"], T0.AddMinutes(5)));
        var end = book.Due(T0.AddMinutes(20))!;
        plans.Add(book.Close(end, T0.AddMinutes(20)));
        plans.Add(book.Closed(end, ["zhongwei"], T0.AddMinutes(20)));
        var (offered, _) = At(Stage.Offered);
        plans.Add(offered.Accept("yangtze", T0.AddMinutes(2)).Plan);

        foreach (var plan in plans.Where(p => p.Any(i => i is TellHub or AnnounceLoan)))
        {
            var firstWrite = plan.ToList().FindIndex(i => i is WriteLoan);
            Assert.InRange(firstWrite, 0, plan.ToList().FindIndex(i => i is TellHub or AnnounceLoan));
        }

        Assert.Contains(plans, p => p.Any(i => i is TellSettled { Final: LoanState.Recalled }));
    }
}
