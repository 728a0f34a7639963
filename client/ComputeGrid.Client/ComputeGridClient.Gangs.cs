using ComputeGrid.Client.Telemetry;
using ComputeGrid.Contracts.Gangs;
using ComputeGrid.Contracts.Jobs;

namespace ComputeGrid.Client;

/// <summary>Gangs.</summary>
public sealed partial class ComputeGridClient
{
    /// <inheritdoc />
    public async Task<GangSnapshot> SubmitGangAsync(GangRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireSubmittable(request.Validate(), request.Template);

        // The id is fixed before the first attempt, so a retry submits the same gang.
        var gangId = request.GangId ?? Guid.NewGuid().ToString("n");
        using var activity = ClientTracing.Start("submit gang", tenant: request.Template.Tenant, hub: request.Template.OriginHub);
        var (gang, spec) = (cluster.GetGrain<IGangGrain>(gangId), request.Template.ToSpec());
        var result = await _policy.RunAsync("submit gang", ct => gang.SubmitAsync(spec, request.Members, request.MaxRestarts, ct), cancellationToken);
        return result.Refusal switch
        {
            SubmitRefusal.None => result.Gang!,
            SubmitRefusal.NeverFits => throw new JobRejectedException(result.Errors),
            SubmitRefusal.Conflict => throw new JobConflictException(string.Join("; ", result.Errors)),
            _ => throw new ComputeGridValidationException(result.Errors),
        };
    }

    /// <inheritdoc />
    public async Task<GangSnapshot> GetGangAsync(string gangId, CancellationToken cancellationToken = default)
    {
        RequireGangId(gangId);
        var gang = cluster.GetGrain<IGangGrain>(gangId);
        return await _policy.RunAsync("get gang", gang.GetAsync, cancellationToken) ?? throw NoGang(gangId);
    }

    /// <inheritdoc />
    public async Task<GangSnapshot> CancelGangAsync(string gangId, string reason = "cancelled by client", CancellationToken cancellationToken = default)
    {
        RequireGangId(gangId);
        var gang = cluster.GetGrain<IGangGrain>(gangId);
        return await _policy.RunAsync("cancel gang", ct => gang.CancelAsync(reason ?? string.Empty, ct), cancellationToken) ?? throw NoGang(gangId);
    }

    private static void RequireGangId(string gangId)
    {
        if (!GangRequest.IsValidGangId(gangId))
        {
            throw new ComputeGridValidationException([new Domain.ValidationError("gangId", "must be 1-119 characters of letters, digits, '.', '_' and '-'")]);
        }
    }

    private static ComputeGridNotFoundException NoGang(string gangId) => new($"no gang '{gangId}'");
}
