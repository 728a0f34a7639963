using System.Diagnostics.Metrics;
using ComputeGrid.Contracts.Loans;
using ComputeGrid.Contracts.Ops;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace ComputeGrid.Grains.Tests;

/// <summary>The operators' trends and the metrics the alerts read, without a cluster.</summary>
public sealed class OpsTelemetryTests
{
    private static readonly DateTimeOffset Minute = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    [Fact]
    public void The_trends_sum_every_silos_counts_of_an_interval_and_a_silos_second_report_replaces_its_first()
    {
        var book = new TrendBook();

        book.Record("silo-a", Sample(Minute, submitted: 5, placed: 4), Interval, Hour);
        book.Record("silo-b", Sample(Minute, submitted: 3, placed: 1), Interval, Hour);
        book.Record("silo-a", Sample(Minute, submitted: 6, placed: 4), Interval, Hour);
        var point = Assert.Single(book.Read().Points);

        Assert.Equal(Minute, point.At);
        Assert.Equal(9, point.Submitted);
        Assert.Equal(5, point.Placed);
    }

    [Fact]
    public void The_trends_keep_one_window_before_the_newest_interval_oldest_first()
    {
        var book = new TrendBook();

        for (var i = 0; i <= 61; i++)
        {
            book.Record("silo-a", Sample(Minute.AddMinutes(i), submitted: i, placed: 0), Interval, Hour);
        }

        var points = book.Read().Points;
        Assert.Equal(60, points.Count);
        Assert.Equal(Minute.AddMinutes(2), points[0].At);
        Assert.Equal(Minute.AddMinutes(61), points[^1].At);
    }

    [Fact]
    public void The_trends_take_the_pools_readings_from_the_latest_report_of_an_interval()
    {
        var book = new TrendBook();

        book.Record("silo-a", Sample(Minute, 0, 0, queued: 3), Interval, Hour);
        book.Record("silo-b", Sample(Minute, 0, 0, queued: 7), Interval, Hour);

        Assert.Equal(7, Assert.Single(book.Read().Points).Readings.QueueLength["gansu"]);
    }

    [Fact]
    public void The_trends_list_the_newest_job_arrays_first_once_each_and_at_most_twenty()
    {
        var book = new TrendBook();

        book.Record("silo-a", Sample(Minute, 0, 0, arrays: ["a1", "a2"]), Interval, Hour);
        book.Record("silo-b", Sample(Minute, 0, 0, arrays: ["a2", "a3"]), Interval, Hour);
        Assert.Equal(["a3", "a2", "a1"], book.Read().RecentArrayIds);

        book.Record("silo-a", Sample(Minute.AddMinutes(1), 0, 0, arrays: [.. Enumerable.Range(10, 25).Select(i => $"b{i}")]), Interval, Hour);
        var arrays = book.Read().RecentArrayIds;
        Assert.Equal(OpsTrends.MaxRecentArrays, arrays.Count);
        Assert.Equal("b34", arrays[0]);
    }

    [Theory]
    [InlineData("2026-12-07T10:00:59.999Z", 60, "2026-12-07T10:00:00Z")]
    [InlineData("2026-12-07T10:01:00Z", 60, "2026-12-07T10:01:00Z")]
    [InlineData("2026-12-07T10:00:07.5Z", 5, "2026-12-07T10:00:05Z")]
    public void An_interval_starts_at_a_multiple_of_its_length_since_the_epoch(string now, int seconds, string start) =>
        Assert.Equal(DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture), TrendsSampler.IntervalStart(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void The_west_share_and_the_carbon_intensity_weigh_each_data_center_by_the_cores_in_use_there()
    {
        // East: 30 cores in use at 1.25 x 0.8 x (1 - 0.2) = 0.8 kgCO2/kWh; west: 10 cores at 1.2 x 0.5 x (1 - 0.5) = 0.3.
        var pool = Pool(
            Hub("yangtze", Zone.East, 2, DataCenter("wuhu", "yangtze", 30_000, new EnergyProfile(1.25, 0.8, 0.2, 0.6))),
            Hub("gansu", Zone.West, 0, DataCenter("qingyang", "gansu", 10_000, new EnergyProfile(1.2, 0.5, 0.5, 0.4))));

        var readings = TrendsSampler.Readings(pool, [new HubWaitGauge("yangtze", 90, 0, 0)]);

        Assert.Equal(0.25, readings.WestCoreShare!.Value, 9);
        Assert.Equal(((30 * 0.8) + (10 * 0.3)) / 40, readings.CarbonKgPerKwh!.Value, 9);
        Assert.Equal(2, readings.QueueLength["yangtze"]);
        Assert.Equal(90, readings.OldestQueuedAgeSeconds["yangtze"]);
        Assert.Equal(0, readings.OldestQueuedAgeSeconds["gansu"]);
    }

    [Fact]
    public void With_no_core_in_use_the_west_share_and_the_carbon_intensity_are_unknown_not_zero()
    {
        var readings = TrendsSampler.Readings(Pool(Hub("gansu", Zone.West, 0, DataCenter("qingyang", "gansu", 0, new EnergyProfile(1.2, 0.5, 0.5, 0.4)))), []);

        Assert.Null(readings.WestCoreShare);
        Assert.Null(readings.CarbonKgPerKwh);
    }

    [Fact]
    public void Each_hub_reports_its_oldest_queued_age_and_how_far_its_most_overdue_recall_is_past_the_notice()
    {
        var now = Minute.AddHours(1);
        var oldest = new Dictionary<string, DateTimeOffset?> { ["yangtze"] = now.AddMinutes(-45), ["gansu"] = null };
        var loans = new[]
        {
            Loan("l1", lender: "gansu", LoanState.Recalling, recallEndsAt: now.AddMinutes(-12)),
            Loan("l2", lender: "gansu", LoanState.Recalling, recallEndsAt: now.AddMinutes(5)),
            Loan("l3", lender: "yangtze", LoanState.Recalling, recallEndsAt: now.AddMinutes(3)),
            Loan("l4", lender: "yangtze", LoanState.Active, recallEndsAt: null),
        };

        var gauges = HubWaits.Gauges(["gansu", "ningxia", "yangtze"], oldest, loans, now).ToDictionary(g => g.HubId);

        Assert.Equal(new HubWaitGauge("gansu", 0, 2, 12 * 60), gauges["gansu"]);
        Assert.Equal(new HubWaitGauge("ningxia", 0, 0, 0), gauges["ningxia"]);
        Assert.Equal(new HubWaitGauge("yangtze", 45 * 60, 1, 0), gauges["yangtze"]);
    }

    [Fact]
    public void The_storage_errors_counter_counts_orleans_failed_storage_operations_by_operation_and_starts_at_zero()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        using var metrics = new GridMetrics(factory);
        Assert.Equal(0, StorageErrors(factory, "write"));

        using var orleans = new Meter("Microsoft.Orleans");
        orleans.CreateCounter<int>("orleans-storage-write-errors").Add(2);
        orleans.CreateCounter<int>("orleans-storage-read-errors").Add(1);
        orleans.CreateCounter<int>("orleans-storage-write-retries").Add(5);

        Assert.Equal(2, StorageErrors(factory, "write"));
        Assert.Equal(1, StorageErrors(factory, "read"));
        Assert.Equal(0, StorageErrors(factory, "clear"));
    }

