using ComputeGrid.Client;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Audit;
using ComputeGrid.Contracts.Reservations;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Grains.Tests;

/// <summary>Advance reservations end to end: admission, the window, who may use it, cancel, quota, and loans' terms.</summary>
[Collection(GridCollection.Name)]
public sealed class AdvanceReservationTests(GridClusterFixture fixture)
{
    private IComputeGridClient Grid => fixture.Grid;

    private DateTimeOffset Now => fixture.Time.GetUtcNow();

    private static AdvanceReservationRequest Request(string id, string tenant, string dataCenterId, int gpus, string model, DateTimeOffset start, DateTimeOffset end) =>
        new(id, tenant, new ResourceRequest(gpus * 1000, gpus * 1024, gpus, model), null, dataCenterId, start, end);

    private Task TickAsync(string dataCenterId) => fixture.Cluster.Client.GetGrain<IDataCenterGrain>(dataCenterId).TickReservationsAsync();

    [Fact]
    public async Task A_reservation_that_jobs_already_holding_would_break_is_refused_naming_resources_and_one_that_fits_is_admitted()
    {
        await fixture.RegisterPrivateDataCenterAsync("rsv-admit-dc", "gansu", "RSVADMIT", gpus: 2, cores: 8);
        var running = await Grid.SubmitAsync(Jobs.OnGpu("rsv-other", "RSVADMIT", "gansu", TimeSpan.FromHours(10)));
        Assert.True(running.State.HoldsCapacity());
        var (start, end) = (Now.AddHours(1), Now.AddHours(2));

        var refused = await Assert.ThrowsAsync<ReservationRefusedException>(() => Grid.CreateReservationAsync(Request("rsv-admit-2", "rsv-acme", "rsv-admit-dc", 2, "RSVADMIT", start, end)));
        var made = await Grid.CreateReservationAsync(Request("rsv-admit-1", "rsv-acme", "rsv-admit-dc", 1, "RSVADMIT", start, end));

        Assert.Equal("resources", refused.Field);
        Assert.Equal(AdvanceReservationState.Scheduled, made.State);
        Assert.Equal("rsv-admit-dc", Assert.Single(made.Shares).DataCenterId);
        var window = Assert.Single((await fixture.Cluster.Client.GetGrain<IDataCenterGrain>("rsv-admit-dc").GetSnapshotAsync())!.Windows ?? []);
        Assert.Equal(("rsv-admit-1", false), (window.ReservationId, window.Open));

        // A job whose bounded run would reach into the window finds no room beside the running one and the window.
        var intruder = await Grid.SubmitAsync(Jobs.OnGpu("rsv-other", "RSVADMIT", "gansu", TimeSpan.FromHours(5)));
        Assert.Equal(JobState.Queued, intruder.State);

        await Grid.CancelReservationAsync("rsv-admit-1");
        await Grid.CancelJobAsync(intruder.JobId);
        await Grid.CancelJobAsync(running.JobId);
    }

