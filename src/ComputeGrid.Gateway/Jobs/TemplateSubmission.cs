using ComputeGrid.Client;
using ComputeGrid.Domain;
using ComputeGrid.Gateway.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ComputeGrid.Gateway.Jobs;

/// <summary>
/// The REST flow shared by the submissions that make many jobs from one template (a job array, a gang): the template's
/// run time and the request are validated together, then the SDK's answers become problem details naming the REST
/// body's fields (a rejection 422, invalid input 400, a forbidden command 403, a reused Idempotency-Key 422).
/// </summary>
internal static class TemplateSubmission
{
    /// <param name="template">The body's template (its run time is checked here, in the REST unit).</param>
    /// <param name="requestErrors">What the SDK request's own validation found.</param>
    /// <param name="rename">Maps the SDK's field names onto the REST body's.</param>
    /// <param name="submit">Submits and answers the created resource's location and view.</param>
    /// <param name="what">The resource, capitalised, in the rejection's title: "Gang", "Job array".</param>
    /// <param name="conflict">The end of the reused key's reason: "gang request; use a new key for a new gang".</param>
    public static async Task<Results<Created<TView>, ProblemHttpResult>> SubmitAsync<TView>(
        SubmitJobBody template,
        IEnumerable<ValidationError> requestErrors,
        Func<ValidationError, ValidationError> rename,
        Func<Task<(string Location, TView View)>> submit,
        string what,
        string conflict)
    {
        var errors = new List<ValidationError>();
        if (template.RunTimeSeconds is < 1 or > SubmitJobBody.MaxRunTimeSeconds)
        {
            errors.Add(new("template.runTimeSeconds", $"must be between 1 and {SubmitJobBody.MaxRunTimeSeconds} seconds (30 days)"));
        }

        errors.AddRange(requestErrors.Where(e => e.Field != "runTime").Select(rename));
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        try
        {
            var (location, view) = await submit();
            return TypedResults.Created(location, view);
        }
        catch (JobRejectedException e)
        {
            return Problems.Unprocessable($"{what} can never run", [.. e.Errors.Select(rename)]);
        }
        catch (ComputeGridValidationException e)
        {
            return Problems.Invalid([.. e.Errors.Select(rename)]);
        }
        catch (ComputeGridForbiddenException e)
        {
            return TypedResults.Problem(Problems.Create(StatusCodes.Status403Forbidden, "Forbidden", $"template.{e.Field}", e.Message));
        }
        catch (JobConflictException)
        {
            return Problems.Unprocessable("Idempotency-Key reused", [new ValidationError(JobsApi.IdempotencyKeyHeader, $"was already used for a different {conflict}")]);
        }
    }
}
