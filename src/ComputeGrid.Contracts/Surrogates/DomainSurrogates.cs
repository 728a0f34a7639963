using System.Collections.Immutable;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Contracts.Surrogates;

// The domain library has no Orleans in it, so its types cross grain boundaries through these surrogates and converters:
// one stable wire shape per domain type, versioned by [Id] and [Alias] like every other contract.

[GenerateSerializer, Immutable, Alias("cg.ResourceRequest")]
internal readonly struct ResourceRequestSurrogate
{
    [Id(0)] public long CpuMillicores { get; init; }
    [Id(1)] public long MemoryMiB { get; init; }
    [Id(2)] public int Gpus { get; init; }
    [Id(3)] public string? GpuModel { get; init; }
}

[RegisterConverter]
internal sealed class ResourceRequestConverter : IConverter<ResourceRequest, ResourceRequestSurrogate>
{
    public ResourceRequest ConvertFromSurrogate(in ResourceRequestSurrogate s) => new(s.CpuMillicores, s.MemoryMiB, s.Gpus, s.GpuModel);

    public ResourceRequestSurrogate ConvertToSurrogate(in ResourceRequest v) =>
        new() { CpuMillicores = v.CpuMillicores, MemoryMiB = v.MemoryMiB, Gpus = v.Gpus, GpuModel = v.GpuModel };
}

[GenerateSerializer, Immutable, Alias("cg.ResourceVector")]
internal readonly struct ResourceVectorSurrogate
{
    [Id(0)] public long CpuMillicores { get; init; }
    [Id(1)] public long MemoryMiB { get; init; }
    [Id(2)] public Dictionary<string, int>? Gpus { get; init; }
}

[RegisterConverter]
internal sealed class ResourceVectorConverter : IConverter<ResourceVector, ResourceVectorSurrogate>
{
    // Zero counts survive the trip: a quota limit names a GPU model with 0 to lend or borrow none of it.
    public ResourceVector ConvertFromSurrogate(in ResourceVectorSurrogate s) =>
        new(s.CpuMillicores, s.MemoryMiB, (s.Gpus ?? []).ToImmutableSortedDictionary(StringComparer.Ordinal));

    public ResourceVectorSurrogate ConvertToSurrogate(in ResourceVector v) =>
        new() { CpuMillicores = v.CpuMillicores, MemoryMiB = v.MemoryMiB, Gpus = v.Gpus.ToDictionary(StringComparer.Ordinal) };
}

[GenerateSerializer, Immutable, Alias("cg.GeoPoint")]
internal readonly struct GeoPointSurrogate
{
    [Id(0)] public double Lat { get; init; }
    [Id(1)] public double Lon { get; init; }
}

[RegisterConverter]
internal sealed class GeoPointConverter : IConverter<GeoPoint, GeoPointSurrogate>
{
    public GeoPoint ConvertFromSurrogate(in GeoPointSurrogate s) => new(s.Lat, s.Lon);

    public GeoPointSurrogate ConvertToSurrogate(in GeoPoint v) => new() { Lat = v.Lat, Lon = v.Lon };
}

[GenerateSerializer, Immutable, Alias("cg.EnergyProfile")]
internal readonly struct EnergyProfileSurrogate
{
    [Id(0)] public double Pue { get; init; }
    [Id(1)] public double GridKgCo2PerKwh { get; init; }
    [Id(2)] public double GreenShare { get; init; }
    [Id(3)] public double PriceCnyPerKwh { get; init; }
}

[RegisterConverter]
internal sealed class EnergyProfileConverter : IConverter<EnergyProfile, EnergyProfileSurrogate>
{
    public EnergyProfile ConvertFromSurrogate(in EnergyProfileSurrogate s) => new(s.Pue, s.GridKgCo2PerKwh, s.GreenShare, s.PriceCnyPerKwh);

    public EnergyProfileSurrogate ConvertToSurrogate(in EnergyProfile v) =>
        new() { Pue = v.Pue, GridKgCo2PerKwh = v.GridKgCo2PerKwh, GreenShare = v.GreenShare, PriceCnyPerKwh = v.PriceCnyPerKwh };
}

