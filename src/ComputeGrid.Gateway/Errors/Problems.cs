using ComputeGrid.Domain;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

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

    /// <summary>A short summary of the kind of problem.</summary>
    /// <example>Invalid request</example>
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

/// <summary>Builds and writes the gateway's problems.</summary>
internal static class Problems
{
    public const string ContentType = "application/problem+json";

    public static ProblemDetails Create(int status, string title, string field, string reason) =>
        Create(status, title, [new ValidationError(field, reason)]);

    public static ProblemDetails Create(int status, string title, IReadOnlyList<ValidationError> errors)
    {
        var first = errors.Count > 0 ? errors[0] : new ValidationError("body", "is invalid");
        return new ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = $"{first.Field}: {first.Reason}",
            Extensions =
            {
                ["field"] = first.Field,
                ["reason"] = first.Reason,
                ["errors"] = (errors.Count > 0 ? errors : [first]).Select(e => new ApiProblemField(e.Field, e.Reason)).ToList(),
            },
        };
    }

    public static ProblemHttpResult Invalid(IReadOnlyList<ValidationError> errors) =>
        TypedResults.Problem(Create(StatusCodes.Status400BadRequest, "Invalid request", errors));

    public static ProblemHttpResult Invalid(string field, string reason) => Invalid([new ValidationError(field, reason)]);

    public static ProblemHttpResult NotFound(string field, string reason) =>
        TypedResults.Problem(Create(StatusCodes.Status404NotFound, "Not found", field, reason));

    public static ProblemHttpResult Unprocessable(string title, IReadOnlyList<ValidationError> errors) =>
        TypedResults.Problem(Create(StatusCodes.Status422UnprocessableEntity, title, errors));

    public static Task Write(HttpContext context, ProblemDetails problem) => TypedResults.Problem(problem).ExecuteAsync(context);

    /// <summary>Gives the problems ASP.NET Core writes itself (no route, wrong method, wrong content type) a field and a reason too.</summary>
    public static void NameTheField(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Extensions.ContainsKey("field"))
        {
            return;
        }

        var (field, reason) = problem.Status switch
        {
            StatusCodes.Status404NotFound => ("path", "names no resource of this API"),
            StatusCodes.Status405MethodNotAllowed => ("method", $"{context.HttpContext.Request.Method} is not allowed on this path"),
            StatusCodes.Status415UnsupportedMediaType => ("Content-Type", "must be application/json"),
            StatusCodes.Status413PayloadTooLarge => ("body", "is larger than the gateway accepts"),
            _ => ("request", problem.Title ?? "failed"),
        };
        var named = Create(problem.Status ?? StatusCodes.Status500InternalServerError, problem.Title ?? "Error", field, reason);
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
