using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Tests;

public class JobSpecRulesTests
{
    [Fact]
    public void A_valid_spec_gives_no_errors()
    {
        Assert.Empty(JobSpecRules.Validate(Shipped.ValidJob, Shipped.Topology));
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(8, "910B")]
    [InlineData(1, "H800")]
    [InlineData(2, "A800")]
    public void A_valid_spec_with_or_without_a_known_GPU_model_and_allowed_hubs_gives_no_errors(int gpus, string? model)
    {
        var spec = Shipped.ValidJob with
        {
            Resources = new ResourceRequest(8_000, 65_536, gpus, model),
            AllowedHubs = ["guizhou", "gansu"],
            LatencyClass = LatencyClass.Regional,
            Priority = 1000,
            InputDataGiB = 50,
        };

        Assert.Empty(JobSpecRules.Validate(spec, Shipped.Topology));
    }

    [Theory]
    [InlineData("tenant empty", "tenant")]
    [InlineData("tenant whitespace", "tenant")]
    [InlineData("tenant too long", "tenant")]
    [InlineData("cpuMillicores 0", "resources.cpuMillicores")]
    [InlineData("cpuMillicores negative", "resources.cpuMillicores")]
    [InlineData("cpuMillicores above 1024 cores", "resources.cpuMillicores")]
    [InlineData("memoryMiB 0", "resources.memoryMiB")]
    [InlineData("memoryMiB negative", "resources.memoryMiB")]
    [InlineData("gpus negative", "resources.gpus")]
    [InlineData("gpus above 1024", "resources.gpus")]
    [InlineData("gpus without model", "resources.gpuModel")]
    [InlineData("gpus with blank model", "resources.gpuModel")]
    [InlineData("runTime zero", "runTime")]
    [InlineData("runTime negative", "runTime")]
    [InlineData("runTime above 30 days", "runTime")]
    [InlineData("priority negative", "priority")]
    [InlineData("priority above 1000", "priority")]
    [InlineData("inputDataGiB negative", "inputDataGiB")]
    [InlineData("latencyClass undefined", "latencyClass")]
    [InlineData("policy undefined", "policy")]
    [InlineData("origin hub empty", "originHub")]
    [InlineData("origin hub unknown", "originHub")]
    [InlineData("allowed hub unknown", "allowedHubs")]
    [InlineData("allowed hub blank", "allowedHubs")]
    [InlineData("GPU model unknown to the topology", "resources.gpuModel")]
    [InlineData("GPU model unknown to the topology without GPUs", "resources.gpuModel")]
    [InlineData("GPU model with markup without GPUs", "resources.gpuModel")]
    [InlineData("GPU model over 32 characters", "resources.gpuModel")]
    [InlineData("origin hub over 64 characters", "originHub")]
    [InlineData("more than 64 allowed hubs", "allowedHubs")]
    [InlineData("allowed hub over 64 characters", "allowedHubs")]
    public void Each_invalid_field_gives_exactly_one_error_naming_that_field(string change, string field)
    {
        var spec = Invalid(change);

        var errors = JobSpecRules.Validate(spec, Shipped.Topology);

        var error = Assert.Single(errors);
        Assert.Equal(field, error.Field);
        Assert.False(string.IsNullOrWhiteSpace(error.Reason));
    }

    [Fact]
    public void A_run_time_of_exactly_30_days_is_accepted()
    {
        Assert.Empty(JobSpecRules.Validate(Shipped.ValidJob with { RunTime = TimeSpan.FromDays(30) }, Shipped.Topology));
    }

    [Theory]
    [InlineData("origin hub unknown")]
    [InlineData("allowed hub unknown")]
    [InlineData("GPU model unknown to the topology")]
    public void Topology_errors_are_not_reported_by_the_shape_check_alone(string change)
    {
        Assert.Empty(JobSpecRules.ValidateShape(Invalid(change)));
    }