[GenerateSerializer, Immutable, Alias("cg.DataCenterSpec")]
internal readonly struct DataCenterSpecSurrogate
{
    [Id(0)] public string Id { get; init; }
    [Id(1)] public string Name { get; init; }
    [Id(2)] public string HubId { get; init; }
    [Id(3)] public GeoPoint Location { get; init; }
    [Id(4)] public ResourceVector Capacity { get; init; }
    [Id(5)] public EnergyProfile Energy { get; init; }
}

[RegisterConverter]
internal sealed class DataCenterSpecConverter : IConverter<DataCenterSpec, DataCenterSpecSurrogate>
{
    public DataCenterSpec ConvertFromSurrogate(in DataCenterSpecSurrogate s) => new(s.Id, s.Name, s.HubId, s.Location, s.Capacity, s.Energy);

    public DataCenterSpecSurrogate ConvertToSurrogate(in DataCenterSpec v) =>
        new() { Id = v.Id, Name = v.Name, HubId = v.HubId, Location = v.Location, Capacity = v.Capacity, Energy = v.Energy };
}

[GenerateSerializer, Immutable, Alias("cg.Hub")]
internal readonly struct HubSurrogate
{
    [Id(0)] public string Id { get; init; }
    [Id(1)] public string Name { get; init; }
    [Id(2)] public string NameZh { get; init; }
    [Id(3)] public Zone Zone { get; init; }
    [Id(4)] public GeoPoint Location { get; init; }
    [Id(5)] public HubQuota? Quota { get; init; }
}

[RegisterConverter]
internal sealed class HubConverter : IConverter<Hub, HubSurrogate>
{
    public Hub ConvertFromSurrogate(in HubSurrogate s) => new(s.Id, s.Name, s.NameZh, s.Zone, s.Location, s.Quota);

    public HubSurrogate ConvertToSurrogate(in Hub v) => new() { Id = v.Id, Name = v.Name, NameZh = v.NameZh, Zone = v.Zone, Location = v.Location, Quota = v.Quota };
}

[GenerateSerializer, Immutable, Alias("cg.HubQuota")]
internal readonly struct HubQuotaSurrogate
{
    [Id(0)] public ResourceVector? LendingLimit { get; init; }
    [Id(1)] public ResourceVector? BorrowingLimit { get; init; }
    [Id(2)] public ReclaimPolicy Reclaim { get; init; }
}

[RegisterConverter]
internal sealed class HubQuotaConverter : IConverter<HubQuota, HubQuotaSurrogate>
{
    public HubQuota ConvertFromSurrogate(in HubQuotaSurrogate s) => new(s.LendingLimit, s.BorrowingLimit, s.Reclaim);

    public HubQuotaSurrogate ConvertToSurrogate(in HubQuota v) => new() { LendingLimit = v.LendingLimit, BorrowingLimit = v.BorrowingLimit, Reclaim = v.Reclaim };
}

[GenerateSerializer, Immutable, Alias("cg.JobSpec")]
internal readonly struct JobSpecSurrogate
{
    [Id(0)] public string Tenant { get; init; }
    [Id(1)] public string OriginHub { get; init; }
    [Id(2)] public ResourceRequest Resources { get; init; }
    [Id(3)] public TimeSpan RunTime { get; init; }
    [Id(4)] public LatencyClass LatencyClass { get; init; }
    [Id(5)] public string[] AllowedHubs { get; init; }
    [Id(6)] public int Priority { get; init; }
    [Id(7)] public PlacementPolicy Policy { get; init; }
    [Id(8)] public double InputDataGiB { get; init; }
    [Id(9)] public JobCommand? Command { get; init; }
    [Id(10)] public string? ArrayId { get; init; }
    [Id(11)] public int ArrayIndex { get; init; }
    [Id(12)] public decimal? MaxPriceCny { get; init; }
    [Id(13)] public JobDependency[]? DependsOn { get; init; }
    [Id(14)] public PreemptionPolicy Preemption { get; init; }
    [Id(15)] public JobGang? Gang { get; init; }
    [Id(16)] public string? Reservation { get; init; }
}

