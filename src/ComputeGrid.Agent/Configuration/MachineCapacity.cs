using System.Globalization;
using ComputeGrid.Contracts.Agents;

namespace ComputeGrid.Agent.Configuration;

/// <summary>The capacity an agent offers: what is configured, the rest measured from this machine.</summary>
internal static class MachineCapacity
{
    /// <summary>CPU from <see cref="AgentOptions.CpuMillicores"/> or the processors × 1000; memory from <see cref="AgentOptions.MemoryMiB"/> or the machine's; GPUs only as configured.</summary>
    public static AgentCapacity Of(AgentOptions options) => new(
        options.CpuMillicores ?? Environment.ProcessorCount * 1000L,
        options.MemoryMiB ?? MeasuredMemoryMiB(),
        options.Gpus,
        options.Gpus > 0 ? options.GpuModel : null);

    /// <summary>MemTotal from <c>/proc/meminfo</c>; where that cannot be read, what the runtime sees as available.</summary>
    public static long MeasuredMemoryMiB()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                // "MemTotal:       24568312 kB"
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kib))
                    {
                        return kib / 1024;
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or /proc hidden: fall back to the runtime's view.
        }

        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024);
    }
}
