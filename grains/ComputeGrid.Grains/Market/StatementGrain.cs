using ComputeGrid.Contracts.Market;
using ComputeGrid.Domain.Market;
using ComputeGrid.Grains.Hosting;
using ComputeGrid.Grains.Persistence;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace ComputeGrid.Grains.Market;

/// <summary>A statement's persisted head: when it closed (its lines live in shards of their own).</summary>
[GenerateSerializer, Alias("cg.StatementRecord")]
internal sealed class StatementRecord
{
    [Id(0)] public DateTimeOffset? ClosedAt { get; set; }
}

/// <summary>
/// One statement (key <c>tenant:acme:2025-03</c> or <c>data-center:guian:2025-03-14</c>). Runs' charges are added,
/// once each, until the period closes (its end plus the grace); the first call after that closes it, and from then on
/// nothing is added: a booking that comes later is refused and charged in the open period. Every job of the owner in the
/// period passes here, so it commits in groups like the tenant's grain does.
/// </summary>
[Reentrant]
internal sealed class StatementGrain(
    [PersistentState("statement", GridStorage.Name)] IPersistentState<StatementRecord> state,
    IGrainContext grainContext,
    IPersistentStateFactory stateFactory,
    GridClock clock,
    IOptions<MarketOptions> options) : Grain, IStatementGrain
{
    private const int Shards = 16;
    private readonly ShardedMap<RunCharge> _charges = new(grainContext, stateFactory, "statement-charges", GridStorage.Name, Shards);
    private GroupCommit? _commit;

    private GroupCommit Commit => _commit ??= new GroupCommit(WriteAsync, _ => this.DeactivateOnIdle());

    private (StatementOwner Owner, string Id, BillingPeriod Period) Key
    {
        get
        {
            var key = this.GetPrimaryKeyString();
            var first = key.IndexOf(':', StringComparison.Ordinal);
            var last = key.LastIndexOf(':');
            var owner = key[..first] == "tenant" ? StatementOwner.Tenant : StatementOwner.DataCenter;
            return (owner, key[(first + 1)..last], BillingPeriod.TryParse(key[(last + 1)..]) ?? throw new InvalidOperationException($"'{key}' is no statement key"));
        }
    }

    public async Task<StatementOutcome> RecordAsync(RunCharge charge)
    {
        // A run booked again (reconciliation repeats a job's exit) is on the statement already, closed or not.
        if (_charges.ContainsKey(charge.PartKey))
        {
            await Commit.CommitAsync();
            return StatementOutcome.Duplicate;
        }

        if (await CloseIfDueAsync())
        {
            return StatementOutcome.Closed;
        }

        _charges[charge.PartKey] = charge;
        await Commit.CommitAsync();
        return StatementOutcome.Added;
    }

    public async Task<Statement> GetAsync(CancellationToken cancellationToken = default)
    {
        await CloseIfDueAsync();
        var (owner, id, period) = Key;
        var charges = _charges.Values.OrderBy(c => c.Lines[0].From).ThenBy(c => c.RunKey, StringComparer.Ordinal).ToList();
        return new Statement(id, owner, period, state.State.ClosedAt, [.. charges.SelectMany(c => c.Lines)], [.. charges.SelectMany(c => c.Loans)]);
    }

    /// <summary>Closes the statement once its period has closed; true when it is closed.</summary>
    private async Task<bool> CloseIfDueAsync()
    {
        if (state.State.ClosedAt is not null)
        {
            return true;
        }

        var closesAt = StatementRules.ClosesAt(Key.Period, options.Value.StatementGrace);
        if (clock.Now < closesAt)
        {
            return false;
        }

        // Closed at the instant the period closed, whenever it is noticed, so the statement reads the same everywhere.
        state.State.ClosedAt = closesAt;
        await Commit.CommitAsync();
        return true;
    }

    private async Task WriteAsync(CancellationToken cancellationToken)
    {
        await _charges.WriteChangesAsync(cancellationToken);
        await state.WriteStateAsync(cancellationToken);
    }
}