[RegisterConverter]
internal sealed class JobSpecConverter : IConverter<JobSpec, JobSpecSurrogate>
{
    public JobSpec ConvertFromSurrogate(in JobSpecSurrogate s) =>
        new(s.Tenant, s.OriginHub, s.Resources, s.RunTime, s.LatencyClass, s.AllowedHubs ?? [], s.Priority, s.Policy, s.InputDataGiB, s.Command, s.ArrayId, s.ArrayIndex, s.MaxPriceCny, s.DependsOn is { Length: > 0 } d ? d : null, s.Preemption, s.Gang, s.Reservation);

    public JobSpecSurrogate ConvertToSurrogate(in JobSpec v) => new()
    {
        Tenant = v.Tenant,
        OriginHub = v.OriginHub,
        Resources = v.Resources,
        RunTime = v.RunTime,
        LatencyClass = v.LatencyClass,
        AllowedHubs = [.. v.AllowedHubs ?? []],
        Priority = v.Priority,
        Policy = v.Policy,
        InputDataGiB = v.InputDataGiB,
        Command = v.Command,
        ArrayId = v.ArrayId,
        ArrayIndex = v.ArrayIndex,
        MaxPriceCny = v.MaxPriceCny,
        DependsOn = v.DependsOn is { Count: > 0 } d ? [.. d] : null,
        Preemption = v.Preemption,
        Gang = v.Gang,
        Reservation = v.Reservation,
    };
}

[GenerateSerializer, Immutable, Alias("cg.JobGang")]
internal readonly struct JobGangSurrogate
{
    [Id(0)] public string GangId { get; init; }
    [Id(1)] public int Members { get; init; }
    [Id(2)] public int Attempt { get; init; }
    [Id(3)] public int? Member { get; init; }
}

[RegisterConverter]
internal sealed class JobGangConverter : IConverter<JobGang, JobGangSurrogate>
{
    public JobGang ConvertFromSurrogate(in JobGangSurrogate s) => new(s.GangId, s.Members, s.Attempt, s.Member);

    public JobGangSurrogate ConvertToSurrogate(in JobGang v) => new() { GangId = v.GangId, Members = v.Members, Attempt = v.Attempt, Member = v.Member };
}

[GenerateSerializer, Immutable, Alias("cg.Footprint")]
internal readonly struct FootprintSurrogate
{
    [Id(0)] public double EnergyKwh { get; init; }
    [Id(1)] public double CarbonKg { get; init; }
    [Id(2)] public double CostCny { get; init; }
}

[RegisterConverter]
internal sealed class FootprintConverter : IConverter<Footprint, FootprintSurrogate>
{
    public Footprint ConvertFromSurrogate(in FootprintSurrogate s) => new(s.EnergyKwh, s.CarbonKg, s.CostCny);

    public FootprintSurrogate ConvertToSurrogate(in Footprint v) => new() { EnergyKwh = v.EnergyKwh, CarbonKg = v.CarbonKg, CostCny = v.CostCny };
}

[GenerateSerializer, Immutable, Alias("cg.ValidationError")]
internal readonly struct ValidationErrorSurrogate
{
    [Id(0)] public string Field { get; init; }
    [Id(1)] public string Reason { get; init; }
}

[RegisterConverter]
internal sealed class ValidationErrorConverter : IConverter<ValidationError, ValidationErrorSurrogate>
{
    public ValidationError ConvertFromSurrogate(in ValidationErrorSurrogate s) => new(s.Field, s.Reason);

    public ValidationErrorSurrogate ConvertToSurrogate(in ValidationError v) => new() { Field = v.Field, Reason = v.Reason };
}

[GenerateSerializer, Immutable, Alias("cg.LoanSlice")]
internal readonly struct LoanSliceSurrogate
{
    [Id(0)] public string DataCenterId { get; init; }
    [Id(1)] public ResourceVector Amount { get; init; }
    [Id(2)] public double KgCo2PerItKwh { get; init; }
    [Id(3)] public double LatencyMs { get; init; }
}

