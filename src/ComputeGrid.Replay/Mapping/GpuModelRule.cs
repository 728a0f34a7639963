using System.Globalization;
using ComputeGrid.Replay.Traces;

namespace ComputeGrid.Replay.Mapping;

/// <summary>
/// Which of the topology's GPU models a trace job asks for, in two steps.
/// <list type="number">
/// <item>The job's trace model: the one its <c>gpu_spec</c> names; when it names none (every pod of the shared pod list),
/// one of the trace cluster's models drawn by a stable hash of the pod name in proportion to the model's GPUs in the node
/// list, among the models that have a node the pod fits on (GPUs, CPU and memory). So the replayed pods use the cluster's
/// models in the cluster's proportions, and an 8-GPU pod gets a model that came in 8-GPU nodes.</item>
/// <item>The trace model becomes a topology model by a table. By default (ASSUMPTION: the trace names no vendor for G2
/// and G3, and the topology has no T4, P100 or V100) a model whose largest node has 8 or more GPUs (training servers:
/// G2, G3 and both V100s in the shared node list) becomes A800, any other (T4, P100, A10) 910B; <c>--gpu-map</c>
/// overrides entries.</item>
/// </list>
/// Without a node list every GPU job gets the fallback model.
/// </summary>
public sealed class GpuModelRule
{
    /// <summary>The fewest GPUs on a model's largest node for the default table to call it a training model.</summary>
    public const int TrainingNodeGpus = 8;

    private readonly NodeInventory? _inventory;
    private readonly Dictionary<string, string> _table;

    /// <summary>A rule over a node list (null for none), a table of trace model to topology model, and the model for everything else.</summary>
    public GpuModelRule(NodeInventory? inventory, IReadOnlyDictionary<string, string> table, string fallback)
    {
        _inventory = inventory;
        _table = new Dictionary<string, string>(table, StringComparer.OrdinalIgnoreCase);
        Fallback = fallback;
    }

    /// <summary>The topology model of a GPU job whose trace model is unknown or not in the table.</summary>
    public string Fallback { get; }

    /// <summary>Trace model to topology model.</summary>
    public IReadOnlyDictionary<string, string> Table => _table;

    /// <summary>
    /// The default rule for a node list: a model whose largest node has at least <see cref="TrainingNodeGpus"/> GPUs maps
    /// to <paramref name="trainingModel"/>, any other to <paramref name="otherModel"/>; <paramref name="overrides"/> win.
    /// </summary>
    public static GpuModelRule ForInventory(NodeInventory inventory, string trainingModel, string otherModel, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var table = inventory.Nodes.Where(n => n.Model is not null).GroupBy(n => n.Model!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.Max(n => n.Gpus) >= TrainingNodeGpus ? trainingModel : otherModel, StringComparer.OrdinalIgnoreCase);
        foreach (var (trace, topology) in overrides ?? new Dictionary<string, string>())
        {
            table[trace] = topology;
        }

        return new GpuModelRule(inventory, table, otherModel);
    }

    /// <summary>Parses <c>trace=topology,...</c>, for example <c>G2=A800,T4=910B</c>.</summary>
    /// <exception cref="FormatException">A pair is not <c>model=model</c>.</exception>
    public static IReadOnlyDictionary<string, string> ParseTable(string text)
    {
        var table = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = pair.Split('=', StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                throw new FormatException($"GPU model mapping '{pair}' is not traceModel=topologyModel");
            }

            table[parts[0]] = parts[1];
        }

        return table;
    }

    /// <summary>The trace model of a GPU job (see the type's rule); null for a job without GPUs or when neither its spec nor a node list says.</summary>
    public string? TraceModelOf(TraceJob job)
    {
        if (job.Gpus == 0)
        {
            return null;
        }

        var spec = job.GpuSpec ?? [];
        if (_inventory is null || _inventory.TotalGpus == 0)
        {
            return spec.Count > 0 ? spec[0] : null;
        }

        var models = _inventory.GpusByModel
            .Where(kv => spec.Count == 0 || spec.Contains(kv.Key, StringComparer.OrdinalIgnoreCase))
            .Select(kv => KeyValuePair.Create(kv.Key, (double)kv.Value))
            .ToList();
        if (models.Count == 0)
        {
            return spec.Count > 0 ? spec[0] : null;
        }

        var fitting = models.Where(m => _inventory.Nodes.Any(n => n.Model == m.Key && Fits(job, n))).ToList();
        return StableHash.Pick(job.Id, fitting.Count > 0 ? fitting : models);
    }

    /// <summary>The topology model a GPU job asks for; null for a job without GPUs.</summary>
    public string? TopologyModelOf(TraceJob job) =>
        job.Gpus == 0 ? null : TraceModelOf(job) is { } model && _table.TryGetValue(model, out var mapped) ? mapped : Fallback;

    /// <summary>The rule in one sentence for the report.</summary>
    public string Describe()
    {
        if (_inventory is null)
        {
            return $"Mapping: trace GPUs become {Fallback} GPUs (no node list).";
        }

        var table = string.Join(", ", _table.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}->{kv.Value}"));
        return string.Create(CultureInfo.InvariantCulture,
            $"Mapping: a pod's trace GPU model is its gpu_spec, else drawn by a stable hash of its name in proportion to each model's GPUs in the node list among the models with a node it fits on; trace models map to topology models by {table} (default: models whose largest node has {TrainingNodeGpus}+ GPUs are training models), anything else {Fallback}.");
    }

    private static bool Fits(TraceJob job, TraceNode node) =>
        node.Gpus >= job.Gpus && node.CpuMillicores >= job.CpuMillicores && (job.MemoryMiB is not { } memory || node.MemoryMiB >= memory);
}
