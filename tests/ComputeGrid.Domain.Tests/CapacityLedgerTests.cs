using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Tests;

public class CapacityLedgerTests
{
    private static readonly ResourceVector Capacity = ResourceVector.Of(8_000, 32_768, [new("A800", 4), new("910B", 8)]);

    [Fact]
    public void Reserving_a_request_that_fits_reserves_it_and_adds_it_to_use()
    {
        var ledger = new CapacityLedger(Capacity);
        var request = new ResourceRequest(2_000, 4_096, 1, "A800");

        Assert.Equal(ReserveOutcome.Reserved, ledger.Reserve("job-1", request));
        Assert.Equal(ResourceVector.Of(2_000, 4_096, [new("A800", 1)]), ledger.Used);
        Assert.Equal(ResourceVector.Of(6_000, 28_672, [new("A800", 3), new("910B", 8)]), ledger.Free);
    }

    [Fact]
    public void Reserving_the_same_request_twice_for_one_job_is_AlreadyReserved_and_counts_once()
    {
        var ledger = new CapacityLedger(Capacity);
        var request = new ResourceRequest(2_000, 4_096, 1, "A800");
        ledger.Reserve("job-1", request);

        var second = ledger.Reserve("job-1", request with { });

        Assert.Equal(ReserveOutcome.AlreadyReserved, second);
        Assert.Equal(ResourceVector.Of(2_000, 4_096, [new("A800", 1)]), ledger.Used);
        Assert.Single(ledger.Reservations);
    }

    [Theory]
    [InlineData(2_001, 4_096, 1, "A800")]
    [InlineData(2_000, 4_097, 1, "A800")]
    [InlineData(2_000, 4_096, 2, "A800")]
    [InlineData(2_000, 4_096, 1, "910B")]
    [InlineData(2_000, 4_096, 0, null)]
    public void Reserving_different_resources_for_a_job_that_holds_a_reservation_is_a_Conflict_and_changes_nothing(
        long cpuMillicores, long memoryMiB, int gpus, string? gpuModel)
    {
        var ledger = new CapacityLedger(Capacity);
        var original = new ResourceRequest(2_000, 4_096, 1, "A800");
        ledger.Reserve("job-1", original);
        var usedBefore = ledger.Used;

        var outcome = ledger.Reserve("job-1", new ResourceRequest(cpuMillicores, memoryMiB, gpus, gpuModel));

        Assert.Equal(ReserveOutcome.Conflict, outcome);
        Assert.Equal(usedBefore, ledger.Used);
        Assert.Equal(original, ledger.Reservations["job-1"]);
    }

    [Theory]
    [InlineData(6_001, 1, 0, null)]
    [InlineData(1, 28_673, 0, null)]
    [InlineData(1, 1, 4, "A800")]
    [InlineData(1, 1, 1, "H800")]
    public void An_Insufficient_reservation_leaves_the_ledger_unchanged(long cpuMillicores, long memoryMiB, int gpus, string? gpuModel)
    {
        var ledger = new CapacityLedger(Capacity);
        ledger.Reserve("job-1", new ResourceRequest(2_000, 4_096, 1, "A800"));
        var usedBefore = ledger.Used;
        var freeBefore = ledger.Free;
        var reservationsBefore = ledger.Reservations.ToDictionary(r => r.Key, r => r.Value);

        var outcome = ledger.Reserve("job-2", new ResourceRequest(cpuMillicores, memoryMiB, gpus, gpuModel));

        Assert.Equal(ReserveOutcome.Insufficient, outcome);
        Assert.Equal(usedBefore, ledger.Used);
        Assert.Equal(freeBefore, ledger.Free);
        Assert.Equal(reservationsBefore, ledger.Reservations);
    }

    [Fact]
    public void A_reservation_is_released_exactly_once_and_a_second_release_returns_false_and_changes_nothing()
    {
        var ledger = new CapacityLedger(Capacity);
        ledger.Reserve("job-1", new ResourceRequest(2_000, 4_096, 1, "A800"));
        ledger.Reserve("job-2", new ResourceRequest(1_000, 1_024, 2, "910B"));

        Assert.True(ledger.Release("job-1"));
        var usedAfterFirstRelease = ledger.Used;

        Assert.False(ledger.Release("job-1"));
        Assert.Equal(usedAfterFirstRelease, ledger.Used);
        Assert.Equal(ResourceVector.Of(1_000, 1_024, [new("910B", 2)]), ledger.Used);
        Assert.Equal(["job-2"], ledger.Reservations.Keys);
    }

    [Fact]
    public void Releasing_a_job_that_never_reserved_returns_false_and_changes_nothing()
    {
        var ledger = new CapacityLedger(Capacity);
        ledger.Reserve("job-1", new ResourceRequest(2_000, 4_096));

        Assert.False(ledger.Release("nobody"));
        Assert.Equal(ResourceVector.Of(2_000, 4_096), ledger.Used);
    }

    [Fact]
    public void A_ledger_restored_from_reservations_computes_its_use_from_them()
    {
        var stored = new Dictionary<string, ResourceRequest>(StringComparer.Ordinal)
        {
            ["a"] = new(1_000, 2_048, 1, "A800"),
            ["b"] = new(3_000, 4_096, 2, "910B"),
        };

        var ledger = new CapacityLedger(Capacity, stored);

        Assert.Equal(ResourceVector.Of(4_000, 6_144, [new("A800", 1), new("910B", 2)]), ledger.Used);
    }

