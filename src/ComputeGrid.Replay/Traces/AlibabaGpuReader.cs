using System.Globalization;

namespace ComputeGrid.Replay.Traces;

/// <summary>
/// Reads the Alibaba GPU trace's pod list (<c>openb_pod_list_*.csv</c>): name, cpu_milli, memory_mib, num_gpu,
/// gpu_milli, gpu_spec, qos, pod_phase, creation_time, deletion_time, scheduled_time (seconds). A pod's run time is
/// deletion minus scheduled time (creation time when it was never scheduled); a pod with no deletion time or a run time
/// of zero is unusable. Rows with another field count or non-numbers are malformed.
/// The pod list names no user, project or job group (<c>name</c> is a serial number, the other fields are resources,
/// times and the QoS class), so the QoS class is the only grouping: it becomes the job's user (its tenant), and the pod
/// name becomes its origin key, so pods spread over origin hubs by the origin rule's weights instead of all pods of one
/// QoS class coming from one hub.
/// </summary>
public static class AlibabaGpuReader
{
    private static readonly string[] Header =
        ["name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli", "gpu_spec", "qos", "pod_phase", "creation_time", "deletion_time", "scheduled_time"];

    /// <summary>Reads every pod row; never throws on bad content.</summary>
    public static TraceReadResult Read(TextReader reader)
    {
        var jobs = new List<TraceJob>();
        int malformed = 0, unusable = 0;
        var truncated = false;
        foreach (var fields in LineSource.CsvRows(reader, Header, () => truncated = true))
        {

            if (fields.Length != Header.Length)
            {
                malformed++;
                continue;
            }

            switch (Parse(fields))
            {
                case null:
                    malformed++;
                    break;
                case { } row when row.ToJob() is { } job:
                    jobs.Add(job);
                    break;
                default:
                    unusable++;
                    break;
            }
        }

        jobs.Sort((a, b) => a.Submit.CompareTo(b.Submit));
        return new TraceReadResult("Alibaba GPU v2023", jobs, malformed, unusable, truncated, TraceCitations.AlibabaGpu2023);
    }

    private static Row? Parse(string[] f)
    {
        if (!Long(f[1], out var cpu) || !Long(f[2], out var memory) || !Long(f[3], out var gpus) || !Long(f[4], out var gpuMilli)
            || !Long(f[8], out var created))
        {
            return null;
        }

        long? deleted = null, scheduled = null;
        if (f[9].Length > 0)
        {
            if (!Long(f[9], out var d))
            {
                return null;
            }

            deleted = d;
        }

        if (f[10].Length > 0)
        {
            if (!Long(f[10], out var s))
            {
                return null;
            }

            scheduled = s;
        }

        return new Row(f[0], cpu, memory, (int)Math.Min(gpus, int.MaxValue), gpuMilli, f[5], f[6], created, deleted, scheduled);
    }

    private static bool Long(string s, out long value) =>
        long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value >= 0;

    private sealed record Row(string Name, long CpuMilli, long MemoryMiB, int Gpus, long GpuMilli, string GpuSpec, string Qos, long Created, long? Deleted, long? Scheduled)
    {
        public TraceJob? ToJob()
        {
            var start = Scheduled ?? Created;
            if (Deleted is not { } deleted || deleted <= start || CpuMilli <= 0)
            {
                return null;
            }

            var gpus = Gpus > 0 ? Gpus : GpuMilli > 0 ? 1 : 0;
            return new TraceJob(
                Name,
                TimeSpan.FromSeconds(Created),
                TimeSpan.FromSeconds(deleted - start),
                CpuMilli,
                MemoryMiB > 0 ? MemoryMiB : null,
                gpus,
                Qos.Length > 0 ? Qos : "unknown",
                string.Equals(Qos, "LS", StringComparison.OrdinalIgnoreCase),
                GpuSpec.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Name);
        }
    }
}
