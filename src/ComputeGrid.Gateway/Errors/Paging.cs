using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ComputeGrid.Gateway.Errors;

/// <summary>A list endpoint's paging query, validated: the state filter, the page size and where to resume.</summary>
/// <typeparam name="TState">The listed resource's state enum.</typeparam>
/// <param name="State">Only resources in this state; null for every state.</param>
/// <param name="Limit">The page size, <see cref="Paging.MinLimit"/>..<see cref="Paging.MaxLimit"/>.</param>
/// <param name="Cursor">The previous page's <c>nextCursor</c>; null for the first page.</param>
internal readonly record struct PageQuery<TState>(TState? State, int Limit, string? Cursor)
    where TState : struct, Enum;

/// <summary>
/// The <c>state</c>, <c>limit</c> and <c>cursor</c> query parameters every listing takes, read alike everywhere so that
/// the same mistake gets the same problem on every resource.
/// </summary>
internal static class Paging
{
    /// <summary>The page size when <c>limit</c> is absent.</summary>
    public const int DefaultLimit = 50;

    /// <summary>The smallest <c>limit</c> accepted.</summary>
    public const int MinLimit = 1;

    /// <summary>The largest <c>limit</c> accepted.</summary>
    public const int MaxLimit = 500;

    /// <summary>A cursor is a positive 64-bit number in decimal digits; anything longer cannot be one.</summary>
    private const int MaxCursorLength = 19;

    /// <summary>
    /// Reads the paging parameters, checked in the order state, limit, cursor; the first bad one becomes a 400 problem
    /// naming it. States are matched by exact name (no numbers, no other case).
    /// </summary>
    public static bool TryRead<TState>(
        string? state,
        string? limit,
        string? cursor,
        out PageQuery<TState> query,
        [NotNullWhen(false)] out ProblemHttpResult? problem)
        where TState : struct, Enum
    {
        query = default;
        TState? wanted = null;
        if (state is not null)
        {
            if (!Enum.GetNames<TState>().Contains(state, StringComparer.Ordinal))
            {
                problem = Problems.Invalid("state", $"must be one of {string.Join(", ", Enum.GetNames<TState>())}");
                return false;
            }

            wanted = Enum.Parse<TState>(state);
        }

        var size = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < MinLimit or > MaxLimit))
        {
            problem = Problems.Invalid("limit", $"must be a whole number between {MinLimit} and {MaxLimit}");
            return false;
        }

        if (cursor is not null && !IsCursor(cursor))
        {
            problem = Problems.Invalid("cursor", "is not a cursor this API returned");
            return false;
        }

        query = new PageQuery<TState>(wanted, size, cursor);
        problem = null;
        return true;
    }

    private static bool IsCursor(string cursor) =>
        cursor.Length <= MaxCursorLength && long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var c) && c >= 1;
}
