using ComputeGrid.Contracts.Agents;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Agents;

namespace ComputeGrid.Grains.Agents;

/// <summary>The wire side of a sync: what a request must hold, and how its reports read for the reconcile and for the job.</summary>
internal static class SyncRequests
{
    private const int MaxSyncItems = 10_000;
    private const int MaxOutputTail = 4096;

    /// <summary>Every field of the request that is out of range, with the reason; empty when it is valid.</summary>
    public static List<ValidationError> Validate(AgentSyncRequest? request)
    {
        var errors = new List<ValidationError>();
        if (request is null)
        {
            errors.Add(new("body", "is required"));
            return errors;
        }

        if (string.IsNullOrWhiteSpace(request.InstanceId) || request.InstanceId.Length > 128)
        {
            errors.Add(new("instanceId", "must be 1..128 characters"));
        }

        if (request.Running is null || request.Running.Count > MaxSyncItems || request.Running.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add(new("running", $"must list at most {MaxSyncItems} job ids, none empty"));
        }

        if (request.Reports is null || request.Reports.Count > MaxSyncItems || request.Reports.Any(r => r is null || string.IsNullOrWhiteSpace(r.JobId)))
        {
            errors.Add(new("reports", $"must list at most {MaxSyncItems} reports, each with a jobId"));
        }
        else if (request.Reports.Any(r => !Enum.IsDefined(r.Phase)))
        {
            errors.Add(new("reports.phase", "must be Started, Exited, Lost or Rejected"));
        }

        if (request.Capacity is { } c && (c.CpuMillicores < 0 || c.MemoryMiB < 0 || c.Gpus < 0))
        {
            errors.Add(new("capacity", "must not be negative"));
        }

        return errors;
    }

    /// <summary>The reports as the reconcile reads them.</summary>
    public static List<ReportView> Views(IReadOnlyList<AgentJobReport> reports) => [.. reports.Select(r => new ReportView(r.JobId, r.Phase == AgentJobPhase.Started))];

    /// <summary>An end report as it is recorded and forwarded to its job (the output's last 4 KiB at most).</summary>
    public static EndedReport Ended(AgentJobReport report) =>
        new(report.Phase, new JobOutcome(report.ExitCode, Tail(report.OutputTail), report.TimedOut), Describe(report));

    private static string Describe(AgentJobReport report) => report.Phase switch
    {
        AgentJobPhase.Exited when report.TimedOut => $"killed at its wall-time limit (exit code {report.ExitCode})" + (report.Detail is { } d ? $": {d}" : string.Empty),
        AgentJobPhase.Exited => $"exited with code {report.ExitCode}" + (report.Detail is { } d ? $": {d}" : string.Empty),
        AgentJobPhase.Rejected => $"the agent refused to start it: {report.Detail ?? "no reason given"}",
        _ => report.Detail ?? "the agent lost the process",
    };

    private static string? Tail(string? output) => output is null || output.Length <= MaxOutputTail ? output : output[^MaxOutputTail..];
}
