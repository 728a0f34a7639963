using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Regions;
using ComputeGrid.Grains.Hosting;
using ComputeGrid.Grains.Regions;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace ComputeGrid.Grains.Tests;

/// <summary>The region's persisted record keeps its shape while the types behind it move (grain records to the domain's loan book).</summary>
public class RegionRecordShapeTests
{
    /// <summary>
    /// A RegionRecord with one lent and one borrowed loan, an answered request and a settled loan, as the grain wrote it
    /// when LentLoanRecord and BorrowedLoanRecord were grain types (commit 108d225).
    /// </summary>
    private const string WrittenBefore =
        "IAGpIjABMSzULh1TdHJpbmdDb21wYXJlcgADAQHgAQNBFXIxLmd1aXpob3Ug6EAHZ2JhMQGuuvquq1JlYWRPbmx5TGlzdEludGVyZmFjZUNvZGVjYDFbW0NvbXB1dGVHcmlkLkRvbWFpbi5Mb2Fucy5Mb2FuU2xpY2UsQ29tcHV0ZUdyaWQuRG9tYWluXV0AAyFAC2d1aWFuIQAC+gEEAAghOAMAAwEB4AEDQQlBMTAwAAng4IG4HoXrUbi+P4EAAAAAAIA1QODgCQMFIYAAQI4XOFTfCIEAAAAAAAAAAODg4CE4AwADAQHgAQNBEXIyLmdhbnN1IOggwElBBXIyQQtnYW5zdUEPeWFuZ3R6ZSEAA8Eb4CGAMzMzMzMz0z+BAAAAAAAAGEDggQDQiMMQAAAAgQC8oGUBAAAACQMBIYAAhlE7OFTfCIEAAAAAAAAAAODgCQMJIYAAEBfbSFTfCIEAAAAAAAAAAODg4CE4AwADAQHgAQNBFXIzL3lhbmd0emUggABAjhc4VN8IgQAAAAAAAAAA4OAhOAMAAwEB4AEDQQ1yMC5nYmEggABAjhc4VN8IgQAAAAAAAAAA4ODg";

    private static readonly DateTimeOffset At = new(2026, 12, 7, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_region_record_written_before_the_loan_book_moved_loads_into_the_book()
    {
        var record = Serializer().Deserialize<RegionRecord>(Convert.FromBase64String(WrittenBefore));

        Assert.NotNull(record);
        var loans = Load(record);
        Assert.Equal(42, record.NextSequence);
        var lent = loans.Lent["r1.guizhou"];
        Assert.Equal(("gba", LoanState.Active, At), (lent.Borrower, lent.State, lent.Since));
        Assert.Equal(("guian", 8_000L, 32_768L, 2), (lent.Slices[0].DataCenterId, lent.Amount.CpuMillicores, lent.Amount.MemoryMiB, lent.Amount.GpusOf("A100")));
        var borrowed = loans.Borrowed["r2.gansu"];
        Assert.Equal((LoanState.Recalling, At.AddHours(2)), (borrowed.State, borrowed.EndsAt));
        Assert.Equal(("r2.gansu", "gansu", "yangtze", new LoanPrice(0.3, 6)), (borrowed.Terms.LoanId, borrowed.Terms.Lender, borrowed.Terms.Borrower, borrowed.Terms.Price));
        Assert.Equal(At, record.Answered["r3/yangtze"]);
        Assert.Equal(At, record.Closed["r0.gba"]);
    }

    [Fact]
    public void A_region_record_stored_from_the_loan_book_writes_the_same_bytes_as_the_record_it_was_loaded_from()
    {
        var serializer = Serializer();
        var before = serializer.Deserialize<RegionRecord>(Convert.FromBase64String(WrittenBefore));
        Assert.NotNull(before);
        var loans = Load(before);
        var after = new RegionRecord { NextSequence = before.NextSequence, Answered = before.Answered, Closed = before.Closed };

        after.Store(loans);

        Assert.Equal(serializer.SerializeToArray(before), serializer.SerializeToArray(after));
    }

    [Fact]
    public void A_placed_jobs_declared_end_is_stored_with_it_and_a_placement_without_one_loads_with_none()
    {
        var serializer = Serializer();
        var placement = new ComputeGrid.Domain.Placement.JobPlacement("dc-1", "gansu", "test", 10, ComputeGrid.Domain.Accounting.Footprint.Zero, new ComputeGrid.Domain.Topology.EnergyProfile(1.2, 0.5, 0.4, 0.4));
        var placed = new PlacedJob("t", new ComputeGrid.Domain.Resources.ResourceRequest(1000, 1024), placement) { Priority = 5, EndsBy = At };

        var read = serializer.Deserialize<PlacedJob>(serializer.SerializeToArray(placed))!;
        var unknown = serializer.Deserialize<PlacedJob>(serializer.SerializeToArray(placed with { EndsBy = null }))!;

        Assert.Equal((5, At), (read.Priority, read.EndsBy));
        Assert.Equal((5, (DateTimeOffset?)null), (unknown.Priority, unknown.EndsBy));
    }

    private static RegionLoanBook Load(RegionRecord record) =>
        record.LoadLoans(
            "yangtze",
            HubQuota.Default,
            new LoanOptions(),
            new RegionBook(new Dictionary<string, WaitingJob>(StringComparer.Ordinal), new Dictionary<string, PlacedJob>(StringComparer.Ordinal), record.NextSequence));

    private static Serializer Serializer() =>
        new ServiceCollection()
            .AddSerializer(b => b.AddAssembly(typeof(RegionRecord).Assembly).AddAssembly(typeof(ComputeGrid.Contracts.IRegionGrain).Assembly))
            .BuildServiceProvider()
            .GetRequiredService<Serializer>();
}
