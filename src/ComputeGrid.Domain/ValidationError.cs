namespace ComputeGrid.Domain;

/// <summary>One thing wrong with an input: the field (a JSON-style path such as <c>resources.gpus</c>) and why.</summary>
/// <param name="Field">The offending field, as the caller named it.</param>
/// <param name="Reason">Why it is wrong, in a sentence the caller can act on.</param>
public sealed record ValidationError(string Field, string Reason)
{
    /// <inheritdoc />
    public override string ToString() => $"{Field}: {Reason}";
}
