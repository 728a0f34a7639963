using ComputeGrid.Client;
using ComputeGrid.Contracts.Audit;
using ComputeGrid.Gateway.Errors;
using ComputeGrid.Gateway.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace ComputeGrid.Gateway.Audit;

/// <summary>The operators' <c>GET /v1/audit</c>: the audit log of every admin action, newest first.</summary>
public static class AuditApi
{
    /// <summary>Maps the audit endpoint onto <paramref name="v1"/> (the <c>/v1</c> group); it answers 403 to partner keys.</summary>
    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/audit", ListAsync)
            .WithTags("Operators")
            .RequireAuthorization(ApiKeys.OperatorPolicy)
            .WithName("ListAuditEntries")
            .WithSummary("Read the audit log (operators)")
            .WithDescription(
                "Every admin action (API keys issued, rotated and revoked; data centers registered, drained, resumed and removed; agent credentials issued and revoked), " +
                "newest first, a page at a time: when (UTC), who (the API key's name or id and its tenant, or 'sdk'), what, on what, and the outcome. " +
                "Pass the page's nextCursor as cursor for the next page.")
            .ProducesApiProblem(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden);
        return v1;
    }

    private static async Task<Results<Ok<AuditPageView>, ProblemHttpResult>> ListAsync(
        IComputeGridClient grid, [FromQuery] string? limit, [FromQuery] string? cursor, CancellationToken cancellationToken)
    {
        if (!Paging.TryRead<AuditOutcome>("audit", null, limit, cursor, out var query, out var problem))
        {
            return problem;
        }

        var page = await grid.Admin.GetAuditAsync(query.Limit, query.Cursor, cancellationToken);
        return TypedResults.Ok(new AuditPageView([.. page.Entries.Select(AuditEntryView.Of)], Paging.NextCursor("audit", null, page.NextCursor)));
    }
}

/// <summary>A page of the audit log, newest first.</summary>
/// <param name="Entries">The entries.</param>
/// <param name="NextCursor">Pass as cursor for older entries; null at the log's start.</param>
public sealed record AuditPageView(IReadOnlyList<AuditEntryView> Entries, string? NextCursor);

/// <summary>One admin action.</summary>
/// <param name="Sequence">Its number in the log, from 1.</param>
/// <param name="At">When (UTC).</param>
/// <param name="Actor">The API key's name (configured keys) or id (issued keys), or sdk for a call through the SDK.</param>
/// <param name="ActorTenant">The key's tenant; null for SDK calls.</param>
/// <param name="Action">api-key.issue, api-key.rotate, api-key.revoke, data-center.register, data-center.drain, data-center.resume, data-center.remove, agent.issue or agent.revoke.</param>
/// <param name="Target">A data center id, dataCenterId/agentId, a tenant (issue) or tenant/keyId.</param>
/// <param name="Outcome">Succeeded, or Refused (nothing changed; detail says why).</param>
/// <param name="Detail">Why it was refused, or what it produced (a new key's or agent's id); null when nothing to add.</param>
public sealed record AuditEntryView(long Sequence, DateTimeOffset At, string Actor, string? ActorTenant, string Action, string Target, AuditOutcome Outcome, string? Detail)
{
    internal static AuditEntryView Of(AuditEntry entry) =>
        new(entry.Sequence, entry.At, entry.Record.Actor.Name, entry.Record.Actor.Tenant, entry.Record.Action, entry.Record.Target, entry.Record.Outcome, entry.Record.Detail);
}
