using System.Globalization;

namespace ComputeGrid.Replay.Mapping;

/// <summary>
/// Maps a trace's user to an origin hub: users are spread over hubs in proportion to each hub's weight, by a stable hash
/// of the user name, so the same user always comes from the same hub. A GPU job's user is spread only over hubs whose
/// data centers have the GPU model, so origin-only can run it.
/// </summary>
public sealed class OriginRule
{
    /// <summary>
    /// ASSUMPTION: the eastern hubs weighted by the population of their regions, in millions (approximate 2020 census
    /// figures: Beijing-Tianjin-Hebei 110, Yangtze River Delta 235, Greater Bay Area 86, Chengdu-Chongqing 98).
    /// </summary>
    public static IReadOnlyDictionary<string, double> EasternPopulation { get; } = new Dictionary<string, double>(StringComparer.Ordinal)
    {
        ["bth"] = 110,
        ["yangtze"] = 235,
        ["gba"] = 86,
        ["chengyu"] = 98,
    };

    private readonly IReadOnlyList<KeyValuePair<string, double>> _weights;

    /// <summary>A rule over these hub weights (positive; relative, need not sum to 1).</summary>
    public OriginRule(IReadOnlyDictionary<string, double> weights)
    {
        _weights = [.. weights.Where(w => w.Value > 0).OrderBy(w => w.Key, StringComparer.Ordinal)];
        if (_weights.Count == 0)
        {
            throw new ArgumentException("at least one hub needs a positive weight", nameof(weights));
        }
    }

    /// <summary>The hubs and their weights, by hub id.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Weights => _weights;

    /// <summary>Parses <c>hub=weight,hub=weight</c>.</summary>
    /// <exception cref="FormatException">A pair is not <c>hub=number</c>.</exception>
    public static OriginRule Parse(string text)
    {
        var weights = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = pair.Split('=', StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var w) || w < 0)
            {
                throw new FormatException($"origin weight '{pair}' is not hub=number");
            }

            weights[parts[0]] = w;
        }

        return new OriginRule(weights);
    }

    /// <summary>The origin hub of <paramref name="user"/>, among the hubs <paramref name="eligible"/> accepts (all when none does).</summary>
    public string OriginOf(string user, Func<string, bool>? eligible = null)
    {
        var candidates = eligible is null ? _weights : [.. _weights.Where(w => eligible(w.Key))];
        if (candidates.Count == 0)
        {
            candidates = _weights;
        }

        return StableHash.Pick(user, candidates);
    }
}
