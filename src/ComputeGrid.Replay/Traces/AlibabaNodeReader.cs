using System.Globalization;

namespace ComputeGrid.Replay.Traces;

/// <summary>
/// Reads the Alibaba GPU trace's node list (<c>openb_node_list_*.csv</c>): sn, cpu_milli, memory_mib, gpu, model. A row
/// with another field count, a non-number, a negative number or GPUs without a model is malformed; nothing crashes.
/// </summary>
public static class AlibabaNodeReader
{
    private static readonly string[] Header = ["sn", "cpu_milli", "memory_mib", "gpu", "model"];

    /// <summary>Reads every node row; never throws on bad content.</summary>
    public static NodeInventory Read(TextReader reader)
    {
        var nodes = new List<TraceNode>();
        var malformed = 0;
        var truncated = false;
        foreach (var fields in LineSource.CsvRows(reader, Header, () => truncated = true))
        {

            if (fields.Length != Header.Length || !Long(fields[1], out var cpu) || !Long(fields[2], out var memory) || !Long(fields[3], out var gpus)
                || gpus > int.MaxValue || (gpus > 0 && fields[4].Trim().Length == 0))
            {
                malformed++;
                continue;
            }

            nodes.Add(new TraceNode(fields[0], cpu, memory, (int)gpus, gpus > 0 ? fields[4].Trim() : null));
        }

        return new NodeInventory(nodes, malformed, truncated);
    }

    /// <summary>Reads the node list at <paramref name="path"/> (<c>.csv</c> or <c>.csv.gz</c>).</summary>
    public static NodeInventory Read(string path)
    {
        using var text = TraceFile.OpenText(path);
        return Read(text);
    }

    private static bool Long(string s, out long value) =>
        long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value >= 0;
}

/// <summary>One node of the trace's cluster.</summary>
/// <param name="Name">The node's serial name (<c>sn</c>).</param>
/// <param name="CpuMillicores">CPU, millicores.</param>
/// <param name="MemoryMiB">Memory, MiB.</param>
/// <param name="Gpus">Whole GPUs on the node.</param>
/// <param name="Model">The GPU model (for example T4, V100M32, or Alibaba's undisclosed G2); null for a CPU-only node.</param>
public sealed record TraceNode(string Name, long CpuMillicores, long MemoryMiB, int Gpus, string? Model);

/// <summary>The trace cluster's nodes as the node list describes them.</summary>
/// <param name="Nodes">Every well-formed node.</param>
/// <param name="Malformed">Rows that could not be parsed.</param>
/// <param name="Truncated">True when the file was cut off (its last line has no line end).</param>
public sealed record NodeInventory(IReadOnlyList<TraceNode> Nodes, int Malformed, bool Truncated)
{
    /// <summary>GPUs per model, most first (ties by model name).</summary>
    public IReadOnlyList<KeyValuePair<string, int>> GpusByModel =>
        [.. Nodes.Where(n => n.Model is not null).GroupBy(n => n.Model!, StringComparer.Ordinal)
            .Select(g => KeyValuePair.Create(g.Key, g.Sum(n => n.Gpus)))
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)];

    /// <summary>Every GPU of the cluster.</summary>
    public int TotalGpus => Nodes.Sum(n => n.Gpus);

    /// <summary>One line for a report: nodes, cores, GPUs and the GPUs of each model with its node sizes.</summary>
    public string Describe()
    {
        var c = CultureInfo.InvariantCulture;
        var total = Math.Max(1, TotalGpus);
        var models = GpusByModel.Select(kv =>
        {
            var sizes = Nodes.Where(n => n.Model == kv.Key).Select(n => n.Gpus).Distinct().Order().Select(g => g.ToString(c));
            return string.Create(c, $"{kv.Key} {kv.Value} ({(double)kv.Value / total:P1}; {string.Join("/", sizes)} per node)");
        });
        return string.Create(c, $"{Nodes.Count} nodes ({Nodes.Count(n => n.Gpus == 0)} without GPUs), {Nodes.Sum(n => n.CpuMillicores) / 1000:N0} cores, {TotalGpus:N0} GPUs: {string.Join(", ", models)}; {Malformed} malformed lines{(Truncated ? ", truncated" : string.Empty)}");
    }
}
