using System.Reflection;
using ComputeGrid.Domain;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ComputeGrid.Gateway.Errors;

/// <summary>
/// Refuses query parameters an endpoint does not take (<c>?limt=2</c>, <c>/v1/loans?hub=bth</c>): a misspelt filter
/// silently ignored returns the wrong data. The parameters an endpoint takes are its handler's <c>[FromQuery]</c>
/// parameters; every unknown one is named in one 400 problem. On a listing (a GET that takes <c>limit</c>), the handler
/// runs first, so that the problem also lists the bad <c>state</c>, <c>limit</c> and <c>cursor</c> it finds (only
/// <see cref="Paging"/> knows a listing's states and cursor scope); whatever else it answers is replaced by the problem.
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
        var listing = allowed.Contains("limit");
        return async invocation =>
        {
            var unknown = invocation.HttpContext.Request.Query.Keys.Where(k => !allowed.Contains(k)).Take(MaxNamed).ToList();
            if (unknown.Count == 0)
            {
                return await next(invocation);
            }

            var reason = allowed.Count == 0
                ? "is not a query parameter of this endpoint, which takes none"
                : $"is not a query parameter of this endpoint; it takes {string.Join(", ", allowed.Order(StringComparer.Ordinal))}";
            List<ValidationError> errors = [.. unknown.Select(k => new ValidationError(Name(k), reason))];
            if (listing && HttpMethods.IsGet(invocation.HttpContext.Request.Method))
            {
                errors.AddRange(PagingErrors(await next(invocation)));
            }

            return Problems.Invalid(errors);
        };
    }

    /// <summary>The fields a listing's 400 named (its paging problems); none for any other answer.</summary>
    private static IEnumerable<ValidationError> PagingErrors(object? answer) =>
        (answer is INestedHttpResult nested ? nested.Result : answer) is ProblemHttpResult { StatusCode: StatusCodes.Status400BadRequest } problem
        && problem.ProblemDetails.Extensions.TryGetValue("errors", out var listed) && listed is IEnumerable<ApiProblemField> fields
            ? fields.Select(f => new ValidationError(f.Field, f.Reason))
            : [];

    private static string Name(string key) => key.Length <= ValidationError.MaxEcho ? key : string.Concat(key.AsSpan(0, ValidationError.MaxEcho), "\u2026");
}
