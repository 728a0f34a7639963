using System.Text.Json;
using System.Text.Json.Nodes;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

public class TopologyLoaderTests
{
    /// <summary>A small valid topology the error cases vary one field at a time. Comments and trailing commas are allowed.</summary>
    private const string ValidJson = """
        // two hubs, two data centers
        {
          "hubs": [
            { "id": "east-hub", "name": "East Hub", "zone": "east", "lat": 31.2, "lon": 121.5 },
            { "id": "west-hub", "name": "West Hub", "zone": "west", "lat": 26.4, "lon": 106.6 },
          ],
          "dataCenters": [
            {
              "id": "dc-east", "name": "DC East", "hub": "east-hub", "lat": 31.1, "lon": 121.1,
              "pue": 1.25, "gridKgCo2PerKwh": 0.58, "greenShare": 0.2, "priceCnyPerKwh": 0.78,
              "capacity": { "cpuMillicores": 1000000, "memoryMiB": 4096000, "gpus": { "A800": 16 } }
            },
            {
              "id": "dc-west", "name": "DC West", "hub": "west-hub", "lat": 26.4, "lon": 106.6,
              "pue": 1.2, "gridKgCo2PerKwh": 0.5, "greenShare": 0.85, "priceCnyPerKwh": 0.45,
              "capacity": { "cpuMillicores": 2000000, "memoryMiB": 8192000, "gpus": { "910B": 64 } }
            }
          ]
        }
        """;

