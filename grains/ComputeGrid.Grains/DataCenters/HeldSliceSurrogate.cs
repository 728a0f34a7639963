using ComputeGrid.Domain.Capacity;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Grains.DataCenters;

/// <summary>
/// How a <see cref="HeldSlice"/> is stored: the shape the slice had when it was a grain record (alias and ids kept), its
/// one state written as the two flags it replaced, so records written before and after read the same.
/// </summary>
[GenerateSerializer, Alias("cg.LoanSliceRecord")]
internal struct HeldSliceSurrogate
{
    [Id(0)] public string Borrower;

    [Id(1)] public ResourceRequest Amount;

    [Id(2)] public bool Open;

    [Id(3)] public bool Closed;

    [Id(4)] public Dictionary<string, ResourceRequest> Reservations;

    [Id(5)] public Dictionary<string, int> Priorities;
}

[RegisterConverter]
internal sealed class HeldSliceConverter : IConverter<HeldSlice, HeldSliceSurrogate>
{
    public HeldSlice ConvertFromSurrogate(in HeldSliceSurrogate s) =>
        new(s.Borrower ?? string.Empty, s.Amount ?? new ResourceRequest(0, 0), s.Closed ? SliceState.Closing : s.Open ? SliceState.Open : SliceState.Held)
        {
            Reservations = new(s.Reservations ?? [], StringComparer.Ordinal),
            Priorities = new(s.Priorities ?? [], StringComparer.Ordinal),
        };

    public HeldSliceSurrogate ConvertToSurrogate(in HeldSlice v) => new()
    {
        Borrower = v.Borrower,
        Amount = v.Amount,
        Open = v.State == SliceState.Open,
        Closed = v.State == SliceState.Closing,
        Reservations = v.Reservations,
        Priorities = v.Priorities,
    };
}
