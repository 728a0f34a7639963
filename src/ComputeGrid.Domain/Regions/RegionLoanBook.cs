using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Regions;

/// <summary>A loan a region lent, as the lender keeps it until the loan settles (a cache of the loan grain).</summary>
/// <param name="Borrower">The borrowing hub.</param>
/// <param name="Slices">What is lent, per data center.</param>
/// <param name="State">The loan's state as last heard.</param>
/// <param name="Since">When it was offered, or accepted once it was.</param>
public sealed record LentLoan(string Borrower, IReadOnlyList<LoanSlice> Slices, LoanState State, DateTimeOffset Since)
{
    /// <summary>The total amount over all slices.</summary>
    public ResourceVector Amount => Slices.Aggregate(ResourceVector.Zero, (sum, s) => sum.Plus(s.Amount));
}

/// <summary>A loan a region borrowed, as the borrower keeps it until the loan settles (a cache of the loan grain).</summary>
/// <param name="Terms">The loan's terms.</param>
/// <param name="State">The loan's state as last heard.</param>
/// <param name="EndsAt">When its term ends.</param>
public sealed record BorrowedLoan(LoanTerms Terms, LoanState State, DateTimeOffset EndsAt);

/// <summary>The loan settings a region decides with (configuration <c>ComputeGrid:Loans</c>).</summary>
/// <param name="Enabled">Whether the hub borrows and lends at all.</param>
/// <param name="OfferTtl">How long an offer holds the lender's capacity unless accepted.</param>
/// <param name="AskBackoff">How long a peer that refused, stayed silent or made a useless offer is not asked again.</param>
/// <param name="QueuePressureThreshold">A job waiting this long makes its hub ask every peer that could run it.</param>
/// <param name="MaxJobsPerRequest">How many waiting jobs one request covers at most.</param>
/// <param name="TermFactor">A term is the longest job's run time times this, within <paramref name="MinTerm"/>..<paramref name="MaxTerm"/>.</param>
/// <param name="MinTerm">The shortest term asked for.</param>
/// <param name="MaxTerm">The longest term asked for.</param>
/// <param name="Ceiling">The most a borrower pays, CNY per core-hour and per GPU-hour.</param>
/// <param name="PriceMargin">A lender's margin over its energy cost (0.2 prices at 120%).</param>
/// <param name="RecallNotice">How long a recall's notice lasts, in the terms a lender offers.</param>
/// <param name="OnExpiry">What happens to running borrowed jobs at the end of a term, in the terms a lender offers.</param>
/// <param name="ArrivalWindow">How far back the jobs whose best place is a peer count toward the forecast of a loan's size (<see cref="ArrivalForecast"/>); zero: loans are sized by the waiting jobs alone.</param>
/// <param name="ForecastHorizon">How long ahead the forecast looks, at most (and never past the loan's term).</param>
public sealed record RegionLoanRules(
    bool Enabled,
    TimeSpan OfferTtl,
    TimeSpan AskBackoff,
    TimeSpan QueuePressureThreshold,
    int MaxJobsPerRequest,
    double TermFactor,
    TimeSpan MinTerm,
    TimeSpan MaxTerm,
    LoanPrice Ceiling,
    double PriceMargin,
    TimeSpan RecallNotice,
    ExpiryTerms OnExpiry,
    TimeSpan ArrivalWindow = default,
    TimeSpan ForecastHorizon = default);

/// <summary>A peer's request for capacity, as the lender reads it.</summary>
/// <param name="RequestId">The request's negotiation id (the loan id is <c>{RequestId}.{lender}</c>).</param>
/// <param name="Borrower">The hub that asks.</param>
/// <param name="Amount">What it asks for.</param>
/// <param name="Term">For how long.</param>
/// <param name="MaxLatencyMs">The strictest latency bound of its jobs; null when none.</param>
public sealed record CapacityAsk(string RequestId, string Borrower, ResourceVector Amount, TimeSpan Term, double? MaxLatencyMs);

/// <summary>Whom to ask for capacity for which waiting jobs, and why.</summary>
/// <param name="Peers">The hubs to ask.</param>
/// <param name="Jobs">The waiting jobs the loan is for.</param>
/// <param name="Reason">Why.</param>
public sealed record BorrowWish(IReadOnlyList<string> Peers, IReadOnlyList<WaitingJob> Jobs, string Reason);

