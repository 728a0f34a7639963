using ComputeGrid.Domain.Reservations;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Grains.DataCenters;

/// <summary>How an <see cref="AdvanceWindow"/> is stored in a data center's record.</summary>
[GenerateSerializer, Alias("cg.AdvanceWindow")]
internal struct AdvanceWindowSurrogate
{
    [Id(0)] public string Tenant;

    [Id(1)] public ResourceRequest Amount;

    [Id(2)] public DateTimeOffset Start;

    [Id(3)] public DateTimeOffset End;

    [Id(4)] public WindowState State;

    [Id(5)] public Dictionary<string, ResourceRequest> Reservations;

    [Id(6)] public Dictionary<string, string> PlacedBy;
}

[RegisterConverter]
internal sealed class AdvanceWindowConverter : IConverter<AdvanceWindow, AdvanceWindowSurrogate>
{
    public AdvanceWindow ConvertFromSurrogate(in AdvanceWindowSurrogate s) =>
        new(s.Tenant ?? string.Empty, s.Amount ?? new ResourceRequest(0, 0), s.Start, s.End, s.State)
        {
            Reservations = new(s.Reservations ?? [], StringComparer.Ordinal),
            PlacedBy = new(s.PlacedBy ?? [], StringComparer.Ordinal),
        };

    public AdvanceWindowSurrogate ConvertToSurrogate(in AdvanceWindow v) => new()
    {
        Tenant = v.Tenant,
        Amount = v.Amount,
        Start = v.Start,
        End = v.End,
        State = v.State,
        Reservations = v.Reservations,
        PlacedBy = v.PlacedBy,
    };
}
