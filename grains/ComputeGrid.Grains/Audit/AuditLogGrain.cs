using System.Globalization;
using ComputeGrid.Contracts.Audit;
using ComputeGrid.Grains.Hosting;

namespace ComputeGrid.Grains.Audit;

/// <summary>The audit log's head as stored: how many entries were written.</summary>
[GenerateSerializer, Alias("cg.AuditLogHead")]
internal sealed class AuditLogHead
{
    [Id(0)] public long Count { get; set; }
}

/// <summary>One page of entries as stored.</summary>
[GenerateSerializer, Alias("cg.AuditPageRecord")]
internal sealed class AuditPageRecord
{
    [Id(0)] public List<AuditEntry> Entries { get; set; } = [];
}

/// <summary>
/// The audit log's head: numbers entries, stamps them with the federation clock and writes each into its page before
/// counting it, so an acknowledged entry is durable. A crash between the two writes leaves the page one ahead; the head
/// reads its last page on activation and counts from there.
/// </summary>
internal sealed class AuditLogGrain(
    [PersistentState("audit-head", GridStorage.Name)] IPersistentState<AuditLogHead> head,
    GridClock clock) : Grain, IAuditLogGrain
{
    /// <summary>Most entries one read returns.</summary>
    public const int MaxPageSize = 500;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var last = await PageOf(head.State.Count + 1).ReadAsync(cancellationToken);
        if (last.Count > 0 && last[^1].Sequence > head.State.Count)
        {
            head.State.Count = last[^1].Sequence;
        }
    }

    public async Task<long> AppendAsync(AuditRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var entry = new AuditEntry(head.State.Count + 1, clock.Now, record.Bounded());
        await PageOf(entry.Sequence).PutAsync(entry, cancellationToken);
        head.State.Count = entry.Sequence;
        await head.WriteStateAsync(cancellationToken);
        return entry.Sequence;
    }

    public async Task<AuditPage> ListAsync(int limit, long? before, CancellationToken cancellationToken = default)
    {
        limit = Math.Clamp(limit, 1, MaxPageSize);
        var from = Math.Min(before is { } b ? b - 1 : long.MaxValue, head.State.Count);
        var entries = new List<AuditEntry>(limit);
        while (from >= 1 && entries.Count < limit)
        {
            var page = await PageOf(from).ReadAsync(cancellationToken);
            entries.AddRange(page.Where(e => e.Sequence <= from).OrderByDescending(e => e.Sequence).Take(limit - entries.Count));
            from = (from - 1) / AuditPageSize.Entries * AuditPageSize.Entries;
        }

        var next = entries.Count == limit && entries[^1].Sequence > 1 ? entries[^1].Sequence.ToString(CultureInfo.InvariantCulture) : null;
        return new AuditPage(entries, next);
    }

    private IAuditPageGrain PageOf(long sequence) => GrainFactory.GetGrain<IAuditPageGrain>((sequence - 1) / AuditPageSize.Entries);
}

/// <summary>One page of the audit log: at most <see cref="AuditPageSize.Entries"/> entries, written once each.</summary>
internal sealed class AuditPageGrain(
    [PersistentState("audit-page", GridStorage.Name)] IPersistentState<AuditPageRecord> page) : Grain, IAuditPageGrain
{
    public async Task PutAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var entries = page.State.Entries;
        var at = entries.FindIndex(e => e.Sequence == entry.Sequence);
        if (at >= 0)
        {
            entries[at] = entry;
        }
        else
        {
            entries.Add(entry);
            entries.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        }

        try
        {
            await page.WriteStateAsync(cancellationToken);
        }
        catch
        {
            // Memory is ahead of storage: reload on the next call.
            DeactivateOnIdle();
            throw;
        }
    }

    public Task<IReadOnlyList<AuditEntry>> ReadAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<AuditEntry>>([.. page.State.Entries]);
}
