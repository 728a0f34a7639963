using ComputeGrid.Domain.Topology;
using ComputeGrid.Replay.Mapping;
using ComputeGrid.Replay.Traces;

namespace ComputeGrid.Replay.Tests;

public sealed class GpuModelRuleTests
{
    private static readonly NationalTopology Topology = TopologyLoader.Load(Path.Combine(AppContext.BaseDirectory, "Topology", "national.json"));
    private static readonly NodeInventory Inventory = AlibabaNodeReader.Read(TestData.AlibabaNodeExcerpt);
    private static readonly GpuModelRule Rule = GpuModelRule.ForInventory(Inventory, "A800", "910B");

    [Theory]
    [InlineData("G2", "A800")]
    [InlineData("G3", "A800")]
    [InlineData("V100M32", "A800")]
    [InlineData("V100M16", "910B")]
    [InlineData("T4", "910B")]
    [InlineData("P100", "910B")]
    public void A_trace_model_whose_largest_node_has_eight_gpus_maps_to_the_training_model_and_any_other_to_the_other(string trace, string topology)
    {
        Assert.Equal(topology, Rule.Table[trace]);
    }

    [Fact]
    public void An_eight_gpu_pod_gets_a_model_that_comes_in_eight_gpu_nodes_it_fits_on()
    {
        var models = Enumerable.Range(0, 300).Select(i => Rule.TraceModelOf(Pod($"pod-{i}", gpus: 8, cpu: 100000))).Distinct().ToList();

        Assert.Equal(["G3"], models);
    }

    [Fact]
    public void Pods_without_a_gpu_spec_use_the_trace_models_in_proportion_to_their_gpus()
    {
        var models = Enumerable.Range(0, 4000).Select(i => Rule.TraceModelOf(Pod($"openb-pod-{i:0000}"))).ToList();

        Assert.InRange(models.Count(m => m == "G2") / 4000.0, 192 / 258.0 - 0.03, 192 / 258.0 + 0.03);
        Assert.Contains("P100", models);
    }

    [Fact]
    public void A_pods_gpu_spec_decides_its_trace_model()
    {
        var pod = Pod("openb-pod-7") with { GpuSpec = ["T4"] };

        Assert.Equal("T4", Rule.TraceModelOf(pod));
        Assert.Equal("910B", Rule.TopologyModelOf(pod));
    }

    [Fact]
    public void The_gpu_map_overrides_the_default_table_and_a_pod_without_gpus_has_no_model()
    {
        var rule = GpuModelRule.ForInventory(Inventory, "A800", "910B", GpuModelRule.ParseTable("G2=H800, T4=A800"));

        Assert.Equal("H800", rule.Table["G2"]);
        Assert.Equal("A800", rule.Table["T4"]);
        Assert.Null(rule.TopologyModelOf(Pod("cpu-only", gpus: 0)));
        Assert.Throws<FormatException>(() => GpuModelRule.ParseTable("G2"));
    }

    [Fact]
    public void A_gpu_pod_comes_only_from_a_hub_that_has_its_mapped_topology_model()
    {
        var mapper = new JobMapper(new OriginRule(OriginRule.EasternPopulation)) { GpuModels = Rule };
        var pods = Enumerable.Range(0, 400).Select(i => Pod($"openb-pod-{i}")).ToList();

        Assert.All(pods, p => Assert.Contains(Topology.DataCentersOf(mapper.OriginOf(p, Topology)), d => d.Capacity.GpusOf(mapper.GpuModelOf(p)!) > 0));
        Assert.Equal(2, pods.Select(mapper.GpuModelOf).Distinct().Count());
    }

    [Fact]
    public void Without_a_node_list_every_gpu_becomes_the_fallback_model()
    {
        var mapper = new JobMapper(new OriginRule(OriginRule.EasternPopulation));

        Assert.Equal("910B", mapper.GpuModelOf(Pod("openb-pod-1")));
    }

    private static TraceJob Pod(string name, int gpus = 1, long cpu = 8000) =>
        new(name, TimeSpan.Zero, TimeSpan.FromHours(1), cpu, 16384, gpus, "LS", true, [], name);
}
