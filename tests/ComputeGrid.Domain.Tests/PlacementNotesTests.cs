using ComputeGrid.Domain.Placement;

namespace ComputeGrid.Domain.Tests;

public class PlacementNotesTests
{
    [Theory]
    [InlineData(null, "ningxia")]
    [InlineData("inner-mongolia", "inner-mongolia")]
    public void A_job_placed_where_announced_or_never_announced_gets_no_note(string? announced, string placed) =>
        Assert.Null(PlacementNotes.NotWhereAnnounced(announced, placed, "yangtze", onLoan: true, announcedLentNothing: false));

    [Fact]
    public void A_job_placed_in_another_hub_than_announced_says_the_announced_hub_lent_nothing_and_where_it_went()
    {
        var note = PlacementNotes.NotWhereAnnounced("inner-mongolia", "ningxia", "yangtze", onLoan: true, announcedLentNothing: true);

        Assert.Equal("not in inner-mongolia as announced: inner-mongolia lent no capacity (it refused, had nothing useful to offer or did not answer in time), and a loan in ningxia was the best place it could use", note);
    }

    [Fact]
    public void A_job_placed_at_home_after_announcing_a_peer_says_its_own_room_came_first()
    {
        var note = PlacementNotes.NotWhereAnnounced("inner-mongolia", "yangtze", "yangtze", onLoan: false, announcedLentNothing: false);

        Assert.Equal("not in inner-mongolia as announced: inner-mongolia's capacity did not come first, and room in yangtze's own data centers was the best place it could use", note);
    }
}
