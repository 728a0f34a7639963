using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Grains.Regions;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace ComputeGrid.Grains.Tests;

public class RegionRecordShapeTests
{
    [Fact]
    public void Capture()
    {
        using var services = new ServiceCollection()
            .AddSerializer(b => b.AddAssembly(typeof(RegionRecord).Assembly).AddAssembly(typeof(ComputeGrid.Contracts.IRegionGrain).Assembly))
            .BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        var at = new DateTimeOffset(2026, 12, 7, 8, 0, 0, TimeSpan.Zero);
        var slice = new LoanSlice("guian", new ResourceVector(8_000, 32_768, System.Collections.Immutable.ImmutableSortedDictionary<string, int>.Empty.Add("A100", 2)), 0.12, 21.5);
        var record = new RegionRecord { NextSequence = 42 };
        record.Lent["r1.guizhou"] = new LentLoanRecord("gba", [slice], LoanState.Active, at);
        record.Borrowed["r2.gansu"] = new BorrowedLoanRecord(
            new LoanTerms("r2.gansu", "r2", "gansu", "yangtze", [slice], new LoanPrice(0.3, 6), TimeSpan.FromHours(2), TimeSpan.FromMinutes(10), ExpiryTerms.FinishRunning, at.AddMinutes(1)),
            LoanState.Recalling,
            at.AddHours(2));
        record.Answered["r3/yangtze"] = at;
        record.Closed["r0.gba"] = at;
        File.WriteAllText("/tmp/shape/region-record.b64", Convert.ToBase64String(serializer.SerializeToArray(record)));
    }
}
