using System.Text.RegularExpressions;

namespace ComputeGrid.Replay.Traces;

/// <summary>
/// The header comments of an SWF log, as the Parallel Workloads Archive writes them: <c>; Key: value</c> lines
/// (<c>Computer</c>, <c>Installation</c>, <c>Acknowledge</c>, <c>Information</c>, ...), a value continued on the
/// indented comment lines below it. Each log credits its own source there, so its citation is built from them.
/// </summary>
public sealed partial class SwfHeader
{
    private const string ArchiveUrl = "https://www.cs.huji.ac.il/labs/parallel/workload/";
    private const string ArchivePaper =
        "D. G. Feitelson, D. Tsafrir, D. Krakov, \"Experience with using the Parallel Workloads Archive\", "
        + "J. Parallel & Distributed Computing 74(10):2967-2982, 2014, doi:10.1016/j.jpdc.2014.06.013.";

    private readonly Dictionary<string, List<string>> _fields = new(StringComparer.OrdinalIgnoreCase);
    private List<string>? _continued;

    /// <summary>The value of a header field with its continuation lines joined by <paramref name="separator"/>; null when absent or empty.</summary>
    public string? this[string key, string separator = " "] =>
        _fields.TryGetValue(key, out var lines) && lines.Count > 0 ? string.Join(separator, lines) : null;

    /// <summary>Takes one comment line (starting with <c>;</c>) of the file.</summary>
    public void Add(string commentLine)
    {
        if (Field().Match(commentLine) is { Success: true } field)
        {
            _continued = null;
            var key = field.Groups["key"].Value;
            if (!_fields.TryGetValue(key, out var lines))
            {
                _fields[key] = lines = [];
            }

            var value = field.Groups["value"].Value.Trim();
            if (value.Length > 0)
            {
                lines.Add(value);
            }

            _continued = lines;
        }
        else if (Continuation().Match(commentLine) is { Success: true } more && _continued is not null)
        {
            _continued.Add(more.Groups["value"].Value.Trim());
        }
        else
        {
            _continued = null;
        }
    }

    /// <summary>
    /// How to cite the log: its name (from <paramref name="fileName"/>, the part before the year as the archive names
    /// its files), the machine and installation, the acknowledgement and information the header asks for, then the
    /// archive's own paper. A header that names no acknowledgement sends the reader to the log's entry in the archive.
    /// </summary>
    public string Citation(string? fileName)
    {
        var log = LogName(fileName);
        var where = (this["Computer"], this["Installation"]) switch
        {
            ({ } computer, { } installation) => $"{computer} at {installation}",
            ({ } computer, null) => computer,
            (null, { } installation) => installation,
            _ => null,
        };
        var parts = new List<string>();
        if (where is not null)
        {
            parts.Add(where);
        }

        parts.Add(this["Acknowledge"] is { } acknowledge
            ? $"acknowledge: {acknowledge}"
            : "its header names no acknowledgement: cite it as its entry in the archive's list of logs asks");
        if (this["Information", ", "] is { } information)
        {
            parts.Add($"information: {information}");
        }

        return $"Parallel Workloads Archive ({ArchiveUrl}), log {log}: {string.Join("; ", parts)}. {ArchivePaper}";
    }

    private static string LogName(string? fileName)
    {
        if (string.IsNullOrWhiteSpace(fileName))
        {
            return "(file name unknown)";
        }

        var name = Path.GetFileName(fileName);
        var year = LogYear().Match(name);
        return year.Success ? $"{name[..year.Index]} (file {name})" : name;
    }

    [GeneratedRegex(@"^;\s{0,2}(?<key>[A-Za-z][A-Za-z0-9]*):(?<value>.*)$")]
    private static partial Regex Field();

    [GeneratedRegex(@"^;\s{3,}(?<value>\S.*)$")]
    private static partial Regex Continuation();

    [GeneratedRegex(@"-(19|20)\d\d(?=[-.])")]
    private static partial Regex LogYear();
}
