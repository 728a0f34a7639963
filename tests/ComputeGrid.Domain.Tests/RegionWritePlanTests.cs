using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;

namespace ComputeGrid.Domain.Tests;

public class RegionWritePlanTests
{
    [Fact]
    public void A_move_into_the_placed_jobs_writes_the_placement_before_the_queue()
    {
        Assert.Equal([RegionWrite.Record, RegionWrite.Placed, RegionWrite.Queue], RegionWritePlan.For(recordChanged: true, movedToPlaced: true, movedToQueue: false));
    }

    [Fact]
    public void A_move_back_into_the_queue_writes_the_queue_before_the_placement()
    {
        Assert.Equal([RegionWrite.Queue, RegionWrite.Placed], RegionWritePlan.For(recordChanged: false, movedToPlaced: false, movedToQueue: true));
    }

    [Fact]
    public void Moves_both_ways_in_one_write_are_refused()
    {
        Assert.Throws<InvalidOperationException>(() => RegionWritePlan.For(false, movedToPlaced: true, movedToQueue: true));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_crash_after_any_prefix_of_a_move_leaves_the_job_in_one_map_after_settling(bool toPlaced)
    {
        // Before the move the job is in the map it leaves; after it, in the map it enters.
        var plan = RegionWritePlan.For(recordChanged: true, movedToPlaced: toPlaced, movedToQueue: !toPlaced);
        for (var prefix = 0; prefix <= plan.Count; prefix++)
        {
            var written = plan.Take(prefix).ToHashSet();
            var queued = written.Contains(RegionWrite.Queue) ? !toPlaced : toPlaced;
            var placed = written.Contains(RegionWrite.Placed) ? toPlaced : !toPlaced;

            Assert.True(queued || placed, $"after {prefix} of {plan.Count} writes the job is in neither map");
            var (q, p) = RegionWritePlan.Settle(queued, placed);
            Assert.True(q ^ p, "settling leaves it in exactly one map");

            // The end state. Into the placed jobs: once the placement is written the job is placed, else it is still
            // queued and the next pass moves it again. Back into the queue (the job was preempted): a placement left
            // behind by a crash is one its job no longer holds, which reconciliation does not agree with and drops.
            var entered = written.Contains(toPlaced ? RegionWrite.Placed : RegionWrite.Queue);
            if (toPlaced)
            {
                Assert.Equal(entered, p);
            }
            else if (p)
            {
                Assert.NotEqual(RegionVerdict.Agrees, Reconciliation.JudgeRegionRecord("dc-1", JobState.Preempted, null));
            }
        }
    }

    [Theory]
    [InlineData(true, true, false, true)]
    [InlineData(true, false, true, false)]
    [InlineData(false, true, false, true)]
    public void A_job_in_both_maps_keeps_its_placement(bool queued, bool placed, bool keepsQueued, bool keepsPlaced)
    {
        Assert.Equal((keepsQueued, keepsPlaced), RegionWritePlan.Settle(queued, placed));
    }
}
