using ComputeGrid.Domain.JobArrays;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Domain.Tests;

public class JobArrayRulesTests
{
    [Theory]
    [InlineData("%a", "7")]
    [InlineData("in/%a.txt", "in/7.txt")]
    [InlineData("%A-%a", "arr-7")]
    [InlineData("100%%", "100%")]
    [InlineData("%%a", "%a")]
    [InlineData("%b stays", "%b stays")]
    [InlineData("ends in %", "ends in %")]
    [InlineData("no placeholder", "no placeholder")]
    public void Percent_a_is_the_index_percent_A_the_array_and_percent_percent_a_percent(string argument, string expected)
    {
        Assert.Equal(expected, JobArrayRules.Substitute(argument, "7", "arr"));
    }

    [Fact]
    public void An_elements_spec_is_the_template_marked_with_its_index_and_its_command_gets_the_index_in_its_environment()
    {
        var template = Shipped.ValidJob with { Command = new JobCommand("run", ["--task", "%a"], new Dictionary<string, string> { ["MODE"] = "fast" }) };

        var element = JobArrayRules.ElementSpec(template, "arr", 41);

        Assert.Equal("arr", element.ArrayId);
        Assert.Equal(41, element.ArrayIndex);
        Assert.Equal(["--task", "41"], element.Command!.Arguments);
        Assert.Equal("41", element.Command.Environment[JobArrayRules.TaskIdVariable]);
        Assert.Equal("arr", element.Command.Environment[JobArrayRules.ArrayIdVariable]);
        Assert.Equal("fast", element.Command.Environment["MODE"]);
        Assert.Equal("arr-41", JobArrayRules.ElementId("arr", 41));
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)]
    [InlineData(JobArrayRules.MaxCount, false)]
    [InlineData(JobArrayRules.MaxCount + 1, true)]
    public void An_array_has_1_to_100000_elements(int count, bool refused)
    {
        Assert.Equal(refused, JobArrayRules.Validate(Shipped.ValidJob, count).Any(e => e.Field == "count"));
    }

    [Fact]
    public void A_submission_with_an_over_long_array_id_is_refused_naming_arrayId_and_a_valid_one_has_no_error()
    {
        Assert.Empty(JobArrayRules.ValidateSubmission(Shipped.ValidJob, 10, "arr"));
        Assert.Contains(JobArrayRules.ValidateSubmission(Shipped.ValidJob, 10, new string('a', JobArrayRules.MaxArrayIdLength + 1)), e => e.Field == "arrayId");
    }

    [Fact]
    public void A_page_of_elements_keeps_those_in_the_wanted_state_and_names_where_the_next_page_starts()
    {
        var book = new ElementStates(5);
        book.Mark(1, ElementCode.Rejected);
        book.Mark(3, ElementCode.Rejected);

        var (pending, next) = book.Page(JobState.Pending, 2, 0);
        Assert.Equal([0, 2], pending);
        Assert.Equal(4, next);
        var (failed, none) = book.Page(JobState.Failed, 10, 0);
        Assert.Equal([1, 3], failed);
        Assert.Null(none);
        Assert.Equal((2, 0), book.Tally());
    }

    [Fact]
    public void The_book_counts_unsubmitted_elements_as_pending_and_always_adds_up_to_the_size()
    {
        var book = new ElementStates(4);
        Assert.Equal(4, book.Counts[JobState.Pending]);

        Assert.True(book.Apply(0, JobState.Scheduled, 2));
        Assert.True(book.Mark(1, ElementCode.Rejected));
        Assert.True(book.Mark(2, ElementCode.Withdrawn));

        Assert.Equal(1, book.Counts[JobState.Scheduled]);
        Assert.Equal(1, book.Counts[JobState.Failed]);
        Assert.Equal(1, book.Counts[JobState.Cancelled]);
        Assert.Equal(1, book.Counts[JobState.Pending]);
        Assert.Equal(4, book.Counts.Values.Sum());
    }

    [Fact]
    public void A_report_older_than_the_one_held_changes_nothing()
    {
        var book = new ElementStates(1);
        Assert.True(book.Apply(0, JobState.Running, 3));

        Assert.False(book.Apply(0, JobState.Scheduled, 2));
        Assert.False(book.Apply(0, JobState.Running, 3));
        Assert.Equal(JobState.Running, book.StateOf(0));
        Assert.True(book.Apply(0, JobState.Succeeded, 4));
        Assert.True(book.AllEnded);
    }

    [Fact]
    public void A_withdrawn_element_stays_withdrawn_and_a_job_is_never_marked()
    {
        var book = new ElementStates(2);
        book.Mark(0, ElementCode.Withdrawn);
        book.Apply(1, JobState.Queued, 2);

        Assert.False(book.Apply(0, JobState.Scheduled, 2));
        Assert.False(book.Mark(1, ElementCode.Withdrawn));
        Assert.Equal(JobState.Queued, book.StateOf(1));
    }

    [Fact]
    public void A_book_restored_from_its_stored_arrays_counts_the_same()
    {
        var book = new ElementStates(3);
        book.Apply(0, JobState.Running, 3);
        book.Mark(2, ElementCode.Rejected);

        var restored = new ElementStates(book.Codes, book.Sequences);

        Assert.Equal(book.Counts, restored.Counts);
        Assert.False(restored.Apply(0, JobState.Scheduled, 2));
    }

    [Theory]
    [InlineData("a-0", true, "a", 0)]
    [InlineData("my-array-41", true, "my-array", 41)]
    [InlineData("a-99999", true, "a", 99999)]
    [InlineData("a-100000", false, "", -1)]
    [InlineData("a-01", false, "", -1)]
    [InlineData("a-", false, "", -1)]
    [InlineData("-3", false, "", -1)]
    [InlineData("plain", false, "", -1)]
    [InlineData("a-+3", false, "", -1)]
    public void A_job_id_names_an_element_when_it_ends_in_a_dash_and_an_index_as_element_ids_write_it(string jobId, bool element, string arrayId, int index)
    {
        Assert.Equal(element, JobArrayRules.TryParseElementId(jobId, out var parsedArray, out var parsedIndex));
        Assert.Equal((arrayId, index), (parsedArray, parsedIndex));
    }

    [Fact]
    public void A_held_element_is_queued_or_scheduled_once_and_activated_once_after_which_reports_move_it()
    {
        var book = new ElementStates(3);

        Assert.True(book.Hold(0, placed: true));
        Assert.True(book.Hold(1, placed: false));
        Assert.False(book.Hold(0, placed: false));
        Assert.Equal((1, 1, 1), (book.Unsubmitted, book.HeldQueued, book.HeldScheduled));
        Assert.Equal(1, book.Counts[JobState.Scheduled]);
        Assert.Equal(1, book.Counts[JobState.Queued]);
        Assert.True(book.IsHeld(0) && book.IsSubmitted(0) && !book.IsJob(0));
        Assert.False(book.IsSubmitted(2));

        Assert.True(book.Activate(0, sequence: 2));
        Assert.False(book.Activate(0, sequence: 2));
        Assert.True(book.IsJob(0));
        Assert.Equal(JobState.Scheduled, book.StateOf(0));
        Assert.False(book.Apply(0, JobState.Scheduled, 2));
        Assert.True(book.Apply(0, JobState.Running, 3));
        Assert.Equal(1, book.Counts[JobState.Running]);
        Assert.Equal(3, book.Counts.Values.Sum());
    }

    [Fact]
    public void Only_an_unsubmitted_element_is_withdrawn_or_rejected()
    {
        var book = new ElementStates(3);
        book.Hold(0, placed: false);
        book.Hold(1, placed: true);

        Assert.False(book.Mark(0, ElementCode.Withdrawn));
        Assert.False(book.Mark(1, ElementCode.Rejected));
        Assert.True(book.Mark(2, ElementCode.Withdrawn));
        Assert.Equal(1, book.Counts[JobState.Queued]);
        Assert.Equal(1, book.Counts[JobState.Scheduled]);
        Assert.Equal(1, book.Counts[JobState.Cancelled]);
        Assert.Equal(0, book.Unsubmitted);
    }
}
