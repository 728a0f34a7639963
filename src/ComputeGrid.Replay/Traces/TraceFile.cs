using System.IO.Compression;

namespace ComputeGrid.Replay.Traces;

/// <summary>Opens a trace by its file name: SWF (<c>.swf</c>, <c>.swf.gz</c>) or the Alibaba GPU pod list (<c>.csv</c>).</summary>
public static class TraceFile
{
    /// <summary>Reads the trace at <paramref name="path"/> with the reader its name asks for.</summary>
    /// <exception cref="NotSupportedException">The file name has no known trace extension.</exception>
    public static TraceReadResult Read(string path)
    {
        var name = Path.GetFileName(path).ToLowerInvariant();
        if (name.EndsWith(".swf", StringComparison.Ordinal) || name.EndsWith(".swf.gz", StringComparison.Ordinal))
        {
            using var stream = OpenText(path);
            return SwfReader.Read(stream, Path.GetFileName(path));
        }

        if (name.EndsWith(".csv", StringComparison.Ordinal) || name.EndsWith(".csv.gz", StringComparison.Ordinal))
        {
            using var stream = OpenText(path);
            return AlibabaGpuReader.Read(stream);
        }

        throw new NotSupportedException($"'{path}': expected .swf, .swf.gz or an Alibaba openb_pod_list .csv");
    }

    /// <summary>Opens a trace file as text, decompressing it when its name ends in <c>.gz</c>.</summary>
    internal static StreamReader OpenText(string path)
    {
        Stream file = File.OpenRead(path);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            file = new GZipStream(file, CompressionMode.Decompress);
        }

        return new StreamReader(file);
    }
}