    [Fact]
    public void An_unknown_GPU_model_error_lists_the_known_models()
    {
        var error = Assert.Single(JobSpecRules.Validate(Invalid("GPU model unknown to the topology"), Shipped.Topology));

        Assert.Contains("V100", error.Reason, StringComparison.Ordinal);
        Assert.Contains("910B, A800, H800", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Several_invalid_fields_give_one_error_each()
    {
        var spec = Shipped.ValidJob with { Tenant = "", Priority = -1, RunTime = TimeSpan.Zero };

        var fields = JobSpecRules.Validate(spec, Shipped.Topology).Select(e => e.Field).Order(StringComparer.Ordinal);

        Assert.Equal(["priority", "runTime", "tenant"], fields);
    }

    private static JobSpec Invalid(string change)
    {
        var valid = Shipped.ValidJob;
        var r = valid.Resources;
        return change switch
        {
            "tenant empty" => valid with { Tenant = "" },
            "tenant whitespace" => valid with { Tenant = "   " },
            "tenant too long" => valid with { Tenant = new string('t', JobSpecRules.MaxTenantLength + 1) },
            "cpuMillicores 0" => valid with { Resources = r with { CpuMillicores = 0 } },
            "cpuMillicores negative" => valid with { Resources = r with { CpuMillicores = -1_000 } },
            "cpuMillicores above 1024 cores" => valid with { Resources = r with { CpuMillicores = JobSpecRules.MaxCpuMillicores + 1 } },
            "memoryMiB 0" => valid with { Resources = r with { MemoryMiB = 0 } },
            "memoryMiB negative" => valid with { Resources = r with { MemoryMiB = -1 } },
            "gpus negative" => valid with { Resources = r with { Gpus = -1, GpuModel = "910B" } },
            "gpus above 1024" => valid with { Resources = r with { Gpus = JobSpecRules.MaxGpus + 1, GpuModel = "910B" } },
            "gpus without model" => valid with { Resources = r with { Gpus = 1, GpuModel = null } },
            "gpus with blank model" => valid with { Resources = r with { Gpus = 1, GpuModel = " " } },
            "runTime zero" => valid with { RunTime = TimeSpan.Zero },
            "runTime negative" => valid with { RunTime = TimeSpan.FromMinutes(-1) },
            "runTime above 30 days" => valid with { RunTime = TimeSpan.FromDays(30) + TimeSpan.FromSeconds(1) },
            "priority negative" => valid with { Priority = -1 },
            "priority above 1000" => valid with { Priority = JobSpecRules.MaxPriority + 1 },
            "inputDataGiB negative" => valid with { InputDataGiB = -0.5 },
            "latencyClass undefined" => valid with { LatencyClass = (LatencyClass)42 },
            "policy undefined" => valid with { Policy = (PlacementPolicy)42 },
            "origin hub empty" => valid with { OriginHub = "" },
            "origin hub unknown" => valid with { OriginHub = "atlantis" },
            "allowed hub unknown" => valid with { AllowedHubs = ["guizhou", "atlantis"] },
            "allowed hub blank" => valid with { AllowedHubs = ["guizhou", ""] },
            "GPU model unknown to the topology" => valid with { Resources = r with { Gpus = 1, GpuModel = "V100" } },
            "GPU model unknown to the topology without GPUs" => valid with { Resources = r with { Gpus = 0, GpuModel = "V100" } },
            "GPU model with markup without GPUs" => valid with { Resources = r with { Gpus = 0, GpuModel = "<script>x" } },
            "GPU model over 32 characters" => valid with { Resources = r with { Gpus = 1, GpuModel = new string('A', 33) } },
            "origin hub over 64 characters" => valid with { OriginHub = new string('h', 65) },
            "more than 64 allowed hubs" => valid with { AllowedHubs = [.. Enumerable.Repeat("guizhou", JobSpecRules.MaxAllowedHubs + 1)] },
            "allowed hub over 64 characters" => valid with { AllowedHubs = [new string('h', 65)] },
            _ => throw new ArgumentOutOfRangeException(nameof(change), change, "no such change"),
        };
    }
}