    [Fact]
    public void The_sum_of_reservations_never_exceeds_capacity_over_10000_random_reserve_and_release_operations()
    {
        var random = new Random(20_240_611);
        var ledger = new CapacityLedger(Capacity);
        string[] models = ["A800", "910B"];
        var outcomes = new Dictionary<ReserveOutcome, int>();

        for (var op = 0; op < 10_000; op++)
        {
            var jobId = $"job-{random.Next(40)}";
            if (random.Next(3) == 0)
            {
                var held = ledger.Reservations.ContainsKey(jobId);
                Assert.Equal(held, ledger.Release(jobId));
                Assert.False(ledger.Reservations.ContainsKey(jobId));
            }
            else
            {
                var gpus = random.Next(3) == 0 ? random.Next(1, 4) : 0;
                var request = new ResourceRequest(random.Next(1, 9) * 250L, random.Next(1, 17) * 512L, gpus, gpus > 0 ? models[random.Next(2)] : null);
                var expected = ExpectedOutcome(ledger, jobId, request);

                var outcome = ledger.Reserve(jobId, request);

                Assert.Equal(expected, outcome);
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }

            AssertUseIsTheSumOfReservationsWithinCapacity(ledger);
        }

        // The sequence must really exercise every outcome, or the invariant above proves little.
        Assert.All(Enum.GetValues<ReserveOutcome>(), o => Assert.True(outcomes.GetValueOrDefault(o) > 0, $"no {o} in the sequence"));
    }

    [Theory]
    [InlineData(2_999, 8_192, 1, 2)] // CPU below use
    [InlineData(3_000, 8_191, 1, 2)] // memory below use
    [InlineData(3_000, 8_192, 0, 2)] // A800 below use (model removed)
    [InlineData(3_000, 8_192, 1, 1)] // 910B below use
    public void TryResize_refuses_a_capacity_below_current_use_and_keeps_the_old_capacity(long cpu, long memory, int a800, int gpus910B)
    {
        var ledger = LedgerUsing3CoresAnd8GiBAnd1A800And2Of910B();

        var resized = ledger.TryResize(ResourceVector.Of(cpu, memory, [new("A800", a800), new("910B", gpus910B)]));

        Assert.False(resized);
        Assert.Equal(Capacity, ledger.Capacity);
    }

    [Theory]
    [InlineData(3_000, 8_192, 1, 2)] // exactly the use
    [InlineData(16_000, 65_536, 8, 16)] // larger
    public void TryResize_accepts_a_capacity_at_or_above_current_use(long cpu, long memory, int a800, int gpus910B)
    {
        var ledger = LedgerUsing3CoresAnd8GiBAnd1A800And2Of910B();
        var capacity = ResourceVector.Of(cpu, memory, [new("A800", a800), new("910B", gpus910B)]);

        Assert.True(ledger.TryResize(capacity));
        Assert.Equal(capacity, ledger.Capacity);
        Assert.Equal(capacity.Minus(ledger.Used), ledger.Free);
    }

    private static CapacityLedger LedgerUsing3CoresAnd8GiBAnd1A800And2Of910B()
    {
        var ledger = new CapacityLedger(Capacity);
        Assert.Equal(ReserveOutcome.Reserved, ledger.Reserve("a", new ResourceRequest(1_000, 4_096, 1, "A800")));
        Assert.Equal(ReserveOutcome.Reserved, ledger.Reserve("b", new ResourceRequest(2_000, 4_096, 2, "910B")));
        return ledger;
    }

    /// <summary>What the ledger should answer, computed from its reservations by plain arithmetic.</summary>
    private static ReserveOutcome ExpectedOutcome(CapacityLedger ledger, string jobId, ResourceRequest request)
    {
        if (ledger.Reservations.TryGetValue(jobId, out var existing))
        {
            return existing == request ? ReserveOutcome.AlreadyReserved : ReserveOutcome.Conflict;
        }

        var reservations = ledger.Reservations.Values.ToList();
        var freeCpu = Capacity.CpuMillicores - reservations.Sum(r => r.CpuMillicores);
        var freeMemory = Capacity.MemoryMiB - reservations.Sum(r => r.MemoryMiB);
        var freeGpus = request.Gpus == 0
            ? 0
            : Capacity.GpusOf(request.GpuModel!) - reservations.Where(r => r.Gpus > 0 && r.GpuModel == request.GpuModel).Sum(r => r.Gpus);
        return request.CpuMillicores <= freeCpu && request.MemoryMiB <= freeMemory && request.Gpus <= freeGpus
            ? ReserveOutcome.Reserved
            : ReserveOutcome.Insufficient;
    }

    private static void AssertUseIsTheSumOfReservationsWithinCapacity(CapacityLedger ledger)
    {
        var reservations = ledger.Reservations.Values.ToList();
        var cpu = reservations.Sum(r => r.CpuMillicores);
        var memory = reservations.Sum(r => r.MemoryMiB);
        Assert.Equal(cpu, ledger.Used.CpuMillicores);
        Assert.Equal(memory, ledger.Used.MemoryMiB);
        Assert.InRange(cpu, 0, Capacity.CpuMillicores);
        Assert.InRange(memory, 0, Capacity.MemoryMiB);
        foreach (var model in new[] { "A800", "910B" })
        {
            var gpus = reservations.Where(r => r.Gpus > 0 && r.GpuModel == model).Sum(r => r.Gpus);
            Assert.Equal(gpus, ledger.Used.GpusOf(model));
            Assert.InRange(gpus, 0, Capacity.GpusOf(model));
        }
    }
}
