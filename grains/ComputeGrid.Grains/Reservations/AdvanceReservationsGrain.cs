using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Contracts.Reservations;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Reservations;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Grains.Reservations;

/// <summary>
/// The national book of advance reservations (Slurm's <c>scontrol create reservation</c>). It validates a request and a
/// tenant's quota (<see cref="AdvanceReservationRules"/>), allots a hub's reservation over the hub's data centers, and
/// has each data center admit its share: the data center is the authority over its capacity and admits only what it can
/// honour. A reservation is made whole or not at all: it is written as admitting before any data center is asked, and a
/// refusal (or, after a crash, the activation) cancels what was admitted. Reads and cancels come here.
/// </summary>
internal sealed partial class AdvanceReservationsGrain(
    [PersistentState("advance-reservations", GridStorage.Name)] IPersistentState<AdvanceReservationsRecord> state,
    TopologyCatalog catalog,
    GridClock clock,
    IOptions<ReservationOptions> options,
    ILogger<AdvanceReservationsGrain> logger) : Grain, IAdvanceReservationsGrain
{
    /// <summary>How long an ended or cancelled reservation stays readable.</summary>
    private static readonly TimeSpan KeepEnded = TimeSpan.FromDays(30);

    private Dictionary<string, StoredReservation> Reservations => state.State.Reservations;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Admissions a crash cut short were never answered: undo them. Cancels a crash cut short are told again (idempotent).
        var unfinished = Reservations.Values.Where(r => r.Admitting).ToList();
        foreach (var reservation in unfinished.Concat(Reservations.Values.Where(r => r.CancelledAt is not null && r.Request.End > clock.Now)))
        {
            await CancelSharesAsync(reservation, cancellationToken);
        }

        if (unfinished.Count > 0)
        {
            foreach (var reservation in unfinished)
            {
                Reservations.Remove(reservation.Request.ReservationId);
            }

            await state.WriteStateAsync(cancellationToken);
        }
    }

    public async Task<AdvanceReservationResult> CreateAsync(AdvanceReservationRequest request, bool byOperator, CancellationToken cancellationToken = default)
    {
        var now = clock.Now;
        var tenant = request.Tenant ?? string.Empty;
        if (Reservations.TryGetValue(request.ReservationId ?? string.Empty, out var existing))
        {
            return existing.Request == request
                ? new(existing.View(now), AdvanceReservationRefusal.None, [])
                : Refused(AdvanceReservationRefusal.Rejected, new ValidationError("reservationId", $"reservation '{request.ReservationId}' exists with a different request"));
        }

        var resources = request.Resources ?? new ResourceRequest(0, 0);
        var directory = await GrainFactory.GetGrain<IPoolGrain>(PoolGrainKey.National).GetDirectoryAsync(cancellationToken);
        var errors = AdvanceReservationRules.ValidateShape(
            request.ReservationId ?? string.Empty, tenant, resources, request.HubId, request.DataCenterId, request.Start, request.End,
            now, catalog.WithDataCenters(directory.DataCenters.Select(d => d.Spec)).GpuModels);
        if (errors.Count > 0)
        {
            return new(null, AdvanceReservationRefusal.Invalid, errors);
        }

        // The tenant's quota bounds what the tenant reserves itself: an operator's reservations for it are not counted.
        var others = Reservations.Values
            .Where(r => r.Request.Tenant == request.Tenant && !r.ByOperator && r.CancelledAt is null && r.Request.End > now)
            .Select(r => new ReservedSpan(r.Request.Resources, r.Request.Start, r.Request.End));
        errors = AdvanceReservationRules.ValidateLimits(resources, request.Start, request.End, now, byOperator ? null : options.Value.Quota, options.Value.OperatorBounds, others);
        if (errors.Count > 0)
        {
            return new(null, AdvanceReservationRefusal.Rejected, errors);
        }

        var (shares, refusal) = await AllotAsync(request, directory, cancellationToken);
        if (shares is null)
        {
            return refusal!;
        }

        var stored = new StoredReservation { Request = request, Shares = shares, CreatedAt = now, ByOperator = byOperator, Admitting = true };
        foreach (var old in Reservations.Where(r => (r.Value.CancelledAt ?? r.Value.Request.End) < now - KeepEnded).Select(r => r.Key).ToList())
        {
            Reservations.Remove(old);
        }

        Reservations[request.ReservationId!] = stored;
        await state.WriteStateAsync(cancellationToken);
        foreach (var share in shares)
        {
            var error = await GrainFactory.GetGrain<IDataCenterGrain>(share.DataCenterId).AdmitReservationAsync(request.ReservationId!, tenant, share.Resources, request.Start, request.End, cancellationToken);
            if (error is not null)
            {
                await CancelSharesAsync(stored, cancellationToken);
                Reservations.Remove(request.ReservationId!);
                await state.WriteStateAsync(cancellationToken);
                LogRefused(logger, request.ReservationId!, tenant, error);
                return Refused(error.Field == "resources" ? AdvanceReservationRefusal.Conflict : AdvanceReservationRefusal.Rejected, error);
            }
        }

        stored.Admitting = false;
        await state.WriteStateAsync(cancellationToken);
        LogCreated(logger, request.ReservationId!, tenant, request.Resources!, request.Start, request.End, shares);
        return new(stored.View(now), AdvanceReservationRefusal.None, []);
    }

    public Task<AdvanceReservation?> GetAsync(string reservationId, CancellationToken cancellationToken = default) =>
        Task.FromResult(Reservations.TryGetValue(reservationId, out var r) && !r.Admitting ? r.View(clock.Now) : null);

    public Task<IReadOnlyList<AdvanceReservation>> ListAsync(string? tenant, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<AdvanceReservation>>([.. Reservations.Values
            .Where(r => !r.Admitting && (tenant is null || r.Request.Tenant == tenant))
            .OrderByDescending(r => r.CreatedAt).ThenBy(r => r.Request.ReservationId, StringComparer.Ordinal)
            .Select(r => r.View(clock.Now))]);

    public async Task<AdvanceReservation?> CancelAsync(string reservationId, string reason, CancellationToken cancellationToken = default)
    {
        if (!Reservations.TryGetValue(reservationId, out var reservation) || reservation.Admitting)
        {
            return null;
        }

        if (reservation.CancelledAt is null && reservation.Request.End > clock.Now)
        {
            reservation.CancelledAt = clock.Now;
            reservation.CancelReason = reason;
            await state.WriteStateAsync(cancellationToken);
            LogCancelled(logger, reservationId, reason);
        }

        await CancelSharesAsync(reservation, cancellationToken);
        return reservation.View(clock.Now);
    }

    /// <summary>Where the reservation goes: its data center whole, or a hub's data centers by what each has free over the window.</summary>
    /// <remarks>
    /// What the scope could never hold (beyond all its data centers' capacity, a GPU model none has) is refused as
    /// Rejected before any data center is asked; what it cannot hold over this window, as Conflict.
    /// </remarks>
    private async Task<(List<AdvanceReservationShare>? Shares, AdvanceReservationResult? Refusal)> AllotAsync(AdvanceReservationRequest request, PoolDirectory directory, CancellationToken cancellationToken)
    {
        if (request.DataCenterId is { } dataCenterId)
        {
            if (directory.DataCenters.FirstOrDefault(d => d.Spec.Id == dataCenterId) is not { } entry)
            {
                return (null, Refused(AdvanceReservationRefusal.Invalid, new ValidationError("dataCenterId", $"no data center '{dataCenterId}'")));
            }

            var beyond = AdvanceReservationRules.ValidateScope(request.Resources, $"data center '{dataCenterId}'", [entry.Spec.Capacity]);
            return beyond.Count > 0
                ? (null, new(null, AdvanceReservationRefusal.Rejected, beyond))
                : ([new AdvanceReservationShare(dataCenterId, request.Resources, entry.Spec.HubId)], null);
        }

        if (!catalog.Seed.Hubs.ContainsKey(request.HubId!))
        {
            return (null, Refused(AdvanceReservationRefusal.Invalid, new ValidationError("hubId", $"no hub '{request.HubId}'")));
        }

        var online = directory.DataCenters.Where(d => d.Spec.HubId == request.HubId && d.Status == Domain.Topology.DataCenterStatus.Online).ToList();
        var beyondHub = AdvanceReservationRules.ValidateScope(request.Resources, $"hub '{request.HubId}' ({online.Count} online data centers)", [.. online.Select(d => d.Spec.Capacity)]);
        if (beyondHub.Count > 0)
        {
            return (null, new(null, AdvanceReservationRefusal.Rejected, beyondHub));
        }

        var candidates = new List<(string, ResourceVector)>();
        foreach (var entry in online)
        {
            candidates.Add((entry.Spec.Id, await GrainFactory.GetGrain<IDataCenterGrain>(entry.Spec.Id).GetReservableAsync(request.Start, request.End, cancellationToken)));
        }

        var model = request.Resources.EffectiveGpuModel;
        var ordered = candidates.OrderByDescending(c => model is null ? 0 : c.Item2.GpusOf(model)).ThenByDescending(c => c.Item2.CpuMillicores).ThenBy(c => c.Item1, StringComparer.Ordinal).ToList();
        return AdvanceReservationRules.Allot(request.Resources, ordered) is { } allotment
            ? ([.. allotment.Select(a => new AdvanceReservationShare(a.DataCenterId, a.Share, request.HubId!))], null)
            : (null, Refused(AdvanceReservationRefusal.Conflict, new ValidationError("resources", $"cannot be honoured: hub '{request.HubId}''s data centers together do not have {request.Resources} free at every instant of the window")));
    }

    private async Task CancelSharesAsync(StoredReservation reservation, CancellationToken cancellationToken)
    {
        foreach (var share in reservation.Shares)
        {
            await GrainFactory.GetGrain<IDataCenterGrain>(share.DataCenterId).CancelReservationAsync(reservation.Request.ReservationId, cancellationToken);
        }
    }

    private static AdvanceReservationResult Refused(AdvanceReservationRefusal refusal, ValidationError error) => new(null, refusal, [error]);

    [LoggerMessage(Level = LogLevel.Information, Message = "Advance reservation {ReservationId} of {Tenant} made: {Resources} over [{Start}, {End}) at {Shares}")]
    private static partial void LogCreated(ILogger logger, string reservationId, string tenant, ResourceRequest resources, DateTimeOffset start, DateTimeOffset end, IReadOnlyList<AdvanceReservationShare> shares);

    [LoggerMessage(Level = LogLevel.Information, Message = "Advance reservation {ReservationId} of {Tenant} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reservationId, string tenant, ValidationError reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Advance reservation {ReservationId} cancelled: {Reason}")]
    private static partial void LogCancelled(ILogger logger, string reservationId, string reason);
}