/// <summary>What a reclaim needs to know from the data centers: the waiting job it is for, and the sites (in the job's ranking) with active lent slices.</summary>
/// <param name="Waiting">The first waiting job that found no place.</param>
/// <param name="Sites">The lender's data centers, best first, that hold active lent slices, with their free capacity as last seen.</param>
public sealed record ReclaimQuery(WaitingJob Waiting, IReadOnlyList<(string DataCenterId, ResourceVector Free)> Sites);

/// <summary>A borrower's use of a lent slice, as the data center that holds it reports.</summary>
/// <param name="LoanId">The loan.</param>
/// <param name="Amount">What the slice holds there.</param>
/// <param name="HighestPriority">The highest priority among them; null when none.</param>
public sealed record SliceUse(string LoanId, ResourceVector Amount, int? HighestPriority);

/// <summary>The outcome of checking one cached loan record against its loan.</summary>
/// <param name="Verdict">What the cache does.</param>
/// <param name="Cached">The cached state before.</param>
/// <param name="Next">The state the cache takes (on Refresh).</param>
/// <param name="Then">What must happen next.</param>
public sealed record LoanRecordCheck(LoanRecordVerdict Verdict, LoanState Cached, LoanState Next, IReadOnlyList<RegionIntent> Then);

/// <summary>One open request for capacity: the peers asked, their answers so far, and the offers collected.</summary>
internal sealed class Negotiation(string requestId, BorrowDemand demand, IEnumerable<string> asked, IReadOnlyList<ResourceRequest> jobs)
{
    public string RequestId { get; } = requestId;

    public BorrowDemand Demand { get; } = demand;

    /// <summary>The waiting jobs' resources: an offer no one of them fits in is useless.</summary>
    public IReadOnlyList<ResourceRequest> Jobs { get; } = jobs;

    public HashSet<string> Asked { get; } = new(asked, StringComparer.Ordinal);

    public HashSet<string> Answered { get; } = new(StringComparer.Ordinal);

    public List<LoanTerms> Offers { get; } = [];

    public bool AllAnswered => Asked.IsSubsetOf(Answered);
}

/// <summary>
/// A region's book of loans: the loans it lent and borrowed (caches of the loan grains, section 4c of the architecture),
/// the capacity requests it answered and the loans that settled (both kept a day, for idempotency), its open
/// negotiations and the peers it backs off from. It makes every loan decision of the region (ask, choose among offers,
/// lend, recall, return early, refresh a cached record) and returns the <see cref="RegionIntent"/>s that carry it out,
/// with <see cref="Persist"/> where a write must come before what follows. Its record changes go into the region's
/// write plan through <see cref="RegionBook.RecordChanged"/>.
/// </summary>
public sealed class RegionLoanBook
{
    /// <summary>How long answered requests and settled loans are remembered.</summary>
    public static readonly TimeSpan MemoryOfClosed = TimeSpan.FromDays(1);

    private readonly string _hubId;
    private readonly HubQuota _quota;
    private readonly RegionLoanRules _rules;
    private readonly RegionBook _jobs;
    private readonly IDictionary<string, LentLoan> _lent;
    private readonly IDictionary<string, BorrowedLoan> _borrowed;
    private readonly IDictionary<string, DateTimeOffset> _answered;
    private readonly IDictionary<string, DateTimeOffset> _closed;
    private readonly Dictionary<string, Negotiation> _negotiations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _asking = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _backoff = new(StringComparer.Ordinal);
    private readonly ReconcileRotation _rotation = new();
    private readonly ArrivalForecast _forecast;

    /// <summary>A book over the region's restored records (kept, not copied, so the owner persists exactly what changed).</summary>
    public RegionLoanBook(
        string hubId,
        HubQuota quota,
        RegionLoanRules rules,
        RegionBook jobs,
        IDictionary<string, LentLoan> lent,
        IDictionary<string, BorrowedLoan> borrowed,
        IDictionary<string, DateTimeOffset> answered,
        IDictionary<string, DateTimeOffset> closed)
    {
        (_hubId, _quota, _rules, _jobs) = (hubId, quota, rules, jobs);
        (_lent, _borrowed, _answered, _closed) = (lent, borrowed, answered, closed);
        _forecast = new ArrivalForecast(rules.ArrivalWindow);
    }

    /// <summary>Loans lent, by id.</summary>
    public IReadOnlyDictionary<string, LentLoan> Lent => _lent.AsReadOnly();

