using ComputeGrid.Contracts.Market;
using ComputeGrid.Domain.Market;

namespace ComputeGrid.Grains.Tests;

[Collection(GridCollection.Name)]
public sealed class StatementTests(GridClusterFixture fixture)
{
    private static RunCharge Charge(string runKey, DateTimeOffset from, decimal amount) =>
        new(runKey, [new StatementLine(runKey, runKey, "ledger", "guian", "guizhou", "cpu-core-hour", from, from.AddHours(1), 1m, "core-hour", amount, amount, 0.01, 0.001, 0.00016, 0.00016)], []);

    [Fact]
    public async Task A_closed_statement_refuses_every_change_and_reads_the_same_ever_after()
    {
        // A day well before the fixture's clock: its period and its grace have passed.
        var key = StatementRules.KeyOf(StatementOwner.Tenant, $"ledger-{Guid.NewGuid():n}"[..20], BillingPeriod.TryParse("2026-11-01")!);
        var statement = fixture.Cluster.Client.GetGrain<IStatementGrain>(key);
        var before = await statement.GetAsync();
        Assert.True(before.Closed);

        var outcome = await statement.RecordAsync(Charge("late-run", new DateTimeOffset(2026, 11, 1, 2, 0, 0, TimeSpan.Zero), 5m));

        Assert.Equal(StatementOutcome.Closed, outcome);
        var after = await statement.GetAsync();
        Assert.Empty(after.Lines);
        Assert.Equal(before.Digest, after.Digest);
        Assert.Equal(before.ClosedAt, after.ClosedAt);
    }

    [Fact]
    public async Task An_open_statement_takes_each_run_once_and_totals_them_exactly()
    {
        var now = fixture.Time.GetUtcNow();
        var period = BillingPeriod.Containing(now, PeriodKind.Day);
        var statement = fixture.Cluster.Client.GetGrain<IStatementGrain>(StatementRules.KeyOf(StatementOwner.Tenant, $"ledger-{Guid.NewGuid():n}"[..20], period));

        Assert.Equal(StatementOutcome.Added, await statement.RecordAsync(Charge("run-1", period.Start, 1.25m)));
        Assert.Equal(StatementOutcome.Duplicate, await statement.RecordAsync(Charge("run-1", period.Start, 1.25m)));
        Assert.Equal(StatementOutcome.Added, await statement.RecordAsync(Charge("run-2", period.Start.AddHours(2), 2.5m)));
        var open = await statement.GetAsync();
        Assert.False(open.Closed);
        Assert.Equal(3.75m, open.Total.AmountCny);
        Assert.Equal(StatementOutcome.Duplicate, await statement.RecordAsync(Charge("run-2", period.Start.AddHours(2), 2.5m)));
    }
}