    [Fact]
    public async Task A_job_naming_a_reservation_waits_for_the_window_then_runs_inside_it_while_other_tenants_wait_and_a_cancel_frees_it_at_once()
    {
        await fixture.RegisterPrivateDataCenterAsync("rsv-window-dc", "gansu", "RSVWIN", gpus: 4, cores: 16);
        var (start, end) = (Now.AddHours(1), Now.AddHours(3));
        await Grid.CreateReservationAsync(Request("rsv-window", "rsv-acme", "rsv-window-dc", 4, "RSVWIN", start, end));

        var longOther = await Grid.SubmitAsync(Jobs.OnGpu("rsv-other", "RSVWIN", "gansu", TimeSpan.FromHours(10)));
        var shortOther = await Grid.SubmitAsync(Jobs.OnGpu("rsv-other", "RSVWIN", "gansu", TimeSpan.FromMinutes(30)));
        var inside = await Grid.SubmitAsync(Jobs.OnGpu("rsv-acme", "RSVWIN", "gansu", TimeSpan.FromMinutes(30)) with { Reservation = "rsv-window" });
        Assert.Equal(JobState.Queued, longOther.State);
        Assert.True(shortOther.State.HoldsCapacity(), "a job that ends before the window opens uses its capacity meanwhile");
        Assert.Equal(JobState.Queued, inside.State);
        Assert.Contains($"waits for advance reservation rsv-window, whose window opens at {start.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}", inside.History[^1].Detail, StringComparison.Ordinal);

        fixture.Time.Advance(TimeSpan.FromHours(1));
        await Eventually.ValueAsync(() => Grid.GetJobAsync(shortOther.JobId), j => j.State == JobState.Succeeded, "the short job ends before the window");
        await TickAsync("rsv-window-dc");

        var placed = await Eventually.ValueAsync(() => Grid.GetJobAsync(inside.JobId), j => j.State.HoldsCapacity(), "the reservation's job is placed when the window opens");
        Assert.Equal("rsv-window-dc", placed.Placement!.DataCenterId);
        Assert.Contains("in advance reservation rsv-window", placed.Placement.Reason, StringComparison.Ordinal);
        Assert.Equal("rsv-window", placed.Spec.Reservation);
        Assert.Equal(AdvanceReservationState.Open, (await Grid.GetReservationAsync("rsv-window")).State);
        Assert.Equal(JobState.Queued, (await Grid.GetJobAsync(longOther.JobId)).State);

        var cancelled = await Grid.CancelReservationAsync("rsv-window");
        Assert.Equal(AdvanceReservationState.Cancelled, cancelled.State);
        await Eventually.ValueAsync(() => Grid.GetJobAsync(longOther.JobId), j => j.State.HoldsCapacity(), "another tenant's job takes the capacity once the reservation is cancelled");
        Assert.True((await Grid.GetJobAsync(inside.JobId)).State.HoldsCapacity(), "the reservation's running job keeps running");

        await Grid.CancelJobAsync(inside.JobId);
        await Grid.CancelJobAsync(longOther.JobId);
    }

    [Fact]
    public async Task A_job_waiting_for_a_reservation_that_is_cancelled_before_its_window_is_cancelled_with_the_reason_not_left_waiting()
    {
        await fixture.RegisterPrivateDataCenterAsync("rsv-lost-dc", "gansu", "RSVLOST", gpus: 2, cores: 8);
        await Grid.CreateReservationAsync(Request("rsv-lost", "rsv-acme", "rsv-lost-dc", 2, "RSVLOST", Now.AddHours(1), Now.AddHours(2)));
        var waiting = await Grid.SubmitAsync(Jobs.OnGpu("rsv-acme", "RSVLOST", "gansu", TimeSpan.FromMinutes(30)) with { Reservation = "rsv-lost" });
        Assert.Equal(JobState.Queued, waiting.State);

        await Grid.CancelReservationAsync("rsv-lost");

        // The cancel frees the window's capacity; the queue pass that follows finds the reservation can no longer start the job.
        var ended = await Eventually.ValueAsync(() => Grid.GetJobAsync(waiting.JobId), j => j.State.IsTerminal(), "the job waiting for the cancelled reservation ends");
        Assert.Equal(JobState.Cancelled, ended.State);
        Assert.Contains("reservation 'rsv-lost' was cancelled", ended.History[^1].Detail, StringComparison.Ordinal);
        Assert.Null(ended.Placement);
    }

    [Fact]
    public async Task A_job_may_name_only_a_reservation_of_its_tenant_that_its_run_ends_in_else_it_is_refused_naming_reservation()
    {
        await fixture.RegisterPrivateDataCenterAsync("rsv-use-dc", "gansu", "RSVUSE", gpus: 2, cores: 8);
        await Grid.CreateReservationAsync(Request("rsv-use", "rsv-acme", "rsv-use-dc", 2, "RSVUSE", Now.AddHours(1), Now.AddHours(2)));

        var otherTenant = await Assert.ThrowsAsync<JobRejectedException>(() => Grid.SubmitAsync(Jobs.OnGpu("rsv-other", "RSVUSE", "gansu", TimeSpan.FromMinutes(10)) with { Reservation = "rsv-use" }));
        var outlasting = await Assert.ThrowsAsync<JobRejectedException>(() => Grid.SubmitAsync(Jobs.OnGpu("rsv-acme", "RSVUSE", "gansu", TimeSpan.FromHours(2)) with { Reservation = "rsv-use" }));
        var unknown = await Assert.ThrowsAsync<JobRejectedException>(() => Grid.SubmitAsync(Jobs.OnGpu("rsv-acme", "RSVUSE", "gansu", TimeSpan.FromMinutes(10)) with { Reservation = "rsv-none" }));

        Assert.All([otherTenant, outlasting, unknown], e => Assert.Equal("reservation", e.Field));
        Assert.Contains("would not end", outlasting.Reason, StringComparison.Ordinal);
        await Grid.CancelReservationAsync("rsv-use");
    }