    /// <summary>Loans borrowed, by id.</summary>
    public IReadOnlyDictionary<string, BorrowedLoan> Borrowed => _borrowed.AsReadOnly();

    /// <summary>The open negotiations' request ids.</summary>
    public IReadOnlyCollection<string> OpenRequests => _negotiations.Keys;

    /// <summary>What is lent now.</summary>
    public ResourceVector LentNow() => _lent.Values.Aggregate(ResourceVector.Zero, (sum, l) => sum.Plus(l.Amount));

    /// <summary>What is borrowed now.</summary>
    public ResourceVector BorrowedNow() => _borrowed.Values.Aggregate(ResourceVector.Zero, (sum, b) => sum.Plus(b.Terms.Amount));

    /// <summary>How much more may be lent under the lending limit.</summary>
    public ResourceVector LendingRoom(ResourceVector nominal) => QuotaMath.LendingRoom(_quota, nominal, LentNow());

    /// <summary>How much more may be borrowed under the borrowing limit; null when unlimited.</summary>
    public ResourceVector? BorrowingRoom() => QuotaMath.BorrowingRoom(_quota, BorrowedNow());

    /// <summary>True while the hub does not ask <paramref name="hub"/> again (it refused, stayed silent or offered nothing useful).</summary>
    public bool IsBackedOff(string? hub, DateTimeOffset now) => hub is not null && _backoff.TryGetValue(hub, out var until) && now < until;

    /// <summary>Until when the hub does not ask <paramref name="hub"/> again; null when it may (<see cref="IsBackedOff"/>).</summary>
    public DateTimeOffset? BackedOffUntil(string hub, DateTimeOffset now) => _backoff.TryGetValue(hub, out var until) && now < until ? until : null;

    /// <summary>
    /// How fast the region's recent arrivals whose best place is in <paramref name="hub"/> came, in the dimensions of
    /// <paramref name="job"/>, per hour: the demand that competes with a job waiting for room there (<see cref="ArrivalForecast.RateOf"/>).
    /// </summary>
    public Placement.ResourceRate CompetingFor(string hub, ResourceRequest job, DateTimeOffset now) => _forecast.RateOf([hub], job, now);

    /// <summary>A peer may be asked: not ourselves, not backed off, and the borrowing limit leaves a useful room.</summary>
    public bool MayAsk(string hub, DateTimeOffset now) =>
        hub != _hubId && !IsBackedOff(hub, now) && (BorrowingRoom() is not { } room || !QuotaMath.IsUseless(room));

    /// <summary>
    /// A job arrived whose best place is in a peer: it is borrowing for it (<paramref name="wanted"/>) or placed it on a loan
    /// from there (<paramref name="placement"/>). The forecast of that peer counts it; nothing for a job placed at home.
    /// </summary>
    public void Arrived(JobSpec spec, string? wanted, JobPlacement? placement, DateTimeOffset now)
    {
        if ((wanted ?? (placement is { LoanId: not null } p ? p.HubId : null)) is { } peer && peer != _hubId)
        {
            _forecast.Note(peer, spec.Resources, spec.RunTime, now);
        }
    }

