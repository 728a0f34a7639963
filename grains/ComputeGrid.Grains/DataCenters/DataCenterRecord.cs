using ComputeGrid.Contracts;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Capacity;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Agents;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace ComputeGrid.Grains.DataCenters;

/// <summary>
/// A data center's persisted state, apart from its reservations: they grow with the jobs it holds, so they are a
/// <see cref="Persistence.ShardedMap{TValue}"/> of their own (id 2 was theirs when they lived here).
/// </summary>
[GenerateSerializer, Alias("cg.DataCenterRecord")]
internal sealed class DataCenterRecord
{
    /// <summary>The state's name in grain storage.</summary>
    public const string StateName = "datacenter";

    [Id(0)] public DataCenterSpec? Spec { get; set; }

    [Id(1)] public DataCenterStatus Status { get; set; }

    [Id(3)] public Footprint Executed { get; set; }

    [Id(4)] public long JobsFinished { get; set; }

    [Id(5)] public bool Retired { get; set; }

    [Id(6)] public Dictionary<string, HeldSlice> Loans { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Its agents, only in a record written before they had a grain of their own (<see cref="AgentGrain"/>): read once
    /// on upgrade, when that grain and the credential grain adopt them, then dropped.
    /// </summary>
    [Id(7)] public Dictionary<string, AgentRecord>? LegacyAgents { get; set; }

    /// <summary>The jobs with a command placed here, only in a record written before agents had a grain of their own; as <see cref="LegacyAgents"/>.</summary>
    [Id(8)] public Dictionary<string, CommandRecord>? LegacyCommands { get; set; }

    /// <summary>Offline because its agents went silent (it comes back by itself when one syncs), not by an operator's hand.</summary>
    [Id(9)] public bool OfflineBySilence { get; set; }

    /// <summary>Agent credentials were issued for it: each release is told to its agent grain first (a command's process must stop).</summary>
    [Id(10)] public bool HasAgents { get; set; }

    /// <summary>Advance reservations' windows here, scheduled and open, by reservation id.</summary>
    [Id(11)] public Dictionary<string, Domain.Reservations.AdvanceWindow> Windows { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Holds agents or commands from before they had a grain of their own.</summary>
    public bool HoldsLegacyAgents => LegacyAgents is { Count: > 0 } || LegacyCommands is { Count: > 0 };

    /// <summary>
    /// A data center's record as it is stored, read by another grain of the same data center (its agent grain or credential
    /// grain adopting what an earlier version kept here); null when none is stored.
    /// </summary>
    public static async Task<DataCenterRecord?> ReadStoredAsync(IServiceProvider services, IGrainFactory grains, string dataCenterId)
    {
        var storage = services.GetRequiredKeyedService<IGrainStorage>(GridStorage.Name);
        var stored = new GrainState<DataCenterRecord>(new DataCenterRecord());
        await storage.ReadStateAsync(StateName, grains.GetGrain<IDataCenterGrain>(dataCenterId).GetGrainId(), stored);
        return stored.RecordExists ? stored.State : null;
    }
}
