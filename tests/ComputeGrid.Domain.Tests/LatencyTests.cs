using System.Text.Json;
using System.Text.Json.Nodes;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

public class LatencyTests
{
    private const double EarthRadiusKm = 6371.0088;

    [Fact]
    public void One_degree_of_longitude_on_the_equator_is_estimated_as_1_5_times_km_over_200_plus_0_5_ms()
    {
        var km = EarthRadiusKm * Math.PI / 180; // 111.195 km
        var expected = (1.5 * km / 200) + 0.5;

        var estimate = LatencyModel.Default.EstimateMs(new GeoPoint(0, 0), new GeoPoint(0, 1));

        Assert.Equal(expected, estimate, 9);
        Assert.Equal(1.334, estimate, 3);
    }

    [Theory]
    [InlineData("bth", "yangtze", 1_067)] // Beijing - Shanghai
    [InlineData("yangtze", "gba", 1_213)] // Shanghai - Shenzhen
    [InlineData("bth", "gba", 1_943)] // Beijing - Shenzhen
    public void Hub_to_hub_latency_without_an_override_is_1_5_times_great_circle_km_over_200_plus_0_5_ms(string from, string to, double approxKm)
    {
        var topology = Shipped.Topology;
        var km = Haversine(topology.Hubs[from].Location, topology.Hubs[to].Location);
        Assert.InRange(km, approxKm * 0.99, approxKm * 1.01);

        var latency = topology.HubLatencyMs(from, to);

        Assert.Equal((1.5 * km / 200) + 0.5, latency, 9);
    }

    [Fact]
    public void Latency_within_one_hub_is_the_switching_cost()
    {
        Assert.Equal(0.5, Shipped.Topology.HubLatencyMs("yangtze", "yangtze"));
    }

    [Fact]
    public void A_latency_model_override_is_found_in_both_directions()
    {
        var model = LatencyModel.Default with { Overrides = new Dictionary<(string, string), double> { [("bth", "yangtze")] = 3.25 } };

        Assert.Equal(3.25, model.OverrideMs("bth", "yangtze"));
        Assert.Equal(3.25, model.OverrideMs("yangtze", "bth"));
        Assert.Null(model.OverrideMs("bth", "gba"));
    }

    [Theory]
    [InlineData("bth", "yangtze")]
    [InlineData("yangtze", "bth")]
    public void A_measured_override_replaces_the_hub_to_hub_estimate_in_both_directions(string from, string to)
    {
        var topology = NationalWithOverride("bth", "yangtze", 3.25);

        Assert.Equal(3.25, topology.HubLatencyMs(from, to));
    }

    [Theory]
    [InlineData("bth", "wuhu")]
    [InlineData("bth", "yrd-demo-zone")]
    [InlineData("yangtze", "zhangjiakou")]
    public void A_measured_override_replaces_the_estimate_to_every_data_center_of_the_other_hub_in_both_directions(string origin, string dataCenter)
    {
        var topology = NationalWithOverride("bth", "yangtze", 3.25);

        Assert.Equal(3.25, topology.LatencyMs(origin, topology.DataCenters[dataCenter]));
    }

    [Fact]
    public void An_override_leaves_other_pairs_estimated()
    {
        var topology = NationalWithOverride("bth", "yangtze", 3.25);

        Assert.Equal(Shipped.Topology.HubLatencyMs("bth", "gba"), topology.HubLatencyMs("bth", "gba"), 9);
        Assert.Equal(
            Shipped.Topology.LatencyMs("yangtze", Shipped.Topology.DataCenters["wuhu"]),
            topology.LatencyMs("yangtze", topology.DataCenters["wuhu"]),
            9);
    }

    [Fact]
    public void Shanghai_the_yangtze_origin_is_within_5_ms_of_yrd_demo_zone()
    {
        var topology = Shipped.Topology;

        var latency = topology.LatencyMs("yangtze", topology.DataCenters["yrd-demo-zone"]);

        Assert.InRange(latency, 0.5, 5);
    }

    [Fact]
    public void Yangtze_to_guian_exceeds_5_ms_but_is_within_20_ms()
    {
        var topology = Shipped.Topology;

        var latency = topology.LatencyMs("yangtze", topology.DataCenters["guian"]);

        Assert.True(latency > 5, $"{latency} ms should exceed the Interactive bound of 5 ms");
        Assert.True(latency <= 20, $"{latency} ms should be within the Regional bound of 20 ms");
    }

    [Fact]
    public void Latency_from_an_origin_to_a_data_center_uses_the_data_centers_own_coordinates()
    {
        var topology = Shipped.Topology;
        var wuhu = topology.DataCenters["wuhu"];
        var km = Haversine(topology.Hubs["yangtze"].Location, wuhu.Location);

        Assert.Equal((1.5 * km / 200) + 0.5, topology.LatencyMs("yangtze", wuhu), 9);
    }

    private static double Haversine(GeoPoint a, GeoPoint b)
    {
        var lat1 = a.Lat * Math.PI / 180;
        var lat2 = b.Lat * Math.PI / 180;
        var dLat = lat2 - lat1;
        var dLon = (b.Lon - a.Lon) * Math.PI / 180;
        var h = Math.Pow(Math.Sin(dLat / 2), 2) + (Math.Cos(lat1) * Math.Cos(lat2) * Math.Pow(Math.Sin(dLon / 2), 2));
        return 2 * EarthRadiusKm * Math.Asin(Math.Sqrt(h));
    }

    private static NationalTopology NationalWithOverride(string from, string to, double ms)
    {
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        var root = JsonNode.Parse(File.ReadAllText(Shipped.Path), documentOptions: options)!;
        root["latency"]!["overrides"] = new JsonArray(new JsonObject { ["from"] = from, ["to"] = to, ["ms"] = ms });
        return TopologyLoader.Parse(root.ToJsonString());
    }
}