    /// <summary>
    /// The borrower's ask: to the peers it may ask that no open negotiation is asking yet (a job that arrives while one is
    /// in flight waits for it), for <paramref name="jobs"/> and every other waiting job whose Queued event named one of
    /// those peers and that no open loan from them could take already (<see cref="CouldTake"/>); sized to their demand
    /// plus what recent arrivals predict for the loan's term (<see cref="BorrowPlanner.WithForecast"/>), within the
    /// borrowing room left after what is borrowed and asked already. Null when nobody is asked.
    /// </summary>
    public AskPeers? Ask(IEnumerable<string> hubs, IReadOnlyList<WaitingJob> jobs, string reason, string requestId, DateTimeOffset now)
    {
        var peers = hubs.Where(h => MayAsk(h, now) && !_asking.ContainsKey(h)).ToList();
        if (peers.Count == 0)
        {
            return null;
        }

        // The caller judged its jobs just now, with the shortlist placement uses (an open loan it could use makes the peer
        // no wish); the other waiting jobs announced for these peers were judged when they queued.
        var given = jobs.Select(j => j.JobId).ToHashSet(StringComparer.Ordinal);
        var waiting = jobs
            .Concat(_jobs.Queue.Values
                .Where(q => !given.Contains(q.JobId) && q.AnnouncedHub is { } h && peers.Contains(h) && !CouldTake(peers, q.Spec, now))
                .OrderBy(q => q.Sequence))
            .ToList();
        var pending = _negotiations.Values.Aggregate(ResourceVector.Zero, (sum, n) => sum.Plus(n.Demand.Amount));
        var room = QuotaMath.BorrowingRoom(_quota, BorrowedNow().Plus(pending));
        if (BorrowPlanner.Demand(waiting.Select(j => j.Spec), _rules.MaxJobsPerRequest, room, _rules.TermFactor, _rules.MinTerm, _rules.MaxTerm) is not { } queued)
        {
            return null;
        }

        var horizon = queued.Term < _rules.ForecastHorizon ? queued.Term : _rules.ForecastHorizon;
        var demand = BorrowPlanner.WithForecast(queued, _forecast.Predict(peers, horizon, now), OpenRoom(peers, now), room);
        _negotiations[requestId] = new Negotiation(requestId, demand, peers, [.. waiting.Select(j => j.Spec.Resources)]);
        foreach (var peer in peers)
        {
            _asking[peer] = requestId;
        }

        return new AskPeers(requestId, peers, demand, reason, now);
    }

    /// <summary>
    /// True when a loan from one of <paramref name="peers"/> that takes placements and whose term has not ended has a
    /// slice the job fits in, within the job's latency bound and data residency: the job waits for it, not for a new loan.
    /// </summary>
    public bool CouldTake(IEnumerable<string> peers, JobSpec job, DateTimeOffset now)
    {
        var bound = job.LatencyClass.BoundMs();
        return _borrowed.Any(b =>
            peers.Contains(b.Value.Terms.Lender)
            && b.Value.State.TakesPlacements()
            && now < b.Value.EndsAt
            && job.Allows(b.Value.Terms.Lender)
            && b.Value.Terms.Slices.Any(s => (bound is not { } max || s.LatencyMs <= max) && _jobs.SliceRoom(b.Key, s).Fits(job.Resources)));
    }

    /// <summary>
    /// Queue pressure: jobs that found no place and waited past the threshold make the hub ask every peer that could run
    /// one of them (then <see cref="Ask"/>). Null when lending is off or nothing waited that long.
    /// </summary>
    public BorrowWish? UnderPressure(IReadOnlyList<WaitingJob> stuck, NationalTopology topology, DateTimeOffset now)
    {
        if (!_rules.Enabled || stuck.Count == 0)
        {
            return null;
        }

        var pressed = stuck.Where(q => now - q.EnqueuedAt >= _rules.QueuePressureThreshold).ToList();
        var peers = topology.Hubs.Keys.Where(h => h != _hubId && pressed.Any(q => BorrowPlanner.CouldRunIn(q.Spec, topology, h))).ToList();
        return pressed.Count == 0 || peers.Count == 0
            ? null
            : new BorrowWish(peers, pressed, $"{pressed.Count} jobs have waited longer than {_rules.QueuePressureThreshold}");
    }

    /// <summary>An offer arrived: ignored if its loan is known, declined if its window closed, else collected (the window closes once every peer answered).</summary>
    public IReadOnlyList<RegionIntent> OnOffer(string requestId, string fromHub, LoanTerms terms)
    {
        if (_borrowed.ContainsKey(terms.LoanId) || _closed.ContainsKey(terms.LoanId))
        {
            return [];
        }

        if (!_negotiations.TryGetValue(requestId, out var negotiation))
        {
            return [new DeclineOffer(terms.LoanId, "arrived after the offer window closed")];
        }

        if (negotiation.Offers.All(o => o.LoanId != terms.LoanId))
        {
            negotiation.Offers.Add(terms);
        }

        negotiation.Answered.Add(fromHub);
        return negotiation.AllAnswered ? [new CloseWindow(requestId)] : [];
    }

    /// <summary>A peer refused: it is backed off from, and the window closes once every peer answered.</summary>
    public IReadOnlyList<RegionIntent> OnRefused(string requestId, string fromHub, DateTimeOffset now)
    {
        if (!_negotiations.TryGetValue(requestId, out var negotiation))
        {
            return [];
        }

        _backoff[fromHub] = now + _rules.AskBackoff;
        negotiation.Answered.Add(fromHub);
        return negotiation.AllAnswered ? [new CloseWindow(requestId)] : [];
    }

