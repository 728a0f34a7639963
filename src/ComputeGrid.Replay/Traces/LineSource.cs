using System.Text;

namespace ComputeGrid.Replay.Traces;

/// <summary>
/// Reads lines and says whether the file was cut off: its last line has no line end, or the stream broke (a damaged
/// gzip member). A gzip file cut mid-stream usually decompresses without error up to the cut, so the missing line end
/// is what gives it away.
/// </summary>
internal static class LineSource
{
    public static IEnumerable<string> Lines(TextReader reader, Action onTruncated)
    {
        var line = new StringBuilder();
        var buffer = new char[16 * 1024];
        while (true)
        {
            int read;
            try
            {
                read = reader.Read(buffer, 0, buffer.Length);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                onTruncated();
                yield break;
            }

            if (read == 0)
            {
                if (line.Length > 0)
                {
                    onTruncated();
                    yield return line.ToString();
                }

                yield break;
            }

            for (var i = 0; i < read; i++)
            {
                var c = buffer[i];
                if (c == '\n')
                {
                    yield return line.ToString().TrimEnd('\r');
                    line.Clear();
                }
                else
                {
                    line.Append(c);
                }
            }
        }
    }

    /// <summary>
    /// The comma-separated rows of a CSV text: empty lines skipped, and the first line skipped when it is
    /// <paramref name="header"/> (compared case-insensitively). A last line without a line end calls <paramref name="onTruncated"/>.
    /// </summary>
    public static IEnumerable<string[]> CsvRows(TextReader reader, IReadOnlyList<string> header, Action onTruncated)
    {
        var first = true;
        foreach (var raw in Lines(reader, onTruncated))
        {
            if (raw.Length == 0)
            {
                continue;
            }

            var fields = raw.Split(',');
            if (first)
            {
                first = false;
                if (fields.SequenceEqual(header, StringComparer.OrdinalIgnoreCase))
                {
                    continue;
                }
            }

            yield return fields;
        }
    }
}
