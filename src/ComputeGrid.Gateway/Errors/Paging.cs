using System.Diagnostics.CodeAnalysis;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ComputeGrid.Domain;
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

    /// <summary>Longest cursor the API issues; anything longer cannot be one.</summary>
    private const int MaxCursorLength = 256;

    /// <summary>
    /// Reads the paging parameters; every bad one becomes part of one 400 problem naming it, in the order state, limit,
    /// cursor. States are matched by exact name (no numbers, no other case). The cursor must be one this API issued for
    /// the same listing (<paramref name="scope"/>: the resource and its filters); <see cref="PageQuery{TState}.Cursor"/>
    /// is then the position it carries.
    /// </summary>
    public static bool TryRead<TState>(
        string scope,
        string? state,
        string? limit,
        string? cursor,
        out PageQuery<TState> query,
        [NotNullWhen(false)] out ProblemHttpResult? problem)
        where TState : struct, Enum
    {
        query = default;
        var errors = new List<ValidationError>();
        TState? wanted = null;
        if (state is not null)
        {
            if (!Enum.GetNames<TState>().Contains(state, StringComparer.Ordinal))
            {
                errors.Add(new("state", $"must be one of {string.Join(", ", Enum.GetNames<TState>())}"));
            }
            else
            {
                wanted = Enum.Parse<TState>(state);
            }
        }

        var size = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < MinLimit or > MaxLimit))
        {
            errors.Add(new("limit", $"must be a whole number between {MinLimit} and {MaxLimit}"));
        }

        string? position = null;
        if (cursor is not null && !Cursors.TryOpen(cursor, ScopeOf(scope, state), out position))
        {
            errors.Add(new("cursor", "is not a cursor this API returned for this listing"));
        }

        if (errors.Count > 0)
        {
            problem = Problems.Invalid(errors);
            return false;
        }

        query = new PageQuery<TState>(wanted, size, position);
        problem = null;
        return true;
    }

    /// <summary>The opaque <c>nextCursor</c> for a page whose listing returned <paramref name="position"/>; null on the last page.</summary>
    public static string? NextCursor(string scope, string? state, string? position) =>
        position is null ? null : Cursors.Seal(position, ScopeOf(scope, state));

    private static string ScopeOf(string scope, string? state) => $"{scope}|{state}";

    /// <summary>
    /// Cursors are base64url of a version, the position in the listing and a check over both and the listing's scope, so
    /// that a cursor edited by hand, made up (<c>99999</c>) or taken from another listing is refused instead of silently
    /// starting over.
    /// </summary>
    private static class Cursors
    {
        private const string Version = "c1";

        public static string Seal(string position, string scope) =>
            Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{Version}.{position}.{Check(position, scope)}"));

        public static bool TryOpen(string cursor, string scope, [NotNullWhen(true)] out string? position)
        {
            position = null;
            if (cursor.Length is 0 or > MaxCursorLength || !Base64Url.IsValid(cursor))
            {
                return false;
            }

            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor)).Split('.');
            if (parts is not [Version, var inner, var check]
                || !long.TryParse(inner, NumberStyles.None, CultureInfo.InvariantCulture, out var at) || at < 1
                || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(check), Encoding.ASCII.GetBytes(Check(inner, scope))))
            {
                return false;
            }

            position = inner;
            return true;
        }

        private static string Check(string position, string scope) =>
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"computegrid-cursor|{scope}|{position}")).AsSpan(0, 8));
    }
}