    [Fact]
    public async Task A_reservation_its_scope_can_never_hold_raises_ReservationRejectedException_naming_the_resource_and_nothing_is_made()
    {
        await fixture.RegisterPrivateDataCenterAsync("rsv-scope-dc", "gansu", "RSVSCOPE", gpus: 4, cores: 16);
        var (start, end) = (Now.AddHours(1), Now.AddHours(2));

        var otherModel = await Assert.ThrowsAsync<ReservationRejectedException>(() => Grid.Admin.CreateReservationAsync(Request("rsv-scope-1", "rsv-acme", "rsv-scope-dc", 1, "910B", start, end)));
        var tooMany = await Assert.ThrowsAsync<ReservationRejectedException>(() => Grid.Admin.CreateReservationAsync(Request("rsv-scope-2", "rsv-acme", "rsv-scope-dc", 5, "RSVSCOPE", start, end)));
        var hubTooMany = await Assert.ThrowsAsync<ReservationRejectedException>(() => Grid.Admin.CreateReservationAsync(
            Request("rsv-scope-3", "rsv-acme", "rsv-scope-dc", 5, "RSVSCOPE", start, end) with { HubId = "gansu", DataCenterId = null }));
        var unknownModel = await Assert.ThrowsAsync<ComputeGridValidationException>(() => Grid.Admin.CreateReservationAsync(Request("rsv-scope-4", "rsv-acme", "rsv-scope-dc", 1, "NO-SUCH-GPU", start, end)));

        Assert.Equal(("resources.gpuModel", "resources.gpus", "resources.gpus"), (otherModel.Field, tooMany.Field, hubTooMany.Field));
        Assert.Contains("hub 'gansu'", hubTooMany.Reason, StringComparison.Ordinal);
        Assert.IsNotType<ReservationRejectedException>(unknownModel);
        Assert.Equal("resources.gpuModel", unknownModel.Field);
        Assert.DoesNotContain(await Grid.Admin.ListReservationsAsync(), r => r.ReservationId.StartsWith("rsv-scope-", StringComparison.Ordinal));
        Assert.Empty((await fixture.Cluster.Client.GetGrain<IDataCenterGrain>("rsv-scope-dc").GetSnapshotAsync())!.Windows ?? []);
    }

    [Fact]
    public async Task A_reservation_id_reused_with_another_request_raises_ReservationRejectedException_naming_the_id()
    {
        await fixture.RegisterPrivateDataCenterAsync("rsv-reuse-dc", "gansu", "RSVREUSE", gpus: 4, cores: 16);
        var (start, end) = (Now.AddHours(1), Now.AddHours(2));
        var made = await Grid.CreateReservationAsync(Request("rsv-reuse", "rsv-acme", "rsv-reuse-dc", 1, "RSVREUSE", start, end));

        var reused = await Assert.ThrowsAsync<ReservationRejectedException>(() => Grid.CreateReservationAsync(Request("rsv-reuse", "rsv-acme", "rsv-reuse-dc", 2, "RSVREUSE", start, end)));

        Assert.Equal("reservationId", reused.Field);
        Assert.Equal(made.Request, (await Grid.GetReservationAsync("rsv-reuse")).Request);
        await Grid.CancelReservationAsync("rsv-reuse");
    }

