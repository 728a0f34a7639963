using System.Collections.Immutable;
using System.Text.Json;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Topology;

/// <summary>
/// Reads and validates a topology file (JSON, comments allowed). Any problem throws a <see cref="TopologyException"/>
/// naming the entry and the field, so a silo refuses to start on a bad file instead of running with a wrong pool.
/// </summary>
public static class TopologyLoader
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Reads a topology file from disk.</summary>
    public static NationalTopology Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new TopologyException(path, "path", "the topology file does not exist");
        }

        return Parse(File.ReadAllText(path));
    }

    /// <summary>Parses and validates topology JSON.</summary>
    public static NationalTopology Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new TopologyException("file", $"line {e.LineNumber + 1}", $"malformed JSON: {e.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new TopologyException("file", "(root)", "must be a JSON object");
            }

            var gpuWatts = ReadGpuModels(root);
            var power = ReadPower(root, gpuWatts);
            var hubs = ReadHubs(root);
            var latency = ReadLatency(root, hubs);
            var dataCenters = ReadDataCenters(root, hubs);
            var transfer = OptionalNumber(root, "transferCnyPerGiB", "(root)", 0.03, min: 0);
            var assumptions = root.TryGetProperty("assumptions", out var a) && a.ValueKind == JsonValueKind.Array
                ? a.EnumerateArray().Select(x => x.GetString() ?? string.Empty).ToList()
                : [];
            return new NationalTopology(hubs.Values, dataCenters, power, latency, transfer, assumptions);
        }
    }

    private static Dictionary<string, double> ReadGpuModels(JsonElement root)
    {
        var models = new Dictionary<string, double>(StringComparer.Ordinal);
        if (!root.TryGetProperty("gpuModels", out var element))
        {
            return models;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new TopologyException("gpuModels", "gpuModels", "must be an object of model name to { \"watts\": n }");
        }

        foreach (var model in element.EnumerateObject())
        {
            var entry = $"gpuModels.{model.Name}";
            models[model.Name] = RequiredNumber(model.Value, "watts", entry, min: 0);
        }

        return models;
    }

    private static PowerModel ReadPower(JsonElement root, Dictionary<string, double> gpuWatts)
    {
        if (!root.TryGetProperty("power", out var p))
        {
            return new PowerModel(12, 0.375, gpuWatts, 400);
        }

        return new PowerModel(
            OptionalNumber(p, "wattsPerCore", "power", 12, min: 0),
            OptionalNumber(p, "wattsPerGiB", "power", 0.375, min: 0),
            gpuWatts,
            OptionalNumber(p, "defaultGpuWatts", "power", 400, min: 0));
    }

    private static Dictionary<string, Hub> ReadHubs(JsonElement root)
    {
        var hubs = new Dictionary<string, Hub>(StringComparer.Ordinal);
        var index = 0;
        foreach (var h in RequiredArray(root, "hubs"))
        {
            var entry = $"hubs[{index++}]";
            var id = RequiredString(h, "id", entry);
            entry = $"{entry} ({id})";
            if (!DataCenterRules.IsValidId(id))
            {
                throw new TopologyException(entry, "id", "must be 1-64 characters of a-z, 0-9 and '-'");
            }

            if (hubs.ContainsKey(id))
            {
                throw new TopologyException(entry, "id", $"duplicate hub id '{id}'");
            }

            var zoneText = RequiredString(h, "zone", entry);
            Zone zone = zoneText.ToLowerInvariant() switch
            {
                "east" => Zone.East,
                "west" => Zone.West,
                _ => throw new TopologyException(entry, "zone", $"'{zoneText}' is not a zone; use east or west"),
            };

            hubs[id] = new Hub(
                id,
                RequiredString(h, "name", entry),
                OptionalString(h, "nameZh") ?? string.Empty,
                zone,
                new GeoPoint(RequiredNumber(h, "lat", entry, -90, 90), RequiredNumber(h, "lon", entry, -180, 180)),
                ReadQuota(h, entry));
        }

        if (hubs.Count == 0)
        {
            throw new TopologyException("hubs", "hubs", "at least one hub is required");
        }

        return hubs;
    }

    private static HubQuota? ReadQuota(JsonElement hub, string entry)
    {
        if (!hub.TryGetProperty("quota", out var q))
        {
            return null;
        }

        if (q.ValueKind != JsonValueKind.Object)
        {
            throw new TopologyException(entry, "quota", "must be an object { lendingLimit, borrowingLimit, reclaimPolicy }");
        }

        var reclaim = HubQuota.Default.Reclaim;
        if (q.TryGetProperty("reclaimPolicy", out var r))
        {
            // Names only: Enum.TryParse would also take numbers and comma lists.
            var text = r.ValueKind == JsonValueKind.String ? r.GetString() ?? string.Empty : r.GetRawText();
            var named = Enum.GetNames<ReclaimPolicy>().FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
            if (r.ValueKind != JsonValueKind.String || named is null)
            {
                throw new TopologyException(entry, "quota.reclaimPolicy", $"'{text}' is not a reclaim policy; use Never, LowerPriority or Any");
            }

            reclaim = Enum.Parse<ReclaimPolicy>(named);
        }

        return new HubQuota(ReadLimit(q, "lendingLimit", entry), ReadLimit(q, "borrowingLimit", entry), reclaim);
    }

    private static ResourceVector? ReadLimit(JsonElement quota, string name, string entry)
    {
        if (!quota.TryGetProperty(name, out var l) || l.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (l.ValueKind != JsonValueKind.Object)
        {
            throw new TopologyException(entry, $"quota.{name}", "must be an object { cpuMillicores, memoryMiB, gpus }");
        }

        var gpus = ReadGpuCounts(l, entry, $"quota.{name}.gpus");
        // Built directly so that a GPU model named with 0 stays named: it limits that model to none.
        var limit = new ResourceVector(
            RequiredWhole(l, "cpuMillicores", entry, $"quota.{name}."),
            RequiredWhole(l, "memoryMiB", entry, $"quota.{name}."),
            gpus.ToImmutableSortedDictionary(StringComparer.Ordinal));
        if (!limit.IsNonNegative)
        {
            throw new TopologyException(entry, $"quota.{name}", "must not be negative");
        }

        return limit;
    }

    private static Dictionary<string, int> ReadGpuCounts(JsonElement parent, string entry, string field)
    {
        var gpus = new Dictionary<string, int>(StringComparer.Ordinal);
        if (parent.TryGetProperty("gpus", out var g))
        {
            if (g.ValueKind != JsonValueKind.Object)
            {
                throw new TopologyException(entry, field, "must be an object of model name to count");
            }

            foreach (var model in g.EnumerateObject())
            {
                if (model.Value.ValueKind != JsonValueKind.Number || !model.Value.TryGetInt32(out var n))
                {
                    throw new TopologyException(entry, $"{field}.{model.Name}", "must be a whole number");
                }

                gpus[model.Name] = n;
            }
        }

        return gpus;
    }

    private static LatencyModel ReadLatency(JsonElement root, Dictionary<string, Hub> hubs)
    {
        if (!root.TryGetProperty("latency", out var l))
        {
            return LatencyModel.Default;
        }

        var overrides = new Dictionary<(string, string), double>();
        if (l.TryGetProperty("overrides", out var o))
        {
            if (o.ValueKind != JsonValueKind.Array)
            {
                throw new TopologyException("latency", "overrides", "must be an array of { from, to, ms }");
            }

            var index = 0;
            foreach (var entryElement in o.EnumerateArray())
            {
                var entry = $"latency.overrides[{index++}]";
                var from = RequiredString(entryElement, "from", entry);
                var to = RequiredString(entryElement, "to", entry);
                if (!hubs.ContainsKey(from))
                {
                    throw new TopologyException(entry, "from", $"unknown hub '{from}'");
                }

                if (!hubs.ContainsKey(to))
                {
                    throw new TopologyException(entry, "to", $"unknown hub '{to}'");
                }

                overrides[(from, to)] = RequiredNumber(entryElement, "ms", entry, min: 0);
            }
        }

        return new LatencyModel(
            OptionalNumber(l, "fibreKmPerMs", "latency", 200, min: 1),
            OptionalNumber(l, "routeFactor", "latency", 1.5, min: 1),
            OptionalNumber(l, "switchingMs", "latency", 0.5, min: 0),
            overrides);
    }

    private static List<DataCenterSpec> ReadDataCenters(JsonElement root, Dictionary<string, Hub> hubs)
    {
        var result = new List<DataCenterSpec>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var d in RequiredArray(root, "dataCenters"))
        {
            var entry = $"dataCenters[{index++}]";
            var id = RequiredString(d, "id", entry);
            entry = $"{entry} ({id})";
            if (!seen.Add(id))
            {
                throw new TopologyException(entry, "id", $"duplicate data center id '{id}'");
            }

            if (hubs.ContainsKey(id))
            {
                throw new TopologyException(entry, "id", $"'{id}' is already a hub id; one name, one thing");
            }

            if (!d.TryGetProperty("capacity", out var c) || c.ValueKind != JsonValueKind.Object)
            {
                throw new TopologyException(entry, "capacity", "required object { cpuMillicores, memoryMiB, gpus }");
            }

            var gpus = ReadGpuCounts(c, entry, "capacity.gpus");

            var spec = new DataCenterSpec(
                id,
                RequiredString(d, "name", entry),
                RequiredString(d, "hub", entry),
                new GeoPoint(RequiredNumber(d, "lat", entry), RequiredNumber(d, "lon", entry)),
                ResourceVector.Of(RequiredWhole(c, "cpuMillicores", entry, "capacity."), RequiredWhole(c, "memoryMiB", entry, "capacity."), gpus),
                new EnergyProfile(
                    RequiredNumber(d, "pue", entry),
                    RequiredNumber(d, "gridKgCo2PerKwh", entry),
                    RequiredNumber(d, "greenShare", entry),
                    RequiredNumber(d, "priceCnyPerKwh", entry)));

            var negativeGpu = gpus.FirstOrDefault(x => x.Value < 0);
            if (negativeGpu.Key is not null)
            {
                throw new TopologyException(entry, $"capacity.gpus.{negativeGpu.Key}", "must not be negative");
            }

            var errors = DataCenterRules.Validate(spec, hubs);
            if (errors.Count > 0)
            {
                throw new TopologyException(entry, errors[0].Field, errors[0].Reason);
            }

            result.Add(spec);
        }

        return result;
    }

    private static JsonElement.ArrayEnumerator RequiredArray(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array)
        {
            throw new TopologyException(name, name, "required array is missing");
        }

        return array.EnumerateArray();
    }

    private static string RequiredString(JsonElement element, string name, string entry)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new TopologyException(entry, "(entry)", "must be an object");
        }

        if (!element.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
        {
            throw new TopologyException(entry, name, "required non-empty string is missing");
        }

        return value.GetString()!;
    }

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static double RequiredNumber(JsonElement element, string name, string entry, double min = double.MinValue, double max = double.MaxValue)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number)
        {
            throw new TopologyException(entry, name, "required number is missing");
        }

        var number = value.GetDouble();
        if (number < min || number > max)
        {
            throw new TopologyException(entry, name, $"{number} is out of range [{min}, {max}]");
        }

        return number;
    }

    private static double OptionalNumber(JsonElement element, string name, string entry, double fallback, double min) =>
        element.TryGetProperty(name, out _) ? RequiredNumber(element, name, entry, min) : fallback;

    private static long RequiredWhole(JsonElement element, string name, string entry, string prefix)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var n))
        {
            throw new TopologyException(entry, prefix + name, "required whole number is missing");
        }

        if (n < 0)
        {
            throw new TopologyException(entry, prefix + name, "must not be negative");
        }

        return n;
    }
}
