using ComputeGrid.Domain;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;

namespace ComputeGrid.Gateway.Errors;

/// <summary>
/// Every error the gateway returns: an RFC 9457 problem whose <c>field</c> and <c>reason</c> name the first problem and
/// whose <c>errors</c> list all of them. Documents the shape in OpenAPI; the gateway writes it as ProblemDetails extensions.
/// </summary>
public sealed class ApiProblem
{
    /// <summary>A URI reference naming the kind of problem.</summary>
    /// <example>https://tools.ietf.org/html/rfc9110#section-15.5.1</example>
    public string? Type { get; init; }

    /// <summary>The status's reason phrase (RFC 9110), in Title Case.</summary>
    /// <example>Bad Request</example>
    public string? Title { get; init; }

    /// <summary>The HTTP status code.</summary>
    /// <example>400</example>
    public int Status { get; init; }

    /// <summary>The first problem in a sentence: the field, then the reason.</summary>
    /// <example>resources.cpuMillicores: must be at least 1 millicore</example>
    public string? Detail { get; init; }

    /// <summary>The first offending field: a JSON path into the body (<c>resources.gpus</c>), a query parameter, a route value or a header.</summary>
    /// <example>resources.cpuMillicores</example>
    public required string Field { get; init; }

    /// <summary>Why that field is wrong, in a sentence to act on.</summary>
    /// <example>must be at least 1 millicore</example>
    public required string Reason { get; init; }

    /// <summary>Every problem found, the first one included.</summary>
    public required IReadOnlyList<ApiProblemField> Errors { get; init; }

    /// <summary>The request's trace id, to quote when asking the operators.</summary>
    /// <example>00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00</example>
    public string? TraceId { get; init; }
}

/// <summary>One offending field and why.</summary>
/// <param name="Field">The field, as in <see cref="ApiProblem.Field"/>.</param>
/// <param name="Reason">Why it is wrong.</param>
public sealed record ApiProblemField(string Field, string Reason);

/// <summary>
/// Builds and writes the gateway's problems. One rule for titles: a problem's <c>title</c> is its status's reason phrase
/// from RFC 9110 in Title Case ("Bad Request", "Not Found", "Too Many Requests"), whoever wrote it; what went wrong is in
/// <c>field</c> and <c>reason</c>. Every problem has a <c>type</c> naming its status's section of the RFC.
/// </summary>
internal static class Problems
{
    public const string ContentType = "application/problem+json";

    /// <summary>The problem for one field. <paramref name="title"/> is not written: the title is always the status's reason phrase.</summary>
    public static ProblemDetails Create(int status, string title, string field, string reason) =>
        Create(status, [new ValidationError(field, reason)]);

    /// <summary>The problem for several fields. <paramref name="title"/> is not written: the title is always the status's reason phrase.</summary>
    public static ProblemDetails Create(int status, string title, IReadOnlyList<ValidationError> errors) => Create(status, errors);

    /// <summary>The problem for one field.</summary>
    public static ProblemDetails Create(int status, string field, string reason) => Create(status, [new ValidationError(field, reason)]);

    /// <summary>The problem for several fields, the first one named at the top.</summary>
    public static ProblemDetails Create(int status, IReadOnlyList<ValidationError> errors)
    {
        var first = errors.Count > 0 ? errors[0] : new ValidationError("body", "is invalid");
        return new ProblemDetails
        {
            Type = TypeOf(status),
            Status = status,
            Title = TitleOf(status),
            Detail = errors.Count > 1 ? $"{first.Field}: {first.Reason} (and {errors.Count - 1} more in errors)" : $"{first.Field}: {first.Reason}",
            Extensions =
            {
                ["field"] = first.Field,
                ["reason"] = first.Reason,
                ["errors"] = (errors.Count > 0 ? errors : [first]).Select(e => new ApiProblemField(e.Field, e.Reason)).ToList(),
            },
        };
    }

    /// <summary>The title of every problem with <paramref name="status"/>: its reason phrase (RFC 9110), in Title Case.</summary>
    public static string TitleOf(int status) => status switch
    {
        StatusCodes.Status413PayloadTooLarge => "Content Too Large",
        StatusCodes.Status414UriTooLong => "URI Too Long",
        StatusCodes.Status422UnprocessableEntity => "Unprocessable Content",
        _ => ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error",
    };

