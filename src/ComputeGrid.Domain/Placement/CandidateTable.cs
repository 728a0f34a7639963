using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Placement;

/// <summary>
/// The data centers of a <see cref="CandidateIndex"/>, one entry each, with what the walks test kept in flat arrays:
/// latency from the origin (static), utilisation as placement scores it, status, agents, free and total capacity
/// (GPUs per model, by index into <see cref="Models"/>).
/// </summary>
internal sealed class CandidateTable
{
    /// <summary>Builds the table of <paramref name="states"/> as seen from <paramref name="originHub"/>.</summary>
    public CandidateTable(NationalTopology topology, string originHub, IReadOnlyList<CandidateState> states)
    {
        var n = states.Count;
        States = [.. states];
        Models = [.. states.SelectMany(s => s.Spec.Capacity.Gpus.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        Latency = [.. states.Select(s => topology.LatencyMs(originHub, s.Spec))];
        Utilisation = new double[n];
        Live = new bool[n];
        Agent = new bool[n];
        RunsAnyTenant = new bool[n];
        FreeCpu = new long[n];
        FreeMemory = new long[n];
        FreeGpus = new int[n * Models.Length];
        CapacityCpu = new long[n];
        CapacityMemory = new long[n];
        CapacityGpus = new int[n * Models.Length];
        for (var e = 0; e < n; e++)
        {
            var capacity = States[e].Spec.Capacity;
            CapacityCpu[e] = capacity.CpuMillicores;
            CapacityMemory[e] = capacity.MemoryMiB;
            for (var m = 0; m < Models.Length; m++)
            {
                CapacityGpus[(e * Models.Length) + m] = capacity.GpusOf(Models[m]);
            }

            Set(e, States[e]);
        }
    }

    /// <summary>Each data center as last seen.</summary>
    public CandidateState[] States { get; }

    /// <summary>Every GPU model some data center has, in ordinal order.</summary>
    public string[] Models { get; }

    /// <summary>One-way latency from the origin hub, ms, as <see cref="NationalTopology.LatencyMs"/> gives it.</summary>
    public double[] Latency { get; }

    /// <summary>Dominant-resource utilisation, exactly as placement scores it.</summary>
    public double[] Utilisation { get; }

    /// <summary>Online (takes new work).</summary>
    public bool[] Live { get; }

    /// <summary>Has an agent (runs some tenant's commands).</summary>
    public bool[] Agent { get; }

    /// <summary>Has an agent that runs every tenant's commands.</summary>
    public bool[] RunsAnyTenant { get; }

    /// <summary>Free CPU, millicores.</summary>
    public long[] FreeCpu { get; }

    /// <summary>Free memory, MiB.</summary>
    public long[] FreeMemory { get; }

    /// <summary>Free GPUs, at [entry x models + model].</summary>
    public int[] FreeGpus { get; }

    /// <summary>Total CPU, millicores.</summary>
    public long[] CapacityCpu { get; }

    /// <summary>Total memory, MiB.</summary>
    public long[] CapacityMemory { get; }

    /// <summary>Total GPUs, at [entry x models + model].</summary>
    public int[] CapacityGpus { get; }

    /// <summary>Records what is now known of entry <paramref name="e"/> (its spec unchanged).</summary>
    public void Set(int e, CandidateState state)
    {
        States[e] = state;
        Utilisation[e] = PlacementEngine.UtilisationOf(state);
        Live[e] = state.Status == DataCenterStatus.Online;
        Agent[e] = state.CommandTenants is not null;
        RunsAnyTenant[e] = state.CommandTenants?.Contains(CandidateState.AnyTenant) == true;
        FreeCpu[e] = state.Free.CpuMillicores;
        FreeMemory[e] = state.Free.MemoryMiB;
        for (var m = 0; m < Models.Length; m++)
        {
            FreeGpus[(e * Models.Length) + m] = state.Free.GpusOf(Models[m]);
        }
    }
}