    [Fact]
    public async Task A_job_waiting_for_its_reservations_window_says_so_in_its_Queued_event_and_explain_naming_the_reservation_and_its_start()
    {
        await fixture.RegisterPrivateDataCenterAsync("rsv-why-dc", "gansu", "RSVWHY", gpus: 2, cores: 8);
        var start = Now.AddHours(1);
        await Grid.CreateReservationAsync(Request("rsv-why", "rsv-acme", "rsv-why-dc", 1, "RSVWHY", start, Now.AddHours(2)));

        var waiting = await Grid.SubmitAsync(Jobs.OnGpu("rsv-acme", "RSVWHY", "gansu", TimeSpan.FromMinutes(30)) with { Reservation = "rsv-why" });

        Assert.Equal(JobState.Queued, waiting.State);
        var says = $"waits for advance reservation rsv-why, whose window opens at {start.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}";
        Assert.Contains(says, waiting.History.Last(e => e.State == JobState.Queued).Detail, StringComparison.Ordinal);
        Assert.Contains(says, (await Grid.ExplainJobAsync(waiting.JobId)).Region.Summary, StringComparison.Ordinal);
        await Grid.CancelJobAsync(waiting.JobId);
        await Grid.CancelReservationAsync("rsv-why");
    }

    [Fact]
    public async Task A_tenant_reserves_within_its_quota_while_an_operator_is_not_bound_and_is_audited()
    {
        await fixture.RegisterPrivateDataCenterAsync("rsv-quota-dc", "gansu", "RSVQUOTA", gpus: 16, cores: 32);
        var request = Request("rsv-quota", "rsv-acme", "rsv-quota-dc", 12, "RSVQUOTA", Now.AddHours(1), Now.AddHours(2));

        var overQuota = await Assert.ThrowsAsync<ReservationRejectedException>(() => Grid.CreateReservationAsync(request));
        var made = await Grid.Admin.CreateReservationAsync(request);

        Assert.Equal("resources.gpus", overQuota.Field);
        Assert.True(made.ByOperator);
        Assert.Contains(await Grid.Admin.ListReservationsAsync(), r => r.ReservationId == "rsv-quota");
        Assert.DoesNotContain(await Grid.ListReservationsAsync("rsv-other"), r => r.ReservationId == "rsv-quota");
        await Grid.Admin.CancelReservationAsync("rsv-quota");
        var audit = await Grid.Admin.GetAuditAsync(limit: 10);
        Assert.Contains(audit.Entries, e => e.Record.Action == AuditActions.ReservationCreate && e.Record.Target == "rsv-quota" && e.Record.Outcome == AuditOutcome.Succeeded);
        Assert.Contains(audit.Entries, e => e.Record.Action == AuditActions.ReservationCancel && e.Record.Target == "rsv-quota");
    }

    [Fact]
    public async Task A_window_is_durable_and_opens_and_closes_on_its_own_after_its_data_center_was_deactivated()
    {
        await fixture.RegisterPrivateDataCenterAsync("rsv-durable-dc", "gansu", "RSVDURABLE", gpus: 2, cores: 8);
        await Grid.CreateReservationAsync(Request("rsv-durable", "rsv-acme", "rsv-durable-dc", 2, "RSVDURABLE", Now.AddMinutes(30), Now.AddHours(1)));
        var dataCenter = fixture.Cluster.Client.GetGrain<IDataCenterGrain>("rsv-durable-dc");
        await fixture.Cluster.DeactivateAsync(dataCenter);
        await fixture.Cluster.DeactivateAsync(fixture.Cluster.Client.GetGrain<IAdvanceReservationsGrain>(AdvanceReservationsKey.National));

        fixture.Time.Advance(TimeSpan.FromMinutes(30));
        var opened = await Eventually.ValueAsync(async () => (await dataCenter.GetSnapshotAsync())!, s => s.Windows is [{ Open: true }], "the window opens by the data center's own timer");
        Assert.Equal(2, opened.Used.GpusOf("RSVDURABLE"));

        fixture.Time.Advance(TimeSpan.FromMinutes(30));
        var closed = await Eventually.ValueAsync(async () => (await dataCenter.GetSnapshotAsync())!, s => s.Windows is [], "the window closes at its end");
        Assert.Equal(0, closed.Used.GpusOf("RSVDURABLE"));
        Assert.Equal(AdvanceReservationState.Ended, (await Grid.GetReservationAsync("rsv-durable")).State);
    }

