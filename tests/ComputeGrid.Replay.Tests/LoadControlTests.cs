using ComputeGrid.Client;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Replay.Load;
using ComputeGrid.Replay.Traces;

namespace ComputeGrid.Replay.Tests;

/// <summary>The load control: capacity scaling (and compression only where a job would otherwise fit nowhere).</summary>
public sealed class LoadControlTests
{
    private static readonly NationalTopology Topology = TopologyLoader.Load(Path.Combine(AppContext.BaseDirectory, "Topology", "national.json"));

    private static readonly string[] Origins = ["bth", "yangtze", "gba", "chengyu"];

    // 200 jobs of 4 cores for an hour, one every 2 minutes, from the four eastern hubs in turn.
    private static (List<JobRequest> Requests, List<TraceJob> Jobs) SyntheticTrace(int count = 200, long cores = 4)
    {
        var jobs = Enumerable.Range(0, count)
            .Select(i => new TraceJob($"{i}", TimeSpan.FromMinutes(2 * i), TimeSpan.FromHours(1), cores * 1000, cores * 4096, 0, $"u{i % 4}", false))
            .ToList();
        var requests = jobs.Select((j, i) => new JobRequest
        {
            JobId = j.Id, Tenant = "t", OriginHub = Origins[i % 4], CpuMillicores = j.CpuMillicores, MemoryMiB = j.MemoryMiB!.Value, RunTime = j.RunTime,
        }).ToList();
        return (requests, jobs);
    }

    private static double Measured(IReadOnlyList<JobRequest> requests, IReadOnlyList<TraceJob> jobs, LoadPlan plan) =>
        TraceDemand.Of(requests, [.. LoadScaling.Compress(jobs, plan.Speedup).Select(j => j.Submit)]).LoadOn(LoadScaling.Scale(Topology, plan.CapacityScale).TotalCapacity);

    [Theory]
    [InlineData(0.3)]
    [InlineData(0.6)]
    [InlineData(0.9)]
    public void Capacity_scaling_alone_hits_the_requested_load_of_a_trace_of_small_jobs(double target)
    {
        var (requests, jobs) = SyntheticTrace();

        var plan = LoadPlan.For(target, requests, [.. jobs.Select(j => j.Submit)], Topology);

        Assert.Equal(1, plan.Speedup);
        Assert.True(plan.CapacityScale < 0.05);
        Assert.Equal(target, Measured(requests, jobs, plan), 2);
        Assert.Equal(plan.Achieved, Measured(requests, jobs, plan), 9);
    }

    [Fact]
    public void A_job_too_large_for_the_scaled_pool_keeps_its_data_center_and_arrivals_are_compressed_to_reach_the_load_instead()
    {
        var (requests, jobs) = SyntheticTrace();
        requests[0] = requests[0] with { CpuMillicores = 512_000, MemoryMiB = 512 * 4096 };
        jobs[0] = jobs[0] with { CpuMillicores = 512_000, MemoryMiB = 512 * 4096 };

        var plan = LoadPlan.For(0.9, requests, [.. jobs.Select(j => j.Submit)], Topology);
        var scaled = LoadScaling.Scale(Topology, plan.CapacityScale);

        Assert.True(plan.Speedup > 1);
        Assert.Contains(scaled.DataCenters.Values, d => LoadScaling.ReachableBy(requests[0], d, scaled).Fits(requests[0].ToSpec().Resources));
        Assert.Equal(0.9, Measured(requests, jobs, plan), 2);
    }

    [Fact]
    public void A_gpu_trace_reaches_its_load_although_gpus_round_up_to_whole_ones()
    {
        var jobs = Enumerable.Range(0, 50)
            .Select(i => new TraceJob($"{i}", TimeSpan.FromMinutes(30 * i), TimeSpan.FromHours(1), 1000, 4096, 1, "u", false))
            .ToList();
        var requests = jobs.Select(j => new JobRequest
        {
            JobId = j.Id, Tenant = "t", OriginHub = "yangtze", CpuMillicores = 1000, MemoryMiB = 4096, Gpus = 1, GpuModel = "910B", RunTime = j.RunTime,
        }).ToList();

        var plan = LoadPlan.For(0.3, requests, [.. jobs.Select(j => j.Submit)], Topology);

        Assert.True(plan.Speedup > 1);
        Assert.Equal(0.3, Measured(requests, jobs, plan), 6);
    }

    [Fact]
    public void Scaling_keeps_every_gpu_model_of_a_data_center_and_scales_the_hub_quotas_with_it()
    {
        var scaled = LoadScaling.Scale(Topology, 0.001);

        foreach (var d in Topology.DataCenters.Values)
        {
            Assert.Equal(d.Capacity.Gpus.Keys, scaled.DataCenters[d.Id].Capacity.Gpus.Keys);
            Assert.True(scaled.DataCenters[d.Id].Capacity.CpuMillicores <= (d.Capacity.CpuMillicores / 1000) + 1);
        }

        var lending = scaled.Hubs["guizhou"].Quota!.LendingLimit!;
        Assert.Equal((long)Math.Ceiling(Topology.Hubs["guizhou"].Quota!.LendingLimit!.CpuMillicores * 0.001), lending.CpuMillicores);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("2.5")]
    [InlineData("lots")]
    public void A_load_outside_0_to_2_is_refused(string load)
    {
        var (requests, jobs) = SyntheticTrace(10);

        Assert.ThrowsAny<ArgumentException>(() => LoadOptions.Scenarios(load, null, null, requests, [.. jobs.Select(j => j.Submit)], Topology));
    }

    [Fact]
    public void Without_a_load_the_topology_is_replayed_as_it_is()
    {
        var (requests, jobs) = SyntheticTrace(10);

        var only = Assert.Single(LoadOptions.Scenarios(null, null, null, requests, [.. jobs.Select(j => j.Submit)], Topology));

        Assert.Equal((null, 1.0, 1.0), only);
        Assert.Same(Topology, LoadScaling.Scale(Topology, 1));
    }
}