[RegisterConverter]
internal sealed class LoanSliceConverter : IConverter<LoanSlice, LoanSliceSurrogate>
{
    public LoanSlice ConvertFromSurrogate(in LoanSliceSurrogate s) => new(s.DataCenterId, s.Amount, s.KgCo2PerItKwh, s.LatencyMs);

    public LoanSliceSurrogate ConvertToSurrogate(in LoanSlice v) =>
        new() { DataCenterId = v.DataCenterId, Amount = v.Amount, KgCo2PerItKwh = v.KgCo2PerItKwh, LatencyMs = v.LatencyMs };
}

[GenerateSerializer, Immutable, Alias("cg.LoanPrice")]
internal readonly struct LoanPriceSurrogate
{
    [Id(0)] public double CnyPerCoreHour { get; init; }
    [Id(1)] public double CnyPerGpuHour { get; init; }
}

[RegisterConverter]
internal sealed class LoanPriceConverter : IConverter<LoanPrice, LoanPriceSurrogate>
{
    public LoanPrice ConvertFromSurrogate(in LoanPriceSurrogate s) => new(s.CnyPerCoreHour, s.CnyPerGpuHour);

    public LoanPriceSurrogate ConvertToSurrogate(in LoanPrice v) => new() { CnyPerCoreHour = v.CnyPerCoreHour, CnyPerGpuHour = v.CnyPerGpuHour };
}

[GenerateSerializer, Immutable, Alias("cg.LoanTerms")]
internal readonly struct LoanTermsSurrogate
{
    [Id(0)] public string LoanId { get; init; }
    [Id(1)] public string RequestId { get; init; }
    [Id(2)] public string Lender { get; init; }
    [Id(3)] public string Borrower { get; init; }
    [Id(4)] public LoanSlice[] Slices { get; init; }
    [Id(5)] public LoanPrice Price { get; init; }
    [Id(6)] public TimeSpan Term { get; init; }
    [Id(7)] public TimeSpan RecallNotice { get; init; }
    [Id(8)] public ExpiryTerms OnExpiry { get; init; }
    [Id(9)] public DateTimeOffset OfferExpiresAt { get; init; }
}

[RegisterConverter]
internal sealed class LoanTermsConverter : IConverter<LoanTerms, LoanTermsSurrogate>
{
    public LoanTerms ConvertFromSurrogate(in LoanTermsSurrogate s) =>
        new(s.LoanId, s.RequestId, s.Lender, s.Borrower, s.Slices ?? [], s.Price, s.Term, s.RecallNotice, s.OnExpiry, s.OfferExpiresAt);

    public LoanTermsSurrogate ConvertToSurrogate(in LoanTerms v) => new()
    {
        LoanId = v.LoanId,
        RequestId = v.RequestId,
        Lender = v.Lender,
        Borrower = v.Borrower,
        Slices = [.. v.Slices],
        Price = v.Price,
        Term = v.Term,
        RecallNotice = v.RecallNotice,
        OnExpiry = v.OnExpiry,
        OfferExpiresAt = v.OfferExpiresAt,
    };
}

[GenerateSerializer, Immutable, Alias("cg.LoanUsage")]
internal readonly struct LoanUsageSurrogate
{
    [Id(0)] public long Jobs { get; init; }
    [Id(1)] public double CoreHours { get; init; }
    [Id(2)] public double GpuHours { get; init; }
    [Id(3)] public Footprint Footprint { get; init; }
    [Id(4)] public Footprint AtHome { get; init; }
    [Id(5)] public double ChargeCny { get; init; }
}

[RegisterConverter]
internal sealed class LoanUsageConverter : IConverter<LoanUsage, LoanUsageSurrogate>
{
    public LoanUsage ConvertFromSurrogate(in LoanUsageSurrogate s) => new(s.Jobs, s.CoreHours, s.GpuHours, s.Footprint, s.AtHome, s.ChargeCny);

    public LoanUsageSurrogate ConvertToSurrogate(in LoanUsage v) =>
        new() { Jobs = v.Jobs, CoreHours = v.CoreHours, GpuHours = v.GpuHours, Footprint = v.Footprint, AtHome = v.AtHome, ChargeCny = v.ChargeCny };
}

