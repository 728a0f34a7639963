using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Regions;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

public class RegionBookTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
    private static readonly EnergyProfile Energy = new(1.2, 0.5, 0.4, 0.4);

    private static RegionBook NewBook(Dictionary<string, PlacedJob>? placed = null) =>
        new(new Dictionary<string, WaitingJob>(StringComparer.Ordinal), placed ?? new(StringComparer.Ordinal), nextSequence: 7);

    private static JobSpec Job(string tenant = "t1", int cores = 1) =>
        Shipped.ValidJob with { Tenant = tenant, Resources = new ResourceRequest(cores * 1_000L, 1_024) };

    private static JobPlacement At(string dataCenterId, string? loanId = null) => new(dataCenterId, "gansu", "test", 10, Footprint.Zero, Energy, loanId);

    [Fact]
    public void Queued_jobs_take_increasing_sequence_numbers_and_the_record_is_written_first()
    {
        var book = NewBook();

        var first = book.Enqueue("job-1", Job(), Now);
        var second = book.Enqueue("job-2", Job(), Now);

        Assert.Equal((7, 8), (first.Sequence, second.Sequence));
        Assert.Equal(9, book.NextSequence);
        Assert.Equal([RegionWrite.Record, RegionWrite.Queue, RegionWrite.Placed], book.TakeWritePlan().Plan);
    }

    [Fact]
    public void Placing_a_waiting_job_moves_it_and_writes_the_placement_before_the_queue()
    {
        var book = NewBook();
        book.Enqueue("job-1", Job(), Now);
        book.TakeWritePlan();

        book.PlaceFromQueue("job-1", Job(), At("dc-1"));

        Assert.False(book.Queue.ContainsKey("job-1"));
        Assert.True(book.Placed.ContainsKey("job-1"));
        Assert.Equal([RegionWrite.Placed, RegionWrite.Queue], book.TakeWritePlan().Plan);
    }

    [Fact]
    public void A_placement_given_up_for_the_queue_writes_the_queue_first()
    {
        var book = NewBook();
        book.Place("job-1", Job(), At("dc-1"));
        book.TakeWritePlan();

        Assert.NotNull(book.Unplace("job-1"));
        book.Enqueue("job-1", Job(), Now);

        Assert.Equal([RegionWrite.Record, RegionWrite.Queue, RegionWrite.Placed], book.TakeWritePlan().Plan);
        Assert.Null(book.Unplace("job-1"));
    }

    [Fact]
    public void A_failed_write_hands_its_changes_to_the_next_one()
    {
        var book = NewBook();
        book.Enqueue("job-1", Job(), Now);
        var (_, changes) = book.TakeWritePlan();

        book.Unwritten(changes);

        Assert.Contains(RegionWrite.Record, book.TakeWritePlan().Plan);
    }

    [Fact]
    public void Jobs_on_a_loan_use_its_slice_and_give_the_room_back_when_released()
    {
        var book = NewBook();
        var slice = new LoanSlice("dc-peer", ResourceVector.Of(4_000, 8_192), 0.3, 20);

        book.Place("job-1", Job(cores: 3), At("dc-peer", "loan-1"));

        Assert.True(book.LoanInUse("loan-1"));
        Assert.Equal(ResourceVector.Of(1_000, 7_168), book.SliceRoom("loan-1", slice));
        book.Release("job-1");
        Assert.False(book.LoanInUse("loan-1"));
        Assert.Equal(slice.Amount, book.SliceRoom("loan-1", slice));
    }

    [Fact]
    public void A_book_restored_from_storage_counts_the_loan_use_of_its_placed_jobs()
    {
        var placed = new Dictionary<string, PlacedJob>(StringComparer.Ordinal) { ["job-1"] = new("t1", new ResourceRequest(2_000, 1_024), At("dc-peer", "loan-1")) };

        var book = NewBook(placed);

        Assert.True(book.LoanInUse("loan-1"));
        Assert.Equal(ResourceVector.Zero, book.OwnUse());
    }

    [Fact]
    public void The_queue_order_puts_the_tenant_holding_less_first_at_equal_priority()
    {
        var book = NewBook();
        book.Place("held", Job("big", cores: 8), At("dc-1"));
        book.Enqueue("job-big", Job("big"), Now);
        book.Enqueue("job-small", Job("small"), Now);

        var order = book.QueueOrder(ResourceVector.Of(100_000, 1_000_000)).Select(q => q.JobId).ToList();

        Assert.Equal(["job-small", "job-big"], order);
        Assert.Equal(ResourceVector.Of(8_000, 1_024), book.OwnUse());
    }
}
