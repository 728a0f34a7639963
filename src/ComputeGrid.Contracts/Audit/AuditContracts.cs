namespace ComputeGrid.Contracts.Audit;

/// <summary>
/// The operators' audit log (key: <see cref="AuditLogKey.National"/>): every admin action, append-only, numbered from 1.
/// Entries are kept in pages of <see cref="AuditPageSize.Entries"/> (<see cref="IAuditPageGrain"/>), so the log's head
/// holds only a counter and a read touches only the pages it returns.
/// </summary>
[Alias("cg.IAuditLogGrain")]
public interface IAuditLogGrain : IGrainWithStringKey
{
    /// <summary>Appends an entry stamped with the federation clock's time; returns its sequence number. Acknowledged once durable.</summary>
    [Alias("Append")]
    Task<long> AppendAsync(AuditRecord record, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> entries with a sequence below <paramref name="before"/> (null: from the newest), newest first.</summary>
    [Alias("List")]
    Task<AuditPage> ListAsync(int limit, long? before, CancellationToken cancellationToken = default);
}

/// <summary>One page of the audit log (key: the page number, from 0): entries <c>n * Entries + 1</c> .. <c>(n + 1) * Entries</c>.</summary>
[Alias("cg.IAuditPageGrain")]
public interface IAuditPageGrain : IGrainWithIntegerKey
{
    /// <summary>Writes the entry at its sequence number (idempotent for the same number).</summary>
    [Alias("Put")]
    Task PutAsync(AuditEntry entry, CancellationToken cancellationToken = default);

    /// <summary>The page's entries, in sequence order.</summary>
    [Alias("Read")]
    Task<IReadOnlyList<AuditEntry>> ReadAsync(CancellationToken cancellationToken = default);
}

/// <summary>The key of the one audit log.</summary>
public static class AuditLogKey
{
    /// <summary>The national log.</summary>
    public const string National = "national";
}

/// <summary>How the audit log is paged.</summary>
public static class AuditPageSize
{
    /// <summary>Entries per page grain.</summary>
    public const int Entries = 256;
}

/// <summary>Who carried out an admin action.</summary>
/// <param name="Name">The API key's name (configured keys) or id (issued keys), or <c>sdk</c> for calls through the SDK.</param>
/// <param name="Tenant">The key's tenant; null for SDK calls.</param>
[GenerateSerializer, Immutable, Alias("cg.AuditActor")]
public sealed record AuditActor(
    [property: Id(0)] string Name,
    [property: Id(1)] string? Tenant)
{
    /// <summary>An application calling the SDK directly (no API key).</summary>
    public static readonly AuditActor Sdk = new("sdk", null);
}

/// <summary>How an admin action ended.</summary>
[GenerateSerializer, Alias("cg.AuditOutcome")]
public enum AuditOutcome
{
    /// <summary>It was carried out.</summary>
    Succeeded,

    /// <summary>It was refused (invalid input, or its target does not exist); nothing changed. The detail says why.</summary>
    Refused,
}

/// <summary>The admin actions the log records.</summary>
public static class AuditActions
{
    /// <summary>An API key was issued.</summary>
    public const string ApiKeyIssue = "api-key.issue";

    /// <summary>An API key was rotated.</summary>
    public const string ApiKeyRotate = "api-key.rotate";

    /// <summary>An API key was revoked.</summary>
    public const string ApiKeyRevoke = "api-key.revoke";

    /// <summary>A data center was registered.</summary>
    public const string DataCenterRegister = "data-center.register";

    /// <summary>A data center was drained.</summary>
    public const string DataCenterDrain = "data-center.drain";

    /// <summary>A data center was resumed.</summary>
    public const string DataCenterResume = "data-center.resume";

    /// <summary>A data center was removed.</summary>
    public const string DataCenterRemove = "data-center.remove";

    /// <summary>An agent credential was issued.</summary>
    public const string AgentIssue = "agent.issue";

    /// <summary>An agent credential was revoked.</summary>
    public const string AgentRevoke = "agent.revoke";

    /// <summary>An operator made an advance reservation.</summary>
    public const string ReservationCreate = "reservation.create";

    /// <summary>An operator cancelled an advance reservation.</summary>
    public const string ReservationCancel = "reservation.cancel";
}

/// <summary>An admin action to record.</summary>
/// <param name="Actor">Who.</param>
/// <param name="Action">What, one of <see cref="AuditActions"/>.</param>
/// <param name="Target">On what: a data center id, <c>dataCenterId/agentId</c>, or <c>tenant/keyId</c>.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="Detail">Why it was refused, or what it produced (a new key's or agent's id); null when nothing to add.</param>
[GenerateSerializer, Immutable, Alias("cg.AuditRecord")]
public sealed record AuditRecord(
    [property: Id(0)] AuditActor Actor,
    [property: Id(1)] string Action,
    [property: Id(2)] string Target,
    [property: Id(3)] AuditOutcome Outcome,
    [property: Id(4)] string? Detail = null)
{
    /// <summary>Longest <see cref="Target"/> the log stores, characters; a longer one (an invalid id) is cut, with an ellipsis.</summary>
    public const int MaxTargetLength = 128;

    /// <summary>Longest <see cref="Detail"/> the log stores, characters; a longer one is cut, with an ellipsis.</summary>
    public const int MaxDetailLength = 1024;

    /// <summary>This record as the log stores it: target and detail cut to their limits, so that no input is stored unbounded.</summary>
    public AuditRecord Bounded() => this with { Target = Cut(Target, MaxTargetLength)!, Detail = Cut(Detail, MaxDetailLength) };

    private static string? Cut(string? text, int max) => text is { } t && t.Length > max ? string.Concat(t.AsSpan(0, max), "\u2026") : text;
}

/// <summary>An entry of the audit log.</summary>
/// <param name="Sequence">Its number, from 1, in the order written.</param>
/// <param name="At">When it was written (federation clock).</param>
/// <param name="Record">What was done, by whom, and how it ended.</param>
[GenerateSerializer, Immutable, Alias("cg.AuditEntry")]
public sealed record AuditEntry(
    [property: Id(0)] long Sequence,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] AuditRecord Record);

/// <summary>A page of the audit log, newest first.</summary>
/// <param name="Entries">The entries.</param>
/// <param name="NextCursor">Pass as the next read's cursor; null when no older entries remain.</param>
[GenerateSerializer, Immutable, Alias("cg.AuditPage")]
public sealed record AuditPage(
    [property: Id(0)] IReadOnlyList<AuditEntry> Entries,
    [property: Id(1)] string? NextCursor);
