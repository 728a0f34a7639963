using System.Reflection;
using ComputeGrid.Domain;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace ComputeGrid.Gateway.Errors;

/// <summary>
/// Refuses query parameters an endpoint does not take (<c>?limt=2</c>, <c>/v1/loans?hub=bth</c>): a misspelt filter
/// silently ignored returns the wrong data. The parameters an endpoint takes are its handler's <c>[FromQuery]</c>
/// parameters; every unknown one is named in one 400 problem.
/// </summary>
internal static class QueryParameters
{
    /// <summary>Most unknown parameters named in one problem.</summary>
    private const int MaxNamed = 20;

    /// <summary>An endpoint filter factory for a route group: each endpoint gets a filter that knows its own query parameters.</summary>
    public static EndpointFilterDelegate Only(EndpointFilterFactoryContext context, EndpointFilterDelegate next)
    {
        var allowed = context.MethodInfo.GetParameters()
            .Select(p => p.GetCustomAttribute<FromQueryAttribute>() is { } q ? q.Name ?? p.Name : null)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        return invocation =>
        {
            var unknown = invocation.HttpContext.Request.Query.Keys.Where(k => !allowed.Contains(k)).Take(MaxNamed).ToList();
            if (unknown.Count == 0)
            {
                return next(invocation);
            }

            var reason = allowed.Count == 0
                ? "is not a query parameter of this endpoint, which takes none"
                : $"is not a query parameter of this endpoint; it takes {string.Join(", ", allowed.Order(StringComparer.Ordinal))}";
            return ValueTask.FromResult<object?>(Problems.Invalid([.. unknown.Select(k => new ValidationError(Name(k), reason))]));
        };
    }

    private static string Name(string key) => key.Length <= ValidationError.MaxEcho ? key : string.Concat(key.AsSpan(0, ValidationError.MaxEcho), "\u2026");
}
