using ComputeGrid.Grains.Telemetry;

namespace ComputeGrid.Grains.Tests;

/// <summary>The metrics poller reads a bounded number of data centers per poll, in turns, so its cost does not grow with the pool.</summary>
public sealed class PoolMetricsPollerTests
{
    [Theory]
    [InlineData(10, 500)]
    [InlineData(10_000, 500)]
    [InlineData(1_001, 500)]
    [InlineData(7, 3)]
    public void Every_data_center_is_read_within_ceil_n_over_max_polls_and_no_poll_reads_more_than_max(int dataCenters, int max)
    {
        var ids = Enumerable.Range(0, dataCenters).Select(i => $"dc-{i}").ToList();
        var read = new HashSet<string>(StringComparer.Ordinal);
        var next = 0;

        for (var poll = 0; poll < (dataCenters + max - 1) / max; poll++)
        {
            var turn = PoolMetricsPoller.Turn(ids, next, max, out next);

            Assert.Equal(Math.Min(dataCenters, max), turn.Count);
            Assert.Equal(turn.Count, turn.Distinct(StringComparer.Ordinal).Count());
            read.UnionWith(turn);
        }

        Assert.Equal(dataCenters, read.Count);
    }

    [Fact]
    public void A_directory_that_shrank_below_the_position_starts_the_turn_inside_it()
    {
        var turn = PoolMetricsPoller.Turn(["a", "b"], next: 7, max: 5, out var next);

        Assert.Equal(["b", "a"], turn);
        Assert.Equal(1, next);
    }

    [Fact]
    public void An_empty_pool_reads_nothing()
    {
        Assert.Empty(PoolMetricsPoller.Turn([], next: 3, max: 500, out var next));
        Assert.Equal(0, next);
    }
}
