using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Jobs;

/// <summary>
/// The rules a job must satisfy to be accepted. Shape rules need nothing else; topology rules need the pool's hubs and
/// GPU models. Field names are the camelCase names of the SDK and the REST API.
/// </summary>
public static class JobSpecRules
{
    /// <summary>Longest declared run time accepted: 30 days.</summary>
    public static readonly TimeSpan MaxRunTime = TimeSpan.FromDays(30);

    /// <summary>Largest CPU request: 1,024 cores (1,024,000 millicores).</summary>
    public const long MaxCpuMillicores = 1_024_000;

    /// <summary>Largest memory request: 16 TiB in MiB.</summary>
    public const long MaxMemoryMiB = 16L * 1024 * 1024;

    /// <summary>Most GPUs in one job.</summary>
    public const int MaxGpus = 1024;

    /// <summary>Highest priority.</summary>
    public const int MaxPriority = 1000;

    /// <summary>Longest tenant name.</summary>
    public const int MaxTenantLength = 64;

    /// <summary>Most hubs in <c>allowedHubs</c>.</summary>
    public const int MaxAllowedHubs = 64;

    /// <summary>Most input data: 1 PiB in GiB.</summary>
    public const double MaxInputDataGiB = 1024 * 1024;

    /// <summary>Checks what can be checked without the topology.</summary>
    public static List<ValidationError> ValidateShape(JobSpec spec)
    {
        var errors = new List<ValidationError>();
        if (string.IsNullOrWhiteSpace(spec.Tenant))
        {
            errors.Add(new("tenant", "must not be empty"));
        }
        else if (spec.Tenant.Length > MaxTenantLength || spec.Tenant.Any(char.IsControl))
        {
            errors.Add(new("tenant", $"must be at most {MaxTenantLength} printable characters"));
        }

        if (string.IsNullOrWhiteSpace(spec.OriginHub))
        {
            errors.Add(new("originHub", "must not be empty"));
        }
        else if (spec.OriginHub.Length > DataCenterRules.MaxIdLength)
        {
            errors.Add(new("originHub", $"must be at most {DataCenterRules.MaxIdLength} characters"));
        }

        var r = spec.Resources;
        if (r is null)
        {
            errors.Add(new("resources", "is required"));
        }
        else
        {
            if (r.CpuMillicores <= 0)
            {
                errors.Add(new("resources.cpuMillicores", "must be at least 1 millicore"));
            }
            else if (r.CpuMillicores > MaxCpuMillicores)
            {
                errors.Add(new("resources.cpuMillicores", $"must be at most {MaxCpuMillicores} millicores"));
            }

            if (r.MemoryMiB <= 0)
            {
                errors.Add(new("resources.memoryMiB", "must be at least 1 MiB"));
            }
            else if (r.MemoryMiB > MaxMemoryMiB)
            {
                errors.Add(new("resources.memoryMiB", $"must be at most {MaxMemoryMiB} MiB"));
            }

            if (r.Gpus < 0)
            {
                errors.Add(new("resources.gpus", "must not be negative"));
            }
            else if (r.Gpus > MaxGpus)
            {
                errors.Add(new("resources.gpus", $"must be at most {MaxGpus}"));
            }
            else if (r.Gpus > 0 && string.IsNullOrWhiteSpace(r.GpuModel))
            {
                errors.Add(new("resources.gpuModel", "is required when resources.gpus is above 0"));
            }

            if (!string.IsNullOrWhiteSpace(r.GpuModel) && !DataCenterRules.IsValidGpuModel(r.GpuModel))
            {
                errors.Add(new("resources.gpuModel", $"must be 1-{DataCenterRules.MaxGpuModelLength} letters, digits, '.', '_' or '-', starting with a letter or digit"));
            }
        }

        if (spec.RunTime <= TimeSpan.Zero)
        {
            errors.Add(new("runTime", "must be positive"));
        }
        else if (spec.RunTime > MaxRunTime)
        {
            errors.Add(new("runTime", $"must be at most {MaxRunTime.TotalDays} days"));
        }

        if (!Enum.IsDefined(spec.LatencyClass))
        {
            errors.Add(new("latencyClass", "must be Interactive, Regional or Batch"));
        }

        if (!Enum.IsDefined(spec.Policy))
        {
            errors.Add(new("policy", "must be Greenest, GreenestPredictive, Cheapest, Fastest or Balanced"));
        }

        if (spec.Priority is < 0 or > MaxPriority)
        {
            errors.Add(new("priority", $"must be between 0 and {MaxPriority}"));
        }

        if (spec.InputDataGiB < 0 || spec.InputDataGiB > MaxInputDataGiB || double.IsNaN(spec.InputDataGiB))
        {
            errors.Add(new("inputDataGiB", $"must be between 0 and {MaxInputDataGiB} GiB"));
        }

        if (spec.AllowedHubs is null)
        {
            errors.Add(new("allowedHubs", "must be a list (empty for every hub)"));
        }
        else if (spec.AllowedHubs.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add(new("allowedHubs", "must not contain empty hub ids"));
        }
        else if (spec.AllowedHubs.Count > MaxAllowedHubs)
        {
            errors.Add(new("allowedHubs", $"must list at most {MaxAllowedHubs} hubs"));
        }
        else if (spec.AllowedHubs.Any(h => h.Length > DataCenterRules.MaxIdLength))
        {
            errors.Add(new("allowedHubs", $"must hold hub ids of at most {DataCenterRules.MaxIdLength} characters"));
        }

        if (spec.Command is { } command)
        {
            errors.AddRange(JobCommand.Validate(command));
        }

        if (spec.MaxPriceCny is { } cap && (cap <= 0 || cap > MaxPriceCny || decimal.Round(cap, 2) != cap))
        {
            errors.Add(new("maxPriceCny", $"must be above 0 and at most {MaxPriceCny} CNY, in fen (at most 2 decimals)"));
        }

        errors.AddRange(JobDependencies.Validate(spec.DependsOn, jobId: null));
        if (spec.Reservation is { } reservation && !Reservations.AdvanceReservationRules.IsValidId(reservation))
        {
            errors.Add(new("reservation", $"must be 1-{Reservations.AdvanceReservationRules.MaxIdLength} characters of letters, digits, '.', '_' and '-'"));
        }

        if (!Enum.IsDefined(spec.Preemption))
        {
            errors.Add(new("preemption", "must be Never or LowerPriority"));
        }

        return errors;
    }

