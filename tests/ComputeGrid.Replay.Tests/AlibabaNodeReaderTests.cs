using ComputeGrid.Replay.Traces;

namespace ComputeGrid.Replay.Tests;

public sealed class AlibabaNodeReaderTests
{
    private const string Header = "sn,cpu_milli,memory_mib,gpu,model\n";

    [Fact]
    public void Every_node_row_of_the_real_node_list_excerpt_is_read_with_its_gpus_and_model()
    {
        var inventory = AlibabaNodeReader.Read(TestData.AlibabaNodeExcerpt);

        Assert.Equal(40, inventory.Nodes.Count);
        Assert.Equal(0, inventory.Malformed);
        Assert.False(inventory.Truncated);
        Assert.Equal(258, inventory.TotalGpus);
        Assert.Equal(KeyValuePair.Create("G2", 192), inventory.GpusByModel[0]);
        Assert.Equal(new TraceNode("openb-node-0228", 128000, 786432, 8, "G3"), inventory.Nodes[2]);
    }

    [Theory]
    [InlineData("openb-node-x,96000,393216,8")]
    [InlineData("openb-node-x,96000,393216,8,G2,extra")]
    [InlineData("openb-node-x,many,393216,8,G2")]
    [InlineData("openb-node-x,96000,393216,-8,G2")]
    [InlineData("openb-node-x,96000,393216,8,")]
    public void A_node_row_with_missing_or_extra_fields_non_numbers_or_gpus_without_a_model_is_malformed(string row)
    {
        var inventory = AlibabaNodeReader.Read(new StringReader(Header + row + "\nopenb-node-ok,32000,131072,4,V100M16\n"));

        Assert.Equal(1, inventory.Malformed);
        Assert.Equal("V100M16", Assert.Single(inventory.Nodes).Model);
    }

    [Fact]
    public void A_cpu_only_node_has_no_model_and_a_list_cut_off_mid_line_is_reported_truncated()
    {
        var inventory = AlibabaNodeReader.Read(new StringReader(Header + "openb-node-0000,32000,262144,0,\nopenb-node-0001,32000,26"));

        Assert.True(inventory.Truncated);
        Assert.Null(inventory.Nodes[0].Model);
        Assert.Equal(1, inventory.Malformed + inventory.Nodes.Count - 1);
    }

    [Fact]
    public void The_inventory_describes_nodes_cores_and_each_models_share_of_the_gpus()
    {
        var text = AlibabaNodeReader.Read(TestData.AlibabaNodeExcerpt).Describe();

        Assert.StartsWith("40 nodes (", text, StringComparison.Ordinal);
        Assert.Contains("258 GPUs: G2 192 (74.4 %; 8 per node)", text, StringComparison.Ordinal);
    }
}