    /// <summary>The <c>type</c> of every problem with <paramref name="status"/>: its section of RFC 9110 (429: RFC 6585).</summary>
    public static string TypeOf(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        StatusCodes.Status401Unauthorized => "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        StatusCodes.Status403Forbidden => "https://tools.ietf.org/html/rfc9110#section-15.5.4",
        StatusCodes.Status404NotFound => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        StatusCodes.Status405MethodNotAllowed => "https://tools.ietf.org/html/rfc9110#section-15.5.6",
        StatusCodes.Status408RequestTimeout => "https://tools.ietf.org/html/rfc9110#section-15.5.9",
        StatusCodes.Status409Conflict => "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        StatusCodes.Status411LengthRequired => "https://tools.ietf.org/html/rfc9110#section-15.5.12",
        StatusCodes.Status413PayloadTooLarge => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        StatusCodes.Status414UriTooLong => "https://tools.ietf.org/html/rfc9110#section-15.5.15",
        StatusCodes.Status415UnsupportedMediaType => "https://tools.ietf.org/html/rfc9110#section-15.5.16",
        StatusCodes.Status422UnprocessableEntity => "https://tools.ietf.org/html/rfc9110#section-15.5.21",
        StatusCodes.Status429TooManyRequests => "https://tools.ietf.org/html/rfc6585#section-4",
        StatusCodes.Status431RequestHeaderFieldsTooLarge => "https://tools.ietf.org/html/rfc6585#section-5",
        StatusCodes.Status500InternalServerError => "https://tools.ietf.org/html/rfc9110#section-15.6.1",
        StatusCodes.Status501NotImplemented => "https://tools.ietf.org/html/rfc9110#section-15.6.2",
        StatusCodes.Status503ServiceUnavailable => "https://tools.ietf.org/html/rfc9110#section-15.6.4",
        StatusCodes.Status505HttpVersionNotsupported => "https://tools.ietf.org/html/rfc9110#section-15.6.6",
        _ => "about:blank",
    };

    public static ProblemHttpResult Invalid(IReadOnlyList<ValidationError> errors) =>
        TypedResults.Problem(Create(StatusCodes.Status400BadRequest, errors));

    public static ProblemHttpResult Invalid(string field, string reason) => Invalid([new ValidationError(field, reason)]);

    public static ProblemHttpResult NotFound(string field, string reason) =>
        TypedResults.Problem(Create(StatusCodes.Status404NotFound, field, reason));

    public static ProblemHttpResult Unprocessable(string title, IReadOnlyList<ValidationError> errors) =>
        TypedResults.Problem(Create(StatusCodes.Status422UnprocessableEntity, errors));

    /// <summary>The request's method for a reason: a method longer than any standard one is not echoed.</summary>
    private static string MethodOf(HttpRequest request) => request.Method.Length <= 16 ? request.Method : "this method";

    public static Task Write(HttpContext context, ProblemDetails problem) => TypedResults.Problem(problem).ExecuteAsync(context);

    /// <summary>
    /// Gives the problems ASP.NET Core writes itself (no route, wrong method, wrong content type) a field and a reason too,
    /// and every problem the one title rule and a type.
    /// </summary>
    public static void NameTheField(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? StatusCodes.Status500InternalServerError;
        problem.Title = TitleOf(status);
        problem.Type = TypeOf(status);
        if (problem.Extensions.ContainsKey("field"))
        {
            return;
        }

        var (field, reason) = status switch
        {
            StatusCodes.Status404NotFound => ("path", "names no resource of this API"),
            StatusCodes.Status405MethodNotAllowed => ("method", $"{MethodOf(context.HttpContext.Request)} is not allowed on this path"),
            StatusCodes.Status415UnsupportedMediaType => ("Content-Type", "must be application/json"),
            StatusCodes.Status413PayloadTooLarge => ("body", "is larger than the gateway accepts"),
            _ => ("request", "could not be handled"),
        };
        var named = Create(status, field, reason);
        problem.Detail = named.Detail;
        foreach (var (key, value) in named.Extensions)
        {
            problem.Extensions[key] = value;
        }
    }
}

/// <summary>Documents problem responses in OpenAPI.</summary>
public static class ApiProblemMetadata
{
    /// <summary>The catch-all media type <see cref="AcceptsJson{T}"/> adds for routing and the document leaves out.</summary>
    internal const string AnyMediaType = "*/*";

    /// <summary>
    /// Declares an <c>application/json</c> body of <typeparamref name="T"/> without letting routing answer 415 itself:
    /// routing's content-type check runs before authentication and authorization, and a wrong content type must not hide
    /// a 401 or a 403. The body reader answers 415 after them. The OpenAPI document lists only application/json.
    /// </summary>
    public static RouteHandlerBuilder AcceptsJson<T>(this RouteHandlerBuilder builder)
        where T : notnull =>
        builder.Accepts<T>("application/json", AnyMediaType);

    /// <summary>Declares that the endpoint answers these statuses with an <see cref="ApiProblem"/>.</summary>
    public static TBuilder ProducesApiProblem<TBuilder>(this TBuilder builder, params int[] statuses)
        where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in statuses)
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ApiProblem), [Problems.ContentType]));
        }

        return builder;
    }
}