    /// <summary>Highest price cap a job may carry, CNY (a trillion: beyond any job's price, within decimal's exact range).</summary>
    public const decimal MaxPriceCny = 1_000_000_000_000m;

    /// <summary>Checks the shape and then the hubs and GPU model against the topology.</summary>
    public static List<ValidationError> Validate(JobSpec spec, NationalTopology topology)
    {
        var errors = ValidateShape(spec);
        if (!string.IsNullOrWhiteSpace(spec.OriginHub) && spec.OriginHub.Length <= DataCenterRules.MaxIdLength && !topology.Hubs.ContainsKey(spec.OriginHub))
        {
            errors.Add(new("originHub", $"unknown hub {ValidationError.Quote(spec.OriginHub)}; known hubs: {string.Join(", ", topology.Hubs.Keys.Order())}"));
        }

        foreach (var hub in spec.AllowedHubs?.Where(h => !string.IsNullOrWhiteSpace(h) && h.Length <= DataCenterRules.MaxIdLength && !topology.Hubs.ContainsKey(h)).Distinct().Take(MaxAllowedHubs) ?? [])
        {
            errors.Add(new("allowedHubs", $"unknown hub {ValidationError.Quote(hub)}"));
        }

        // A model is checked even with zero GPUs: a value the pool does not know is a mistake, never silently stored.
        if (spec.Resources is { GpuModel: { } model } && DataCenterRules.IsValidGpuModel(model) && !topology.GpuModels.Contains(model))
        {
            errors.Add(new("resources.gpuModel", $"unknown GPU model {ValidationError.Quote(model)}; known models: {string.Join(", ", topology.GpuModels.Order())}"));
        }

        return errors;
    }
}
