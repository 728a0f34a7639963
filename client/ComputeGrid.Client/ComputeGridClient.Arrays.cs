using System.Runtime.CompilerServices;
using ComputeGrid.Client.Telemetry;
using ComputeGrid.Contracts.JobArrays;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Client;

/// <summary>Job arrays.</summary>
public sealed partial class ComputeGridClient
{
    /// <summary>How often a watch of an array reads its counts.</summary>
    public static readonly TimeSpan ArrayWatchInterval = TimeSpan.FromMilliseconds(250);

    /// <inheritdoc />
    public async Task<JobArraySnapshot> SubmitArrayAsync(JobArrayRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireSubmittable(request.Validate(), request.Template);

        // The id is fixed before the first attempt, so a retry submits the same array.
        var arrayId = request.ArrayId ?? Guid.NewGuid().ToString("n");
        using var activity = ClientTracing.Start("submit array", tenant: request.Template.Tenant, hub: request.Template.OriginHub);
        var (array, spec) = (cluster.GetGrain<IJobArrayGrain>(arrayId), request.Template.ToSpec());
        var result = await _policy.RunAsync("submit array", ct => array.SubmitAsync(spec, request.Count, ct), cancellationToken);
        return result.Refusal switch
        {
            SubmitRefusal.None => result.Array!,
            SubmitRefusal.NeverFits => throw new JobRejectedException(result.Errors),
            SubmitRefusal.Conflict => throw new JobConflictException(string.Join("; ", result.Errors)),
            _ => throw new ComputeGridValidationException(result.Errors),
        };
    }

    /// <inheritdoc />
    public async Task<JobArraySnapshot> GetArrayAsync(string arrayId, CancellationToken cancellationToken = default)
    {
        RequireArrayId(arrayId);
        var array = cluster.GetGrain<IJobArrayGrain>(arrayId);
        return await _policy.RunAsync("get array", array.GetAsync, cancellationToken) ?? throw NoArray(arrayId);
    }

    /// <inheritdoc />
    public async Task<JobArrayElementPage> ListArrayElementsAsync(string arrayId, JobState? state = null, int limit = 100, string? cursor = null, CancellationToken cancellationToken = default)
    {
        RequireArrayId(arrayId);
        var from = RequireListing(state, limit, cursor) is { } at ? (int)Math.Min(at - 1, int.MaxValue) : 0;
        var array = cluster.GetGrain<IJobArrayGrain>(arrayId);
        var page = await _policy.RunAsync("list array elements", ct => array.ListElementsAsync(state, limit, from, ct), cancellationToken) ?? throw NoArray(arrayId);
        return page;
    }

    /// <inheritdoc />
    public async Task<JobArraySnapshot> CancelArrayAsync(string arrayId, string reason = "cancelled by client", CancellationToken cancellationToken = default)
    {
        RequireArrayId(arrayId);
        var array = cluster.GetGrain<IJobArrayGrain>(arrayId);
        return await _policy.RunAsync("cancel array", ct => array.CancelAsync(reason ?? string.Empty, ct), cancellationToken) ?? throw NoArray(arrayId);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<JobArraySnapshot> WatchArrayAsync(string arrayId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        RequireArrayId(arrayId);
        var grain = cluster.GetGrain<IJobArrayGrain>(arrayId);
        JobArraySnapshot? last = null;
        while (true)
        {
            var now = await _policy.RunAsync("watch array", grain.GetAsync, cancellationToken) ?? throw NoArray(arrayId);
            if (last is null || now.Version != last.Version || !SameCounts(now, last))
            {
                last = now;
                yield return now;
                if (now.Ended)
                {
                    yield break;
                }
            }

            await Task.Delay(ArrayWatchInterval, cancellationToken);
        }
    }

    /// <summary>The cursor of the page after <paramref name="page"/>: the 1-based position of its first element, as <see cref="ListArrayElementsAsync"/> takes it.</summary>
    public static string? NextArrayCursor(JobArrayElementPage page) =>
        page.NextIndex is { } next ? (next + 1L).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;

    private static bool SameCounts(JobArraySnapshot a, JobArraySnapshot b) => a.Counts.All(c => b.Counts.TryGetValue(c.Key, out var n) && n == c.Value);

    private static void RequireArrayId(string arrayId)
    {
        if (!JobArrayRequest.IsValidArrayId(arrayId))
        {
            throw new ComputeGridValidationException([new ValidationError("arrayId", "must be 1-122 characters of letters, digits, '.', '_' and '-'")]);
        }
    }

    private static ComputeGridNotFoundException NoArray(string arrayId) => new($"no job array '{arrayId}'");

    /// <summary>
    /// Throws what a submission from a template may not pass: the request's validation errors, or a command this client
    /// may not send (<see cref="AllowCommands"/>).
    /// </summary>
    private void RequireSubmittable(IReadOnlyList<ValidationError> errors, JobRequest template)
    {
        if (errors.Count > 0)
        {
            throw new ComputeGridValidationException(errors);
        }

        if (template.Command is not null && !AllowCommands)
        {
            throw new ComputeGridForbiddenException("command", "this client may not submit jobs with a command; set ComputeGridClientOptions.AllowCommands");
        }
    }
}
