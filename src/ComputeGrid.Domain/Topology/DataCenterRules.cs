using System.Text.RegularExpressions;

namespace ComputeGrid.Domain.Topology;

/// <summary>The rules every data center must satisfy, at start-up and when registered at run time.</summary>
public static partial class DataCenterRules
{
    /// <summary>Longest id accepted for hubs and data centers.</summary>
    public const int MaxIdLength = 64;

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

        if (!hubs.ContainsKey(spec.HubId))
        {
            errors.Add(new("hub", $"unknown hub '{spec.HubId}'; known hubs: {string.Join(", ", hubs.Keys.Order())}"));
        }

        if (spec.Location.Lat is < -90 or > 90 || double.IsNaN(spec.Location.Lat))
        {
            errors.Add(new("lat", "must be between -90 and 90 degrees"));
        }

        if (spec.Location.Lon is < -180 or > 180 || double.IsNaN(spec.Location.Lon))
        {
            errors.Add(new("lon", "must be between -180 and 180 degrees"));
        }

        if (spec.Capacity.CpuMillicores < 0)
        {
            errors.Add(new("capacity.cpuMillicores", "must not be negative"));
        }

        if (spec.Capacity.MemoryMiB < 0)
        {
            errors.Add(new("capacity.memoryMiB", "must not be negative"));
        }

        foreach (var (model, count) in spec.Capacity.Gpus)
        {
            if (count < 0)
            {
                errors.Add(new($"capacity.gpus.{model}", "must not be negative"));
            }

            if (string.IsNullOrWhiteSpace(model))
            {
                errors.Add(new("capacity.gpus", "a GPU model name must not be empty"));
            }
        }

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

    /// <summary>True for ids of 1-64 characters of a-z, 0-9 and '-', not starting with '-'.</summary>
    public static bool IsValidId(string? id) => id is { Length: > 0 and <= MaxIdLength } && IdPattern().IsMatch(id);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$")]
    private static partial Regex IdPattern();
}