[GenerateSerializer, Immutable, Alias("cg.JobCommand")]
internal readonly struct JobCommandSurrogate
{
    [Id(0)] public string Executable { get; init; }
    [Id(1)] public string[] Arguments { get; init; }
    [Id(2)] public Dictionary<string, string> Environment { get; init; }
    [Id(3)] public string? WorkingDirectory { get; init; }
    [Id(4)] public bool RequeueIfLost { get; init; }
}

[RegisterConverter]
internal sealed class JobCommandConverter : IConverter<JobCommand, JobCommandSurrogate>
{
    public JobCommand ConvertFromSurrogate(in JobCommandSurrogate s) =>
        new(s.Executable, s.Arguments ?? [], s.Environment ?? new Dictionary<string, string>(StringComparer.Ordinal), s.WorkingDirectory, s.RequeueIfLost);

    public JobCommandSurrogate ConvertToSurrogate(in JobCommand v) => new()
    {
        Executable = v.Executable,
        Arguments = [.. v.Arguments ?? []],
        Environment = new Dictionary<string, string>(v.Environment ?? new Dictionary<string, string>(), StringComparer.Ordinal),
        WorkingDirectory = v.WorkingDirectory,
        RequeueIfLost = v.RequeueIfLost,
    };
}

[GenerateSerializer, Immutable, Alias("cg.JobPlacement")]
internal readonly struct JobPlacementSurrogate
{
    [Id(0)] public string DataCenterId { get; init; }
    [Id(1)] public string HubId { get; init; }
    [Id(2)] public string Reason { get; init; }
    [Id(3)] public double LatencyMs { get; init; }
    [Id(4)] public Footprint Estimate { get; init; }
    [Id(5)] public EnergyProfile Energy { get; init; }
    [Id(6)] public string? LoanId { get; init; }
}

[RegisterConverter]
internal sealed class JobPlacementConverter : IConverter<JobPlacement, JobPlacementSurrogate>
{
    public JobPlacement ConvertFromSurrogate(in JobPlacementSurrogate s) => new(s.DataCenterId, s.HubId, s.Reason, s.LatencyMs, s.Estimate, s.Energy, s.LoanId);

    public JobPlacementSurrogate ConvertToSurrogate(in JobPlacement v) => new()
    {
        DataCenterId = v.DataCenterId,
        HubId = v.HubId,
        Reason = v.Reason,
        LatencyMs = v.LatencyMs,
        Estimate = v.Estimate,
        Energy = v.Energy,
        LoanId = v.LoanId,
    };
}

[GenerateSerializer, Immutable, Alias("cg.JobDependency")]
internal readonly struct JobDependencySurrogate
{
    [Id(0)] public DependencyCondition Condition { get; init; }
    [Id(1)] public string TargetId { get; init; }
    [Id(2)] public DependencyTarget Target { get; init; }
}

[RegisterConverter]
internal sealed class JobDependencyConverter : IConverter<JobDependency, JobDependencySurrogate>
{
    public JobDependency ConvertFromSurrogate(in JobDependencySurrogate s) => new(s.Condition, s.TargetId, s.Target);

    public JobDependencySurrogate ConvertToSurrogate(in JobDependency v) => new() { Condition = v.Condition, TargetId = v.TargetId, Target = v.Target };
}

[GenerateSerializer, Immutable, Alias("cg.DependencyStatus")]
internal readonly struct DependencyStatusSurrogate
{
    [Id(0)] public int Total { get; init; }
    [Id(1)] public int Started { get; init; }
    [Id(2)] public int Ended { get; init; }
    [Id(3)] public int Succeeded { get; init; }
}

[RegisterConverter]
internal sealed class DependencyStatusConverter : IConverter<DependencyStatus, DependencyStatusSurrogate>
{
    public DependencyStatus ConvertFromSurrogate(in DependencyStatusSurrogate s) => new(s.Total, s.Started, s.Ended, s.Succeeded);

    public DependencyStatusSurrogate ConvertToSurrogate(in DependencyStatus v) => new() { Total = v.Total, Started = v.Started, Ended = v.Ended, Succeeded = v.Succeeded };
}