    /// <summary>
    /// The offer window closes: silent peers and those whose offer fits none of the waiting jobs are backed off from (the
    /// useless offers declined first); the useful ones are chosen by <see cref="OfferRanking"/> within the borrowing room;
    /// then the queue is tried again. Nothing when the negotiation closed already.
    /// </summary>
    public IReadOnlyList<RegionIntent> Close(string requestId, DateTimeOffset now)
    {
        if (!_negotiations.Remove(requestId, out var negotiation))
        {
            return [];
        }

        foreach (var peer in negotiation.Asked.Where(p => _asking.GetValueOrDefault(p) == requestId))
        {
            _asking.Remove(peer);
        }

        foreach (var silent in negotiation.Asked.Where(p => !negotiation.Answered.Contains(p)))
        {
            _backoff[silent] = now + _rules.AskBackoff;
        }

        var intents = new List<RegionIntent>();
        var useful = negotiation.Offers.Where(o => LendingPlanner.IsUseful(o, negotiation.Jobs)).ToList();
        foreach (var useless in negotiation.Offers.Except(useful))
        {
            _backoff[useless.Lender] = now + _rules.AskBackoff;
            intents.Add(new DeclineOffer(useless.LoanId, "none of the waiting jobs fits in it"));
        }

        var choice = OfferRanking.Choose(useful, negotiation.Demand.Policy, negotiation.Demand.Amount, BorrowingRoom(), _rules.Ceiling);
        intents.AddRange(choice.Accept.Select(o => new AcceptOffer(o)));
        intents.AddRange(choice.Decline.Select(d => new DeclineOffer(d.Offer.LoanId, d.Reason)));
        intents.Add(Persist.Now);
        intents.Add(DrainQueue.Now);
        return intents;
    }

    /// <summary>The loan's answer to an accept: the loan is recorded as borrowed when it holds, else its lender is backed off from. True when recorded.</summary>
    public bool Accepted(LoanTerms offer, BorrowedLoan? loan, DateTimeOffset now)
    {
        if (loan is null)
        {
            _backoff[offer.Lender] = now + _rules.AskBackoff;
            return false;
        }

        _borrowed[offer.LoanId] = loan;
        _jobs.RecordChanged();
        return true;
    }

    /// <summary>The lender's side: the borrower accepted an offer of ours (it is active from when the borrower sent that).</summary>
    public IReadOnlyList<RegionIntent> OnOfferAccepted(string loanId, DateTimeOffset sentAt) =>
        _lent.TryGetValue(loanId, out var lent) && lent.State == LoanState.Offered
            ? Change(() => _lent[loanId] = lent with { State = LoanState.Active, Since = sentAt })
            : [];

    /// <summary>The borrower's side: the lender recalls an active loan (no new placements on it).</summary>
    public IReadOnlyList<RegionIntent> OnRecallNotice(string loanId) =>
        _borrowed.TryGetValue(loanId, out var borrowed) && borrowed.State == LoanState.Active
            ? Change(() => _borrowed[loanId] = borrowed with { State = LoanState.Recalling })
            : [];

    /// <summary>The lender's side: the borrower gave an open loan back (it drains).</summary>
    public IReadOnlyList<RegionIntent> OnLoanReturned(string loanId) =>
        _lent.TryGetValue(loanId, out var lent) && !lent.State.IsTerminal()
            ? Change(() => _lent[loanId] = lent with { State = LoanState.Draining })
            : [];

    /// <summary>
    /// A loan settled or its offer was declined: its record goes, and its id is remembered a day so a late message about
    /// it changes nothing. Capacity we lent is back home, so the queue is tried again.
    /// </summary>
    public IReadOnlyList<RegionIntent> Forget(string loanId, DateTimeOffset now)
    {
        var wasLent = _lent.Remove(loanId);
        var wasBorrowed = _borrowed.Remove(loanId);
        _closed[loanId] = now;
        Prune(_closed, now);
        _jobs.RecordChanged();
        if (wasBorrowed && !wasLent)
        {
            _jobs.ForgetLoan(loanId);
        }

        return wasLent ? [Persist.Now, DrainQueue.Now] : [Persist.Now];
    }

