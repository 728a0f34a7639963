using ComputeGrid.Replay.Traces;

namespace ComputeGrid.Replay.Tests;

public sealed class AlibabaGpuReaderTests
{
    [Fact]
    public void Every_pod_row_of_the_real_Alibaba_excerpt_becomes_one_job()
    {
        var read = TraceFile.Read(TestData.AlibabaExcerpt);

        Assert.Equal(40, read.Jobs.Count + read.Unusable);
        Assert.Equal(0, read.Malformed);
        Assert.Contains("USENIX ATC '23", read.Citation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pods_run_time_is_deletion_minus_scheduled_time_and_its_gpu_share_is_one_whole_gpu()
    {
        var pod = TraceFile.Read(TestData.AlibabaExcerpt).Jobs.Single(j => j.Id == "openb-pod-0001");

        Assert.Equal(TimeSpan.FromSeconds(427061), pod.Submit);
        Assert.Equal(TimeSpan.FromSeconds(12902960 - 427061), pod.RunTime);
        Assert.Equal(6000, pod.CpuMillicores);
        Assert.Equal(12288, pod.MemoryMiB);
        Assert.Equal(1, pod.Gpus);
        Assert.True(pod.LatencySensitive);
    }

    [Theory]
    [InlineData("openb-pod-x,12000,16384,1,1000,,LS,Running,0,12537496", 1, 0)]
    [InlineData("openb-pod-x,12000,lots,1,1000,,LS,Running,0,12537496,0", 1, 0)]
    [InlineData("openb-pod-x,12000,16384,1,1000,,LS,Running,-5,12537496,0", 1, 0)]
    [InlineData("openb-pod-x,12000,16384,1,1000,,LS,Pending,100,,", 0, 1)]
    [InlineData("openb-pod-x,0,16384,1,1000,,BE,Running,100,200,100", 0, 1)]
    public void A_row_with_missing_or_non_numeric_fields_is_malformed_and_a_pod_that_never_ran_is_unusable(string row, int malformed, int unusable)
    {
        var read = AlibabaGpuReader.Read(new StringReader(
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n"
            + row + "\nopenb-pod-ok,4000,8192,0,0,,BE,Succeeded,10,70,10\n"));

        Assert.Equal(malformed, read.Malformed);
        Assert.Equal(unusable, read.Unusable);
        Assert.Equal(TimeSpan.FromSeconds(60), Assert.Single(read.Jobs).RunTime);
    }

    [Fact]
    public void A_pods_tenant_is_its_QoS_class_and_its_origin_key_is_its_name_as_the_pod_list_names_no_user()
    {
        var pod = TraceFile.Read(TestData.AlibabaExcerpt).Jobs.Single(j => j.Id == "openb-pod-0001");

        Assert.Equal("LS", pod.User);
        Assert.Equal("openb-pod-0001", pod.OriginKey);
    }

    [Fact]
    public void Pods_of_one_QoS_class_come_from_several_origin_hubs()
    {
        var mapper = new ComputeGrid.Replay.Mapping.JobMapper(new ComputeGrid.Replay.Mapping.OriginRule(ComputeGrid.Replay.Mapping.OriginRule.EasternPopulation));
        var topology = ComputeGrid.Domain.Topology.TopologyLoader.Load(Path.Combine(AppContext.BaseDirectory, "Topology", "national.json"));

        var origins = TraceFile.Read(TestData.AlibabaExcerpt).Jobs.Where(j => j.User == "LS").Select(j => mapper.OriginOf(j, topology)).Distinct().Count();

        Assert.True(origins > 1);
    }

    [Fact]
    public void A_gpu_spec_lists_the_trace_models_a_pod_may_use()
    {
        var read = AlibabaGpuReader.Read(new StringReader(
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n"
            + "openb-pod-x,8000,16384,1,1000,V100M16|V100M32,BE,Succeeded,10,70,10\n"));

        Assert.Equal(["V100M16", "V100M32"], Assert.Single(read.Jobs).GpuSpec!);
    }
}