    private static readonly JsonDocumentOptions ReadOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    [Fact]
    public void The_shipped_national_json_loads_with_8_hubs_4_east_and_4_west()
    {
        var topology = Shipped.Topology;

        Assert.Equal(8, topology.Hubs.Count);
        Assert.Equal(4, topology.Hubs.Values.Count(h => h.Zone == Zone.East));
        Assert.Equal(4, topology.Hubs.Values.Count(h => h.Zone == Zone.West));
        Assert.Equal(
            ["bth", "chengyu", "gansu", "gba", "guizhou", "inner-mongolia", "ningxia", "yangtze"],
            topology.Hubs.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_shipped_national_json_loads_with_10_data_centers_each_in_a_known_hub()
    {
        var topology = Shipped.Topology;

        Assert.Equal(10, topology.DataCenters.Count);
        Assert.All(topology.DataCenters.Values, d => Assert.Contains(d.HubId, topology.Hubs.Keys));
        Assert.Equal(["910B", "A800", "H800"], topology.GpuModels.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_shipped_national_json_reads_the_power_model_and_transfer_price()
    {
        var topology = Shipped.Topology;

        Assert.Equal(12, topology.Power.WattsPerCore);
        Assert.Equal(0.375, topology.Power.WattsPerGiB);
        Assert.Equal(310, topology.Power.GpuWatts["910B"]);
        Assert.Equal(0.03, topology.TransferCnyPerGiB);
        Assert.NotEmpty(topology.Assumptions);
    }

    [Fact]
    public void A_valid_file_with_comments_and_trailing_commas_parses()
    {
        var topology = TopologyLoader.Parse(ValidJson);

        Assert.Equal(["dc-east", "dc-west"], topology.DataCenters.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(16, topology.DataCenters["dc-east"].Capacity.GpusOf("A800"));
    }

    [Theory]
    [InlineData("{ \"hubs\": [ }", 1)]
    [InlineData("{\n  \"hubs\": [\n    { \"id\": \"x\" \n  ]\n}", 4)]
    [InlineData("{\n  \"hubs\": []", 2)]
    public void Malformed_JSON_throws_a_TopologyException_naming_the_file_and_the_line(string json, int line)
    {
        var e = Assert.Throws<TopologyException>(() => TopologyLoader.Parse(json));

        Assert.Equal("file", e.Entry);
        Assert.Equal($"line {line}", e.Field);
        Assert.Contains("malformed JSON", e.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("42")]
    public void A_root_that_is_not_an_object_throws_naming_the_root(string json)
    {
        var e = Assert.Throws<TopologyException>(() => TopologyLoader.Parse(json));

        Assert.Equal("(root)", e.Field);
    }

    [Fact]
    public void A_missing_file_throws_naming_the_path()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "no-such-topology.json");

        var e = Assert.Throws<TopologyException>(() => TopologyLoader.Load(path));

        Assert.Equal(path, e.Entry);
        Assert.Equal("path", e.Field);
    }

    [Theory]
    [InlineData("unknown hub in a data center", "dataCenters[1] (dc-west)", "hub")]
    [InlineData("duplicate data center id", "dataCenters[1] (dc-east)", "id")]
    [InlineData("data center id equal to a hub id", "dataCenters[1] (west-hub)", "id")]
    [InlineData("duplicate hub id", "hubs[1] (east-hub)", "id")]
    [InlineData("invalid hub id", "hubs[0] (East Hub!)", "id")]
    [InlineData("negative cpuMillicores", "dataCenters[0] (dc-east)", "capacity.cpuMillicores")]
    [InlineData("negative memoryMiB", "dataCenters[0] (dc-east)", "capacity.memoryMiB")]
    [InlineData("negative GPU count", "dataCenters[1] (dc-west)", "capacity.gpus.910B")]
    [InlineData("fractional GPU count", "dataCenters[1] (dc-west)", "capacity.gpus.910B")]
    [InlineData("zone north", "hubs[1] (west-hub)", "zone")]
    [InlineData("zone out of the enum's range", "hubs[1] (west-hub)", "zone")]
    [InlineData("pue below 1", "dataCenters[0] (dc-east)", "pue")]
    [InlineData("green share above 1", "dataCenters[0] (dc-east)", "greenShare")]
    [InlineData("hub latitude out of range", "hubs[0] (east-hub)", "lat")]
    [InlineData("latency override from an unknown hub", "latency.overrides[0]", "from")]
    public void An_invalid_entry_throws_a_TopologyException_naming_the_entry_and_the_field(string change, string entry, string field)
    {
        var e = Assert.Throws<TopologyException>(() => TopologyLoader.Parse(Mutate(change)));

        Assert.Equal(field, e.Field);
        Assert.Contains(entry, e.Entry, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hub without id", "hubs[1]", "id")]
    [InlineData("hub without name", "hubs[1] (west-hub)", "name")]
    [InlineData("hub without zone", "hubs[0] (east-hub)", "zone")]
    [InlineData("hub without lat", "hubs[0] (east-hub)", "lat")]
    [InlineData("data center without id", "dataCenters[0]", "id")]
    [InlineData("data center without hub", "dataCenters[0] (dc-east)", "hub")]
    [InlineData("data center without pue", "dataCenters[1] (dc-west)", "pue")]
    [InlineData("data center without priceCnyPerKwh", "dataCenters[1] (dc-west)", "priceCnyPerKwh")]
    [InlineData("data center without capacity", "dataCenters[0] (dc-east)", "capacity")]
    [InlineData("capacity without cpuMillicores", "dataCenters[0] (dc-east)", "capacity.cpuMillicores")]
    [InlineData("no hubs array", "hubs", "hubs")]
    [InlineData("no dataCenters array", "dataCenters", "dataCenters")]
    public void A_missing_required_field_throws_a_TopologyException_naming_the_entry_and_the_field(string change, string entry, string field)
    {
        var e = Assert.Throws<TopologyException>(() => TopologyLoader.Parse(Mutate(change)));

        Assert.Equal(field, e.Field);
        Assert.Contains(entry, e.Entry, StringComparison.Ordinal);
    }

    [Fact]
    public void A_zone_given_as_a_number_rather_than_east_or_west_is_rejected()
    {
        var e = Assert.Throws<TopologyException>(() => TopologyLoader.Parse(WithFirstHubZone("1")));

        Assert.Equal("zone", e.Field);
        Assert.Contains("hubs[0] (east-hub)", e.Entry, StringComparison.Ordinal);
    }

    [Fact]
    public void A_zone_given_as_a_comma_separated_list_is_rejected()
    {
        var e = Assert.Throws<TopologyException>(() => TopologyLoader.Parse(WithFirstHubZone("east,west")));

        Assert.Equal("zone", e.Field);
        Assert.Contains("hubs[0] (east-hub)", e.Entry, StringComparison.Ordinal);
    }

    private static string WithFirstHubZone(string zone)
    {
        var root = JsonNode.Parse(ValidJson, documentOptions: ReadOptions)!;
        root["hubs"]![0]!["zone"] = zone;
        return root.ToJsonString();
    }

    private static string Mutate(string change)
    {
        var root = JsonNode.Parse(ValidJson, documentOptions: ReadOptions)!.AsObject();
        var hubs = root["hubs"]!.AsArray();
        var dataCenters = root["dataCenters"]!.AsArray();
        switch (change)
        {
            case "unknown hub in a data center": dataCenters[1]!["hub"] = "atlantis"; break;
            case "duplicate data center id": dataCenters[1]!["id"] = "dc-east"; break;
            case "data center id equal to a hub id": dataCenters[1]!["id"] = "west-hub"; break;
            case "duplicate hub id": hubs[1]!["id"] = "east-hub"; break;
            case "invalid hub id": hubs[0]!["id"] = "East Hub!"; break;
            case "negative cpuMillicores": dataCenters[0]!["capacity"]!["cpuMillicores"] = -1; break;
            case "negative memoryMiB": dataCenters[0]!["capacity"]!["memoryMiB"] = -1024; break;
            case "negative GPU count": dataCenters[1]!["capacity"]!["gpus"]!["910B"] = -8; break;
            case "fractional GPU count": dataCenters[1]!["capacity"]!["gpus"]!["910B"] = 1.5; break;
            case "zone north": hubs[1]!["zone"] = "north"; break;
            case "zone out of the enum's range": hubs[1]!["zone"] = "7"; break;
            case "pue below 1": dataCenters[0]!["pue"] = 0.9; break;
            case "green share above 1": dataCenters[0]!["greenShare"] = 1.5; break;
            case "hub latitude out of range": hubs[0]!["lat"] = 91; break;
            case "latency override from an unknown hub":
                root["latency"] = JsonNode.Parse("""{ "overrides": [ { "from": "atlantis", "to": "west-hub", "ms": 3 } ] }""");
                break;
            case "hub without id": hubs[1]!.AsObject().Remove("id"); break;
            case "hub without name": hubs[1]!.AsObject().Remove("name"); break;
            case "hub without zone": hubs[0]!.AsObject().Remove("zone"); break;
            case "hub without lat": hubs[0]!.AsObject().Remove("lat"); break;
            case "data center without id": dataCenters[0]!.AsObject().Remove("id"); break;
            case "data center without hub": dataCenters[0]!.AsObject().Remove("hub"); break;
            case "data center without pue": dataCenters[1]!.AsObject().Remove("pue"); break;
            case "data center without priceCnyPerKwh": dataCenters[1]!.AsObject().Remove("priceCnyPerKwh"); break;
            case "data center without capacity": dataCenters[0]!.AsObject().Remove("capacity"); break;
            case "capacity without cpuMillicores": dataCenters[0]!["capacity"]!.AsObject().Remove("cpuMillicores"); break;
            case "no hubs array": root.Remove("hubs"); break;
            case "no dataCenters array": root.Remove("dataCenters"); break;
            default: throw new ArgumentOutOfRangeException(nameof(change), change, "no such change");
        }

        return root.ToJsonString();
    }
}
