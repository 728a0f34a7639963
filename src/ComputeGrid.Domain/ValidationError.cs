namespace ComputeGrid.Domain;

/// <summary>One thing wrong with an input: the field (a JSON-style path such as <c>resources.gpus</c>) and why.</summary>
/// <param name="Field">The offending field, as the caller named it.</param>
/// <param name="Reason">Why it is wrong, in a sentence the caller can act on.</param>
public sealed record ValidationError(string Field, string Reason)
{
    /// <summary>Longest part of a rejected value that a reason echoes, characters.</summary>
    public const int MaxEcho = 32;

    /// <summary>
    /// A rejected value for a reason, in single quotes, cut to <see cref="MaxEcho"/> characters (with an ellipsis) and
    /// with control characters replaced, so that a huge or hostile value is never sent back whole.
    /// </summary>
    public static string Quote(string? value)
    {
        var text = value ?? string.Empty;
        var cut = text.Length > MaxEcho ? string.Concat(text.AsSpan(0, MaxEcho), "\u2026") : text;
        return $"'{string.Concat(cut.Select(c => char.IsControl(c) ? '?' : c))}'";
    }

    /// <inheritdoc />
    public override string ToString() => $"{Field}: {Reason}";
}