    [Fact]
    public async Task Capacity_lent_that_a_window_needs_is_recalled_with_the_loan_notice_before_the_window_opens()
    {
        await fixture.RegisterPrivateDataCenterAsync("rsv-recall-dc", "inner-mongolia", "RSVRECALL", gpus: 2, cores: 8);
        var borrowed = await Grid.SubmitAsync(Jobs.OnGpu("rsv-borrower", "RSVRECALL", "gba", TimeSpan.FromHours(10), id: Jobs.NewId("hold")));
        var loanId = (await fixture.PlacedAsync(borrowed.JobId)).Placement!.LoanId!;
        await Grid.Admin.CreateReservationAsync(Request("rsv-recall", "rsv-acme", "rsv-recall-dc", 2, "RSVRECALL", Now.AddMinutes(30), Now.AddHours(2)));

        await TickAsync("rsv-recall-dc");
        Assert.Equal(Domain.Loans.LoanState.Active, (await Grid.GetLoanAsync(loanId)).State);

        // Within the loan's notice (10 min) before the window: the loan is recalled; the borrowed job runs on during the notice.
        fixture.Time.Advance(TimeSpan.FromMinutes(21));
        await Eventually.TrueAsync(
            async () =>
            {
                await TickAsync("rsv-recall-dc");
                return (await Grid.GetLoanAsync(loanId)).State is Domain.Loans.LoanState.Recalling or Domain.Loans.LoanState.Draining;
            },
            "the loan is recalled for the window");
        Assert.True((await Grid.GetJobAsync(borrowed.JobId)).State.HoldsCapacity());

        fixture.Time.Advance(TimeSpan.FromMinutes(10));
        await Eventually.TrueAsync(
            async () => (await Grid.GetJobAsync(borrowed.JobId)).History.Any(e => e.State == JobState.Preempted && e.Detail.Contains("recall", StringComparison.Ordinal)),
            "the borrowed job is preempted when the notice ends");
        var opened = await Eventually.ValueAsync(
            async () =>
            {
                await TickAsync("rsv-recall-dc");
                return (await fixture.Cluster.Client.GetGrain<IDataCenterGrain>("rsv-recall-dc").GetSnapshotAsync())!;
            },
            s => s.Windows is [{ Open: true }],
            "the window opens once the lent capacity is back");
        Assert.Equal(2, opened.Used.GpusOf("RSVRECALL"));

        await Grid.CancelJobAsync(borrowed.JobId);
        await Grid.Admin.CancelReservationAsync("rsv-recall");
    }

    [Fact]
    public async Task A_data_center_does_not_lend_for_a_term_overlapping_a_window_the_capacity_that_window_needs()
    {
        await fixture.RegisterPrivateDataCenterAsync("rsv-lend-dc", "gansu", "RSVLEND", gpus: 4, cores: 16);
        await Grid.Admin.CreateReservationAsync(Request("rsv-lend", "rsv-acme", "rsv-lend-dc", 4, "RSVLEND", Now.AddHours(1), Now.AddHours(2)));
        var dataCenter = fixture.Cluster.Client.GetGrain<IDataCenterGrain>("rsv-lend-dc");
        var amount = ResourceVector.Of(4_000, 4_096, [new("RSVLEND", 4)]);

        var overlapping = await dataCenter.HoldForLoanUntilAsync("rsv-lend-loan-1", "yangtze", amount, Now.AddMinutes(90));
        await dataCenter.CloseLoanAsync("rsv-lend-loan-1", preempt: false, "test");
        var before = await dataCenter.HoldForLoanUntilAsync("rsv-lend-loan-2", "yangtze", amount, Now.AddMinutes(30));
        await dataCenter.CloseLoanAsync("rsv-lend-loan-2", preempt: false, "test");

        Assert.Equal(0, overlapping.GpusOf("RSVLEND"));
        Assert.Equal(4, before.GpusOf("RSVLEND"));
        await Grid.Admin.CancelReservationAsync("rsv-lend");
    }
}