    /// <summary>
    /// The lender's side of a capacity request, once per request id: refuse (lending disabled, no spare capacity), or
    /// record the proposal as offered and written before the loan holds anything (so a crash cannot over-lend), then open
    /// the loan. Nothing for a request answered already or our own.
    /// </summary>
    public IReadOnlyList<RegionIntent> Answer(CapacityAsk ask, NationalTopology topology, IEnumerable<CandidateState> view, DateTimeOffset now)
    {
        if (_answered.ContainsKey(ask.RequestId) || ask.Borrower == _hubId)
        {
            return [];
        }

        _answered[ask.RequestId] = now;
        Prune(_answered, now);
        _jobs.RecordChanged();
        if (!_rules.Enabled)
        {
            return Refuse(ask.Borrower, ask.RequestId, "lending is disabled here", now);
        }

        // What our own waiting jobs need stays home: we lend only the spare capacity beyond it.
        var proposal = LendingPlanner.Propose(_hubId, ask.Borrower, ask.Amount, ask.MaxLatencyMs, _quota, topology, view, LentNow(), QuotaMath.Sum(_jobs.Queue.Values.Select(q => q.Spec.Resources)), _jobs.Queue.Count);
        if (proposal.Refusal is { } refusal)
        {
            return Refuse(ask.Borrower, ask.RequestId, refusal, now);
        }

        var price = proposal.Slices
            .Select(s => LoanPricing.PriceOf(topology.DataCenters[s.DataCenterId], topology.Power, s.Amount.Gpus.Keys, _rules.PriceMargin))
            .Aggregate(LoanPricing.Max);
        var loanId = $"{ask.RequestId}.{_hubId}";
        var terms = new LoanTerms(loanId, ask.RequestId, _hubId, ask.Borrower, proposal.Slices, price, ask.Term, _rules.RecallNotice, _rules.OnExpiry, now + _rules.OfferTtl);
        _lent[loanId] = new LentLoan(ask.Borrower, proposal.Slices, LoanState.Offered, now);
        return [Persist.Now, new OpenLoan(terms, now)];
    }

    /// <summary>
    /// The loan opened (or not: our data centers filled up meanwhile, and the request is refused): the record takes the
    /// slices the loan holds, the view counts them as taken, and the offer is sent once that is written.
    /// </summary>
    public IReadOnlyList<RegionIntent> Opened(LoanTerms proposed, LoanState state, LoanTerms opened, DateTimeOffset at)
    {
        _jobs.RecordChanged();
        if (state != LoanState.Offered)
        {
            _lent.Remove(proposed.LoanId);
            _closed[proposed.LoanId] = at;
            return Refuse(proposed.Borrower, proposed.RequestId, "our data centers filled up meanwhile", at);
        }

        _lent[proposed.LoanId] = new LentLoan(proposed.Borrower, opened.Slices, LoanState.Offered, at);
        return [new HoldInView(opened.Slices), Persist.Now, new SendOffer(opened, at)];
    }

    /// <summary>
    /// Whether a waiting job may recall lent capacity (the reclaim policy allows it and some loan is active), and where to
    /// look: our own data centers in the job's ranking (as if empty) that hold active lent slices. Null when not.
    /// </summary>
    public ReclaimQuery? Reclaim(IReadOnlyList<WaitingJob> stuck, NationalTopology topology, IReadOnlyCollection<CandidateState> view)
    {
        if (_quota.Reclaim == ReclaimPolicy.Never || stuck.Count == 0 || !_lent.Values.Any(l => l.State == LoanState.Active))
        {
            return null;
        }

        var waiting = stuck[0];
        var own = view.Where(v => v.Spec.HubId == _hubId).ToList();
        var sites = PlacementEngine.Plan(waiting.Spec, topology, own.Select(v => v with { Free = v.Spec.Capacity })).Ranked
            .Where(c => _lent.Values.Any(l => l.State == LoanState.Active && l.Slices.Any(s => s.DataCenterId == c.DataCenterId)))
            .Select(c => (c.DataCenterId, QuotaMath.ClipAtZero(own.First(v => v.Spec.Id == c.DataCenterId).Free)))
            .ToList();
        return new ReclaimQuery(waiting, sites);
    }