    [Fact]
    public void The_metrics_count_new_jobs_as_submissions_and_first_placements()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var metrics = new GridMetrics(services.GetRequiredService<IMeterFactory>());

        metrics.JobEntered("gba", null, JobState.Pending);
        metrics.JobEntered("gba", JobState.Pending, JobState.Queued);
        metrics.JobEntered("gba", null, JobState.Pending);
        metrics.Placed("gba", "guizhou", TimeSpan.FromSeconds(3));

        Assert.Equal(2, metrics.JobsSubmitted);
        Assert.Equal(1, metrics.JobsPlaced);
    }

    [Fact]
    public void Accepted_job_arrays_are_handed_to_the_trends_once()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var metrics = new GridMetrics(services.GetRequiredService<IMeterFactory>());

        metrics.ArraySubmitted("gba", 10, "acme.a1");
        metrics.ArraySubmitted("gba", 10, "acme.a2");

        Assert.Equal(["acme.a1", "acme.a2"], metrics.TakeNewArrayIds());
        Assert.Empty(metrics.TakeNewArrayIds());
    }

    /// <summary>The value of <c>computegrid.storage.errors</c> for <paramref name="operation"/> on the meter <paramref name="factory"/> made (every silo has its own).</summary>
    internal static long StorageErrors(IMeterFactory factory, string operation)
    {
        long value = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == GridMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name == "computegrid.storage.errors")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, measured, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "operation" && (string?)tag.Value == operation)
                {
                    value = Math.Max(value, measured);
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return value;
    }

    private static TrendSample Sample(DateTimeOffset at, long submitted, long placed, int queued = 0, IReadOnlyList<string>? arrays = null) =>
        new(at, submitted, placed, new TrendReadings(new Dictionary<string, int> { ["gansu"] = queued }, new Dictionary<string, double> { ["gansu"] = 0 }, null, null), arrays ?? []);

    private static DataCenterSnapshot DataCenter(string id, string hub, long usedMillicores, EnergyProfile energy)
    {
        var capacity = ResourceVector.Of(100_000, 400_000, []);
        var used = ResourceVector.Of(usedMillicores, 0, []);
        return new DataCenterSnapshot(new DataCenterSpec(id, id, hub, new GeoPoint(30, 110), capacity, energy), DataCenterStatus.Online, used, capacity, 1, Footprint.Zero, 0, ResourceVector.Zero, 0);
    }

    private static HubSnapshot Hub(string id, Zone zone, int queued, params DataCenterSnapshot[] dataCenters) =>
        new(new Hub(id, id, id, zone, new GeoPoint(30, 110)), dataCenters, queued, ResourceVector.Zero, ResourceVector.Zero, Footprint.Zero);

    private static PoolSnapshot Pool(params HubSnapshot[] hubs) => new(hubs, ResourceVector.Zero, ResourceVector.Zero, hubs.Sum(h => h.QueueLength), Footprint.Zero);

    private static LoanSnapshot Loan(string id, string lender, LoanState state, DateTimeOffset? recallEndsAt) =>
        new(
            new LoanTerms(id, $"r-{id}", lender, "bth", [new LoanSlice("dc", ResourceVector.Of(8_000, 0, []), 0.3, 20)], new LoanPrice(0.1, 1), Hour, TimeSpan.FromMinutes(10), ExpiryTerms.FinishRunning, Minute),
            state,
            Minute,
            Minute,
            Minute.AddHours(2),
            recallEndsAt,
            default,
            [],
            1);
}
