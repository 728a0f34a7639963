using System.Collections.Concurrent;
using ComputeGrid.Client;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Loans;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;
using Xunit.Abstractions;

namespace ComputeGrid.Grains.Tests;

[Collection(GridCollection.Name)]
public sealed class LoanTests(GridClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly string[] Hubs = ["bth", "yangtze", "gba", "chengyu", "inner-mongolia", "guizhou", "gansu", "ningxia"];

    private IComputeGridClient Grid => fixture.Grid;

    private IGrainFactory Grains => fixture.Cluster.Client;

    [Fact]
    public async Task A_burst_of_greenest_batch_jobs_from_Yangtze_runs_in_the_west_under_loans_and_reports_what_it_saved()
    {
        var before = (await Grid.GetHubBalancesAsync()).Single(b => b.HubId == "yangtze");
        var requests = Enumerable.Range(0, 30).Select(_ => Jobs.Batch("east-west", origin: "yangtze", policy: PlacementPolicy.Greenest)).ToList();
        var submitted = await Task.WhenAll(requests.Select(r => Grid.SubmitAsync(r)));

        var placed = new List<JobSnapshot>();
        foreach (var job in submitted)
        {
            placed.Add(await fixture.PlacedAsync(job.JobId));
        }

        Assert.All(placed, j =>
        {
            Assert.Equal(Domain.Topology.Zone.West, fixture.Topology.Hubs[j.Placement!.HubId].Zone);
            Assert.NotNull(j.Placement.LoanId);
        });

        fixture.Time.Advance(TimeSpan.FromHours(1));
        foreach (var job in placed)
        {
            await Eventually.TrueAsync(
                async () => (await Grid.GetJobAsync(job.JobId)).State == JobState.Succeeded,
                $"{job.JobId} succeeds",
                describe: async () => string.Join(" | ", (await Grid.GetJobAsync(job.JobId)).History.Select(e => $"{e.State} {e.At:HH:mm:ss} {e.Detail}")));
        }

        // Nothing runs on the loans any more and nothing waits for them: they go back early and settle.
        var loanIds = placed.Select(j => j.Placement!.LoanId!).Distinct().ToList();
        foreach (var loanId in loanIds)
        {
            await Eventually.TrueAsync(async () => (await Grid.GetLoanAsync(loanId)).State == LoanState.Returned, $"loan {loanId} is returned");
        }

        // The book hears of each loan's usage one way, so it may trail the loans by a moment.
        HubBalance after = before;
        await Eventually.TrueAsync(
            async () => (after = (await Grid.GetHubBalancesAsync()).Single(b => b.HubId == "yangtze")).BorrowedUsage.Jobs - before.BorrowedUsage.Jobs == 30,
            "the book counts all 30 borrowed jobs");
        Assert.True(after.BorrowedUsage.Saved.CarbonKg > before.BorrowedUsage.Saved.CarbonKg, "borrowing in the west saves carbon against running at home");
        Assert.True(after.PaidCny > before.PaidCny);
        var loans = await Task.WhenAll(loanIds.Select(id => Grid.GetLoanAsync(id)));
        Assert.Equal(30, loans.Sum(l => l.Usage.Jobs));
        Assert.Equal(30 * 4.0, loans.Sum(l => l.Usage.CoreHours), 6);
    }

    [Fact]
    public async Task In_a_steady_burst_of_jobs_whose_best_place_is_a_peer_a_loan_covers_many_of_them_at_most_one_loan_per_ten_borrowed_jobs()
    {
        // 120 jobs arrive one every 30 s (federation clock); only inner-mongolia's steady-dc has their GPU model, so each
        // one's best place is a peer. Each is placed before the next arrives: without forecasting, every job would find
        // its loan full and negotiate one of its own.
        const int Count = 120;
        await fixture.RegisterPrivateDataCenterAsync("steady-dc", "inner-mongolia", "STEADY", gpus: 160, cores: 256);
        var placed = new List<JobSnapshot>();
        for (var i = 0; i < Count; i++)
        {
            var job = await Grid.SubmitAsync(Jobs.OnGpu("steady", "STEADY", "chengyu", TimeSpan.FromHours(4), id: Jobs.NewId("hold")));
            placed.Add(await fixture.PlacedAsync(job.JobId));
            fixture.Time.Advance(TimeSpan.FromSeconds(30));
        }

        Assert.All(placed, j => Assert.Equal(("steady-dc", true), (j.Placement!.DataCenterId, j.Placement.LoanId is not null)));
        var opened = (await Grid.ListLoansAsync("chengyu", limit: 500)).Loans
            .Where(l => l.Lender == "inner-mongolia" && l.Amount.GpusOf("STEADY") > 0 && l.AcceptedAt is not null)
            .ToList();
        var loansPerBorrowedJob = (double)opened.Count / Count;
        output.WriteLine($"{opened.Count} loans opened for {Count} borrowed jobs: {loansPerBorrowedJob:F3} per job ({string.Join(", ", opened.OrderBy(l => l.AcceptedAt).Select(l => l.Amount.GpusOf("STEADY")))} GPUs each)");
        Assert.True(loansPerBorrowedJob <= 0.1, $"{opened.Count} loans opened for {Count} borrowed jobs: {loansPerBorrowedJob:F3} per job");
        Assert.Equal(placed.Select(j => j.Placement!.LoanId).Distinct().Order(), opened.Select(l => l.LoanId).Order());

        // What stays unused goes back as before: once the jobs end, every loan is returned.
        await CancelAllAsync(placed.Select(j => j.JobId));
        foreach (var loan in opened)
        {
            await Eventually.TrueAsync(async () => (await Grid.GetLoanAsync(loan.LoanId)).State == LoanState.Returned, $"loan {loan.LoanId} is returned");
        }
    }

    [Fact]
    public async Task A_balanced_job_that_borrows_runs_on_the_loan_it_got_instead_of_asking_for_another()
    {
        await fixture.RegisterPrivateDataCenterAsync("balanced-dc", "gansu", "BAL", gpus: 4);
        var job = await Grid.SubmitAsync(Jobs.OnGpu("balanced", "BAL", "chengyu", TimeSpan.FromHours(1), id: Jobs.NewId("hold")));

        var placed = await fixture.PlacedAsync(job.JobId);

        Assert.Equal(PlacementPolicy.Balanced, placed.Spec.Policy);
        Assert.Equal("balanced-dc", placed.Placement!.DataCenterId);
        var loans = (await Grid.ListLoansAsync("chengyu", limit: 500)).Loans.Where(l => l.Lender == "gansu" && l.Amount.GpusOf("BAL") > 0).ToList();
        Assert.Single(loans);
        Assert.Equal(placed.Placement.LoanId, loans[0].LoanId);
        await Grid.CancelJobAsync(job.JobId);
    }

    [Fact]
    public async Task Every_hub_racing_to_borrow_one_lenders_spare_GPUs_never_makes_it_over_lend()
    {
        const int Gpus = 6;
        var lender = "ningxia";
        var spec = await fixture.RegisterPrivateDataCenterAsync("lend-dc", lender, "LEND", gpus: Gpus, cores: 64);
        var dataCenter = Grains.GetGrain<IDataCenterGrain>(spec.Id);
        var observations = new ConcurrentBag<(ResourceVector Lent, ResourceVector Used)>();
        using var stop = new CancellationTokenSource();
        var observer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var snapshot = (await dataCenter.GetSnapshotAsync())!;
                observations.Add((snapshot.Lent, snapshot.Used));
            }
        });

        var borrowers = Hubs.Where(h => h != lender).ToList();
        var requests = borrowers.SelectMany(hub => Enumerable.Range(0, 3).Select(_ => Jobs.OnGpu($"race-{hub}", "LEND", hub, TimeSpan.FromHours(2)))).ToList();
        await Task.WhenAll(requests.Select(r => Task.Run(() => Grid.SubmitAsync(r))));

        await Eventually.TrueAsync(async () => await Grid.CountAsync(requests, JobState.Scheduled, JobState.Running) == Gpus, $"{Gpus} borrowed jobs hold the lender's GPUs", TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await observer;

        Assert.All(observations, o =>
        {
            Assert.True(o.Used.IsWithin(spec.Capacity), $"used {o.Used} within {spec.Capacity}");
            Assert.True(o.Lent.GpusOf("LEND") <= Gpus, $"lent {o.Lent}");
        });

        // Lender, loans and data center agree to the GPU: lent == borrowed, usage <= amount.
        var slices = await dataCenter.GetLoanSlicesAsync();
        var lent = await Grains.GetGrain<IRegionGrain>(lender).GetLoansAsync();
        Assert.True(slices.Sum(s => s.Amount.GpusOf("LEND")) <= Gpus);
        Assert.All(slices, s => Assert.True(s.Used.IsWithin(s.Amount)));
        foreach (var slice in slices)
        {
            var loan = await Grid.GetLoanAsync(slice.LoanId);
            if (loan.State != LoanState.Active)
            {
                // Offers that lost the race are being declined right now; the ledgers are compared on settled ground below.
                continue;
            }

            Assert.Equal(loan.Terms.Amount, slice.Amount);
            Assert.Equal(loan.Terms.Amount, lent.Lent[slice.LoanId]);
            var borrowed = await Grains.GetGrain<IRegionGrain>(loan.Terms.Borrower).GetLoansAsync();
            Assert.Equal(loan.Terms.Amount, borrowed.Borrowed[slice.LoanId]);
        }

        await CancelAllAsync(requests);
        await Eventually.TrueAsync(async () => (await dataCenter.GetLoanSlicesAsync()).Count == 0, "every loan of the lender settled");
        await Eventually.TrueAsync(async () => (await Grains.GetGrain<IRegionGrain>(lender).GetLoansAsync()).Lent.Count == 0, "the lender's ledger is empty");
        Assert.Equal(ResourceVector.Zero, (await dataCenter.GetSnapshotAsync())!.Used);
    }

    [Fact]
    public async Task A_loan_whose_accept_failed_to_write_lets_its_activation_go_and_the_retry_commits_from_what_storage_holds()
    {
        await fixture.RegisterPrivateDataCenterAsync("loanfail-dc", "gansu", "LOANFAIL", gpus: 2);
        var loanId = $"{Jobs.NewId("loanfail")}.gansu";
        var loan = Grains.GetGrain<ILoanGrain>(loanId);
        var terms = new LoanTerms(
            loanId,
            "loanfail-request",
            "gansu",
            "bth",
            [new LoanSlice("loanfail-dc", ResourceVector.Of(1_000, 1_024), 0.3, 20)],
            new LoanPrice(1, 10),
            TimeSpan.FromHours(1),
            TimeSpan.FromMinutes(5),
            ExpiryTerms.FinishRunning,
            fixture.Time.GetUtcNow().AddMinutes(10));
        Assert.Equal(LoanState.Offered, (await loan.OpenAsync(terms)).State);

        // The book moved the loan to Active in memory before the write failed: the activation must not answer from it.
        fixture.Faults.FailNextWrites(loan.GetGrainId(), 1);
        await Assert.ThrowsAnyAsync<Exception>(() => loan.AcceptAsync("bth"));

        var retry = await loan.AcceptAsync("bth");
        Assert.Equal(AcceptOutcome.Accepted, retry.Outcome);
        Assert.Equal(LoanState.Active, retry.Loan!.State);

        Assert.True(await loan.ReturnAsync("bth", "the test is over"));
        await Eventually.TrueAsync(async () => (await loan.GetAsync())?.State == LoanState.Returned, "the unused loan settles");
    }

    [Fact]
    public async Task Duplicated_and_reordered_protocol_messages_leave_the_ledger_unchanged()
    {
        await fixture.RegisterPrivateDataCenterAsync("dup-dc", "gansu", "DUP", gpus: 2);
        var job = await Grid.SubmitAsync(Jobs.OnGpu("dup", "DUP", "bth", TimeSpan.FromHours(1), id: Jobs.NewId("hold")));
        var loanId = (await fixture.PlacedAsync(job.JobId)).Placement!.LoanId!;
        var loan = await Grid.GetLoanAsync(loanId);
        var ledgers = await LedgersAsync("gansu", "bth");

        var provider = fixture.Cluster.Client.GetStreamProvider(GridStreams.Provider);
        var lenderInbox = provider.GetStream<LoanMessage>(StreamId.Create(GridStreams.RegionInboxNamespace, "gansu"));
        var borrowerInbox = provider.GetStream<LoanMessage>(StreamId.Create(GridStreams.RegionInboxNamespace, "bth"));
        var now = fixture.Time.GetUtcNow();
        var request = new CapacityRequest("dup-request", "bth", now, loan.Terms.RequestId, loan.Terms.Amount, loan.Terms.Term, null, new LoanPrice(10, 100), PlacementPolicy.Balanced, "duplicate");
        LoanMessage[] replayed =
        [
            request,
            request,
            new CapacityOffer("dup-offer", "gansu", now, loan.Terms.RequestId, loan.Terms),
            new OfferAccepted("dup-accepted", "bth", now, loanId),
            new CapacityRefused("dup-refused", "gansu", now, loan.Terms.RequestId, "late"),
            new OfferAccepted("dup-accepted", "bth", now, loanId),
        ];
        foreach (var message in replayed)
        {
            await (message.FromHub == "bth" ? lenderInbox : borrowerInbox).OnNextAsync(message);
        }

        // A probe after the replay: once it is through, everything before it was handled.
        await lenderInbox.OnNextAsync(new OfferDeclined("probe", "bth", now, "no-such-loan", "probe"));
        await Eventually.TrueAsync(async () => await Grid.ListLoansAsync("gansu") is not null, "the inbox drained");
        Assert.Equal(ledgers, await LedgersAsync("gansu", "bth"));
        Assert.Equal(LoanState.Active, (await Grid.GetLoanAsync(loanId)).State);
        Assert.Single((await Grid.ListLoansAsync("gansu")).Loans, l => l.Borrower == "bth" && l.State == LoanState.Active);

        await Grid.CancelJobAsync(job.JobId);
        await Eventually.TrueAsync(async () => (await Grid.GetLoanAsync(loanId)).State == LoanState.Returned, "the unused loan is returned");

        // A late acceptance of a settled loan cannot bring it back.
        await lenderInbox.OnNextAsync(new OfferAccepted("late-accepted", "bth", now, loanId));
        await Eventually.TrueAsync(async () => !(await Grains.GetGrain<IRegionGrain>("gansu").GetLoansAsync()).Lent.ContainsKey(loanId), "the lender forgot the loan");
        Assert.Equal(LoanState.Returned, (await Grid.GetLoanAsync(loanId)).State);
    }

    [Fact]
    public async Task A_lender_recalls_capacity_for_its_own_higher_priority_job_and_borrowed_jobs_are_preempted_after_the_notice()
    {
        await fixture.RegisterPrivateDataCenterAsync("recall-dc", "inner-mongolia", "RCL", gpus: 2);
        var borrowed = new[]
        {
            await Grid.SubmitAsync(Jobs.OnGpu("borrower", "RCL", "gba", TimeSpan.FromHours(10), id: Jobs.NewId("hold"), priority: 50)),
            await Grid.SubmitAsync(Jobs.OnGpu("borrower", "RCL", "gba", TimeSpan.FromHours(10), id: Jobs.NewId("hold"), priority: 50)),
        };
        var loanIds = new HashSet<string>();
        foreach (var job in borrowed)
        {
            loanIds.Add((await fixture.PlacedAsync(job.JobId)).Placement!.LoanId!);
        }

        var own = await Grid.SubmitAsync(Jobs.OnGpu("lender", "RCL", "inner-mongolia", TimeSpan.FromHours(1), id: Jobs.NewId("hold"), priority: 500));
        Assert.Equal(JobState.Queued, own.State);
        foreach (var loanId in loanIds)
        {
            await Eventually.TrueAsync(async () => (await Grid.GetLoanAsync(loanId)).State is LoanState.Recalling or LoanState.Draining, $"loan {loanId} is recalled");
        }

        // During the notice the borrowed jobs keep running; when it ends they are preempted and the lender's job runs.
        Assert.All(await Task.WhenAll(borrowed.Select(j => Grid.GetJobAsync(j.JobId))), j => Assert.True(j.State.HoldsCapacity()));
        fixture.Time.Advance(TimeSpan.FromMinutes(11));
        await fixture.PlacedAsync(own.JobId);
        foreach (var job in borrowed)
        {
            await Eventually.TrueAsync(
                async () => (await Grid.GetJobAsync(job.JobId)).History.Any(e => e.State == JobState.Preempted && e.Detail.Contains("recall", StringComparison.Ordinal)),
                $"{job.JobId} is preempted by the recall");
            // Preempted is written before the job asks its origin to place it again: it is Queued or placed a moment later.
            await Eventually.TrueAsync(
                async () => (await Grid.GetJobAsync(job.JobId)).State is JobState.Queued or JobState.Scheduled or JobState.Running,
                $"{job.JobId} is placed again or queued after the preemption");
        }

        foreach (var loanId in loanIds)
        {
            await Eventually.TrueAsync(async () => (await Grid.GetLoanAsync(loanId)).State == LoanState.Recalled, $"loan {loanId} is recalled and settled");
        }

        await CancelAllAsync([.. borrowed.Select(b => b.JobId), own.JobId]);
    }

    [Fact]
    public async Task An_expired_loan_takes_no_new_work_lets_its_running_job_finish_and_then_settles()
    {
        await fixture.RegisterPrivateDataCenterAsync("expiry-dc", "chengyu", "EXP", gpus: 2);
        var job = await Grid.SubmitAsync(Jobs.OnGpu("expiry", "EXP", "yangtze", TimeSpan.FromHours(1), id: Jobs.NewId("hold")));
        var loanId = (await fixture.PlacedAsync(job.JobId)).Placement!.LoanId!;
        var loan = await Grid.GetLoanAsync(loanId);
        Assert.Equal(LoanState.Active, loan.State);

        fixture.Time.Advance(loan.EndsAt!.Value - fixture.Time.GetUtcNow() + TimeSpan.FromMinutes(1));
        await Eventually.TrueAsync(async () => (await Grid.GetLoanAsync(loanId)).State == LoanState.Draining, "the loan's term ends");
        Assert.Equal(JobState.Scheduled, (await Grid.GetJobAsync(job.JobId)).State);

        var late = await Grid.SubmitAsync(Jobs.OnGpu("expiry", "EXP", "yangtze", TimeSpan.FromHours(1), id: Jobs.NewId("hold")));
        var latePlaced = await fixture.PlacedAsync(late.JobId);
        Assert.NotEqual(loanId, latePlaced.Placement!.LoanId);

        await Grid.CancelJobAsync(job.JobId);
        await Eventually.TrueAsync(async () => (await Grid.GetLoanAsync(loanId)).State == LoanState.Expired, "the loan settles as expired");
        Assert.Equal([LoanState.Offered, LoanState.Active, LoanState.Draining, LoanState.Expired], (await Grid.GetLoanAsync(loanId)).History.Select(e => e.State));
        await Grid.CancelJobAsync(late.JobId);
    }

    private async Task<string> LedgersAsync(params string[] hubs)
    {
        var parts = new List<string>();
        foreach (var hub in hubs)
        {
            var loans = await Grains.GetGrain<IRegionGrain>(hub).GetLoansAsync();
            parts.Add($"{hub} lent [{string.Join(", ", loans.Lent.OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}"))}] borrowed [{string.Join(", ", loans.Borrowed.OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}"))}]");
        }

        return string.Join("; ", parts);
    }

    private async Task CancelAllAsync(IEnumerable<Client.JobRequest> requests) => await CancelAllAsync(requests.Select(r => r.JobId!));

    private async Task CancelAllAsync(IEnumerable<string> jobIds)
    {
        foreach (var id in jobIds)
        {
            await Grid.CancelJobAsync(id);
        }
    }
}
