using System.Text.RegularExpressions;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Topology;

/// <summary>The rules every data center must satisfy, at start-up and when registered at run time.</summary>
public static partial class DataCenterRules
{
    /// <summary>Longest id accepted for hubs and data centers.</summary>
    public const int MaxIdLength = 64;

    /// <summary>Longest display name, characters.</summary>
    public const int MaxNameLength = 200;

    /// <summary>Largest CPU capacity of one data center: 100,000,000 cores (10^11 millicores).</summary>
    public const long MaxCpuMillicores = 100_000_000_000;

    /// <summary>Largest memory capacity of one data center: 1 EiB in MiB (2^40).</summary>
    public const long MaxMemoryMiB = 1L << 40;

    /// <summary>Most GPUs of one model in one data center.</summary>
    public const int MaxGpusPerModel = 1_000_000;

    /// <summary>Most GPU models in one data center.</summary>
    public const int MaxGpuModels = 64;

    /// <summary>Longest GPU model name, characters.</summary>
    public const int MaxGpuModelLength = 32;

    /// <summary>
    /// Largest total of the whole pool in each dimension (CPU millicores, memory MiB, GPUs of one model), so that every
    /// sum over the pool fits its type with room to spare: half of <see cref="long.MaxValue"/> for CPU and memory, half
    /// of <see cref="int.MaxValue"/> for GPUs.
    /// </summary>
    public static readonly ResourceVector MaxPoolTotal = ResourceVector.Of(long.MaxValue / 2, long.MaxValue / 2);

    /// <summary>Largest pool total of one GPU model.</summary>
    public const int MaxPoolGpusPerModel = int.MaxValue / 2;

    /// <summary>Checks one data center against the topology's hubs; an empty list means valid.</summary>
    public static IReadOnlyList<ValidationError> Validate(DataCenterSpec spec, IReadOnlyDictionary<string, Hub> hubs)
    {
        var errors = new List<ValidationError>();
        if (!IsValidId(spec.Id))
        {
            errors.Add(new("id", $"must be 1-{MaxIdLength} characters of a-z, 0-9 and '-', starting with a letter or digit"));
        }

        if (string.IsNullOrWhiteSpace(spec.Name))
        {
            errors.Add(new("name", "must not be empty"));
        }
        else if (spec.Name.Length > MaxNameLength || spec.Name.Any(char.IsControl))
        {
            errors.Add(new("name", $"must be at most {MaxNameLength} printable characters"));
        }

        if (!hubs.ContainsKey(spec.HubId))
        {
            errors.Add(new("hub", $"unknown hub {ValidationError.Quote(spec.HubId)}; known hubs: {string.Join(", ", hubs.Keys.Order())}"));
        }

        if (spec.Location.Lat is < -90 or > 90 || double.IsNaN(spec.Location.Lat))
        {
            errors.Add(new("lat", "must be between -90 and 90 degrees"));
        }

        if (spec.Location.Lon is < -180 or > 180 || double.IsNaN(spec.Location.Lon))
        {
            errors.Add(new("lon", "must be between -180 and 180 degrees"));
        }

        errors.AddRange(ValidateCapacity(spec.Capacity));
        if (spec.Energy.Pue is < 1 or > 3 || double.IsNaN(spec.Energy.Pue))
        {
            errors.Add(new("pue", "must be between 1.0 and 3.0"));
        }

        if (spec.Energy.GridKgCo2PerKwh is < 0 or > 2 || double.IsNaN(spec.Energy.GridKgCo2PerKwh))
        {
            errors.Add(new("gridKgCo2PerKwh", "must be between 0 and 2 kgCO2/kWh"));
        }

        if (spec.Energy.GreenShare is < 0 or > 1 || double.IsNaN(spec.Energy.GreenShare))
        {
            errors.Add(new("greenShare", "must be between 0 and 1"));
        }

        if (spec.Energy.PriceCnyPerKwh is < 0 or > 100 || double.IsNaN(spec.Energy.PriceCnyPerKwh))
        {
            errors.Add(new("priceCnyPerKwh", "must be between 0 and 100 CNY/kWh"));
        }

        return errors;
    }

    /// <summary>
    /// Checks a data center's capacity: CPU 0..<see cref="MaxCpuMillicores"/>, memory 0..<see cref="MaxMemoryMiB"/>, at
    /// most <see cref="MaxGpuModels"/> GPU models, each a valid model name with 0..<see cref="MaxGpusPerModel"/> GPUs.
    /// </summary>
    public static IReadOnlyList<ValidationError> ValidateCapacity(ResourceVector capacity)
    {
        var errors = new List<ValidationError>();
        if (capacity.CpuMillicores is < 0 or > MaxCpuMillicores)
        {
            errors.Add(new("capacity.cpuMillicores", $"must be between 0 and {MaxCpuMillicores} millicores"));
        }

        if (capacity.MemoryMiB is < 0 or > MaxMemoryMiB)
        {
            errors.Add(new("capacity.memoryMiB", $"must be between 0 and {MaxMemoryMiB} MiB"));
        }

        if (capacity.Gpus.Count > MaxGpuModels)
        {
            errors.Add(new("capacity.gpus", $"must list at most {MaxGpuModels} GPU models"));
        }

        foreach (var (model, count) in capacity.Gpus)
        {
            if (!IsValidGpuModel(model))
            {
                errors.Add(new("capacity.gpus", $"a GPU model name must be 1-{MaxGpuModelLength} letters, digits, '.', '_' or '-', starting with a letter or digit"));
            }
            else if (count is < 0 or > MaxGpusPerModel)
            {
                errors.Add(new($"capacity.gpus.{model}", $"must be between 0 and {MaxGpusPerModel}"));
            }
        }

        return errors;
    }

    /// <summary>
    /// Checks that adding <paramref name="added"/> to a pool whose total is <paramref name="poolTotal"/> keeps every
    /// dimension within <see cref="MaxPoolTotal"/> and <see cref="MaxPoolGpusPerModel"/>; an empty list means it fits.
    /// </summary>
    public static IReadOnlyList<ValidationError> ValidatePoolTotal(ResourceVector poolTotal, ResourceVector added)
    {
        var errors = new List<ValidationError>();
        if (added.CpuMillicores > MaxPoolTotal.CpuMillicores - poolTotal.CpuMillicores)
        {
            errors.Add(new("capacity.cpuMillicores", "would take the pool's CPU total beyond what it can count"));
        }

        if (added.MemoryMiB > MaxPoolTotal.MemoryMiB - poolTotal.MemoryMiB)
        {
            errors.Add(new("capacity.memoryMiB", "would take the pool's memory total beyond what it can count"));
        }

        foreach (var (model, count) in added.Gpus.Where(g => g.Value > MaxPoolGpusPerModel - poolTotal.GpusOf(g.Key)))
        {
            errors.Add(new($"capacity.gpus.{model}", "would take the pool's GPU total beyond what it can count"));
        }

        return errors;
    }

    /// <summary>True for GPU model names of 1-32 letters, digits, '.', '_' and '-', starting with a letter or digit.</summary>
    public static bool IsValidGpuModel(string? model) => model is { Length: > 0 and <= MaxGpuModelLength } && GpuModelPattern().IsMatch(model);

    /// <summary>True for ids of 1-64 characters of a-z, 0-9 and '-', not starting with '-'.</summary>
    public static bool IsValidId(string? id) => id is { Length: > 0 and <= MaxIdLength } && IdPattern().IsMatch(id);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex GpuModelPattern();
}
