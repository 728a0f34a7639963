namespace ComputeGrid.Replay.Traces;

/// <summary>Reads lines until the end or until the stream breaks (a truncated gzip member), and says which.</summary>
internal static class LineSource
{
    public static IEnumerable<string> Lines(TextReader reader, Action onTruncated)
    {
        while (true)
        {
            string? line;
            try
            {
                line = reader.ReadLine();
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                onTruncated();
                yield break;
            }

            if (line is null)
            {
                yield break;
            }

            yield return line;
        }
    }
}
