namespace ComputeGrid.Domain.Topology;

/// <summary>A topology that cannot be used: names the entry, the field and the reason.</summary>
public sealed class TopologyException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TopologyException(string entry, string field, string reason)
        : base($"Invalid topology: {entry}: field '{field}': {reason}")
    {
        Entry = entry;
        Field = field;
        Reason = reason;
    }

    /// <summary>The entry, for example <c>dataCenters[3] (guian)</c>.</summary>
    public string Entry { get; }

    /// <summary>The field within the entry.</summary>
    public string Field { get; }

    /// <summary>What is wrong.</summary>
    public string Reason { get; }
}