    /// <summary>Which active lent loans to recall for the waiting job (<see cref="ReclaimPlanner"/>), given the borrowers' use the sites reported; written after the recalls.</summary>
    public IReadOnlyList<RegionIntent> ChooseRecalls(ReclaimQuery query, IReadOnlyDictionary<string, IReadOnlyList<SliceUse>> uses, ResourceVector nominal)
    {
        var sites = query.Sites.Select(site => new ReclaimSite(
            site.DataCenterId,
            site.Free,
            [.. _lent
                .Where(l => l.Value.State == LoanState.Active && l.Value.Slices.Any(s => s.DataCenterId == site.DataCenterId))
                .Select(l => (Loan: l, Use: uses.GetValueOrDefault(site.DataCenterId, []).FirstOrDefault(u => u.LoanId == l.Key)))
                .Where(x => x.Use is not null)
                .Select(x => new LentSlice(x.Loan.Key, x.Use!.Amount, x.Use.HighestPriority, x.Loan.Value.Since))])).ToList();
        var waiting = query.Waiting;
        var recalls = ReclaimPlanner.Choose(_quota.Reclaim, waiting.Spec.Resources, waiting.Spec.Priority, _jobs.OwnUse(), nominal, sites);
        if (recalls.Count == 0)
        {
            return [];
        }

        var reason = $"our job {waiting.JobId} (priority {waiting.Spec.Priority}) needs the capacity ({_quota.Reclaim})";
        return [.. recalls.Select(id => new RecallLoan(id, reason)), Persist.Now];
    }

    /// <summary>The loan took our recall: the lent record is Recalling. False when we hold no record of it.</summary>
    public bool Recalling(string loanId)
    {
        if (!_lent.TryGetValue(loanId, out var lent))
        {
            return false;
        }

        _lent[loanId] = lent with { State = LoanState.Recalling };
        _jobs.RecordChanged();
        return true;
    }

    /// <summary>The borrowed loans that go back early (<see cref="LendingPlanner.ShouldReturn"/>): nothing of ours runs on them and nothing waiting could use them.</summary>
    public IReadOnlyList<RegionIntent> ReturnsDue() =>
    [
        .. _borrowed
            .Where(b => b.Value.State is LoanState.Active or LoanState.Recalling)
            .Where(b => LendingPlanner.ShouldReturn(b.Value.State, b.Value.Terms, _jobs.LoanInUse(b.Key), _jobs.Queue.Values.Select(q => q.Spec)))
            .Select(b => new ReturnLoan(b.Key, "nothing runs on it and nothing waiting needs it")),
    ];

    /// <summary>The loan took our return: the borrowed record drains, written at once.</summary>
    public IReadOnlyList<RegionIntent> Returning(string loanId) =>
        _borrowed.TryGetValue(loanId, out var loan) ? Change(() => _borrowed[loanId] = loan with { State = LoanState.Draining }) : [];

    /// <summary>
    /// The slices placement may use: per lender data center, one slice of a loan that takes placements and whose term has
    /// not ended, with its amount and the room our jobs leave in it: the roomiest one that fits <paramref name="job"/>
    /// when one does (several loans from one lender may share a data center, and the roomiest by dominant share may be
    /// full in the job's tightest dimension), else the roomiest.
    /// </summary>
    public IEnumerable<(string DataCenterId, ResourceVector Amount, ResourceVector Room)> UsableSlices(DateTimeOffset now, ResourceRequest? job = null)
    {
        var rooms = new Dictionary<string, (ResourceVector Amount, ResourceVector Room)>(StringComparer.Ordinal);
        foreach (var (loanId, loan) in _borrowed)
        {
            if (!loan.State.TakesPlacements() || now >= loan.EndsAt)
            {
                continue;
            }

            foreach (var slice in loan.Terms.Slices)
            {
                var room = _jobs.SliceRoom(loanId, slice);
                if (!rooms.TryGetValue(slice.DataCenterId, out var best) || Better(room, slice.Amount, best.Room, best.Amount))
                {
                    rooms[slice.DataCenterId] = (slice.Amount, room);
                }
            }
        }

        return rooms.Select(r => (r.Key, r.Value.Amount, r.Value.Room));

        bool Better(ResourceVector room, ResourceVector amount, ResourceVector bestRoom, ResourceVector bestAmount) =>
            (job is not null && room.Fits(job)) != (job is not null && bestRoom.Fits(job))
                ? job is not null && room.Fits(job)
                : room.DominantShareOf(amount) > bestRoom.DominantShareOf(bestAmount);
    }

    /// <summary>The loans that take placements and whose slice at <paramref name="dataCenterId"/> has room for <paramref name="resources"/>, in record order.</summary>
    public IReadOnlyList<(string LoanId, string Lender)> LoansWithRoom(string dataCenterId, ResourceRequest resources) =>
    [
        .. _borrowed
            .Where(b => b.Value.State.TakesPlacements()
                && b.Value.Terms.Slices.FirstOrDefault(s => s.DataCenterId == dataCenterId) is { } slice
                && _jobs.SliceRoom(b.Key, slice).Fits(resources))
            .Select(b => (b.Key, b.Value.Terms.Lender)),
    ];

    /// <summary>A data center said our slice there is closed (a recall or the end of the term we have not heard of): the loan takes no more placements.</summary>
    public void SliceClosed(string loanId)
    {
        if (_borrowed.TryGetValue(loanId, out var loan))
        {
            _borrowed[loanId] = loan with { State = LoanState.Draining };
            _jobs.RecordChanged();
        }
    }

    /// <summary>The room in every slice of the loans that take placements, for explanations.</summary>
    public IReadOnlyList<LoanRoom> Rooms() =>
    [
        .. _borrowed
            .Where(b => b.Value.State.TakesPlacements())
            .SelectMany(b => b.Value.Terms.Slices.Select(s => new LoanRoom(b.Key, b.Value.Terms.Lender, s.DataCenterId, _jobs.SliceRoom(b.Key, s)))),
    ];

    /// <summary>The next loan records to check against their loans, round-robin over lent and borrowed.</summary>
    public IReadOnlyList<string> RecordsToCheck(int batch) => _rotation.Next(_lent.Keys.Concat(_borrowed.Keys), batch);

    /// <summary>
    /// A cached record against its loan's own state (<see cref="LoanRecords.Judge"/>; <paramref name="truth"/> null: the
    /// loan never opened): refreshed in place (written with the pass's next <see cref="Persist"/>), or forgotten as its
    /// LoanSettled would have. Null when we hold no record.
    /// </summary>
    public LoanRecordCheck? Check(string loanId, LoanState? truth, DateTimeOffset now)
    {
        var (cached, since) = _lent.TryGetValue(loanId, out var lent) ? (lent.State, lent.Since)
            : _borrowed.TryGetValue(loanId, out var borrowed) ? (borrowed.State, now)
            : ((LoanState?)null, now);
        if (cached is not { } state)
        {
            return null;
        }

        var (verdict, next) = LoanRecords.Judge(state, truth, since, now, _rules.OfferTtl);
        IReadOnlyList<RegionIntent> then = verdict switch
        {
            LoanRecordVerdict.Forget => Forget(loanId, now),
            LoanRecordVerdict.Refresh when lent is not null => Refresh(() => _lent[loanId] = lent with { State = next }),
            LoanRecordVerdict.Refresh => Refresh(() => _borrowed[loanId] = _borrowed[loanId] with { State = next }),
            _ => [],
        };
        return new LoanRecordCheck(verdict, state, next, then);
    }

    /// <summary>The room our jobs leave in the loans from <paramref name="peers"/> that take placements and whose term has not ended.</summary>
    private ResourceVector OpenRoom(IReadOnlyCollection<string> peers, DateTimeOffset now) =>
        _borrowed
            .Where(b => peers.Contains(b.Value.Terms.Lender) && b.Value.State.TakesPlacements() && now < b.Value.EndsAt)
            .SelectMany(b => b.Value.Terms.Slices.Select(s => QuotaMath.ClipAtZero(_jobs.SliceRoom(b.Key, s))))
            .Aggregate(ResourceVector.Zero, (sum, r) => sum.Plus(r));

    private IReadOnlyList<RegionIntent> Change(Action change)
    {
        change();
        _jobs.RecordChanged();
        return [Persist.Now];
    }

    private IReadOnlyList<RegionIntent> Refresh(Action change)
    {
        change();
        _jobs.RecordChanged();
        return [];
    }

    private IReadOnlyList<RegionIntent> Refuse(string borrower, string requestId, string reason, DateTimeOffset at) =>
        [Persist.Now, new RefuseRequest(borrower, requestId, reason, at)];

    private static void Prune(IDictionary<string, DateTimeOffset> memory, DateTimeOffset now)
    {
        foreach (var old in memory.Where(c => now - c.Value > MemoryOfClosed).Select(c => c.Key).ToList())
        {
            memory.Remove(old);
        }
    }
}
