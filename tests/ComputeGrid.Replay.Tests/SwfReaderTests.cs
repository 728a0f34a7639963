using System.IO.Compression;
using ComputeGrid.Replay.Traces;

namespace ComputeGrid.Replay.Tests;

public sealed class SwfReaderTests
{
    [Fact]
    public void Every_job_line_of_the_real_KTH_excerpt_becomes_one_job_and_header_comments_are_skipped()
    {
        var read = TraceFile.Read(TestData.KthExcerpt);

        Assert.Equal(36, read.Jobs.Count);
        Assert.Equal(0, read.Malformed);
        Assert.Equal(0, read.Unusable);
        Assert.False(read.Truncated);
        Assert.Contains("Parallel Workloads Archive", read.Citation, StringComparison.Ordinal);
    }

    [Fact]
    public void The_KTH_log_is_cited_with_the_machine_installation_and_acknowledgement_of_its_header()
    {
        var read = TraceFile.Read(TestData.KthExcerpt);

        Assert.Contains("log kth-sp2-excerpt.swf: IBM SP2 at Swedish Royal Institute of Technology (KTH); acknowledge: Lars Malinowsky", read.Citation, StringComparison.Ordinal);
        Assert.Contains("information: http://www.pdc.kth.se/, http://www.cs.huji.ac.il/labs/parallel/workload/.", read.Citation, StringComparison.Ordinal);
    }

    [Fact]
    public void An_SWF_log_from_another_installation_cites_its_own_header_and_not_KTH()
    {
        var path = Path.Combine(Path.GetTempPath(), $"swf-{Guid.NewGuid():n}", "EXAMPLE-GRID-2004-1.1-cln.swf");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            File.WriteAllText(path, """
                ; Version: 2.2
                ; Computer: Example Grid
                ; Installation: Example University
                ; Acknowledge: Jane Roe
                ;              and the Example Grid operators
                ; Information: https://example.org/grid
                ;              https://example.org/logs
                ; Note: a header written for this test
                ;
                    1      0   10   100    4   -1 -1    4   200  -1  1  3  3 -1 -1 -1 -1 -1

                """);

            var read = TraceFile.Read(path);

            Assert.Single(read.Jobs);
            Assert.StartsWith(
                "Parallel Workloads Archive (https://www.cs.huji.ac.il/labs/parallel/workload/), log EXAMPLE-GRID (file EXAMPLE-GRID-2004-1.1-cln.swf): "
                + "Example Grid at Example University; acknowledge: Jane Roe and the Example Grid operators; information: https://example.org/grid, https://example.org/logs. ",
                read.Citation,
                StringComparison.Ordinal);
            Assert.DoesNotContain("KTH", read.Citation, StringComparison.Ordinal);
            Assert.DoesNotContain("Malinowsky", read.Citation, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void An_SWF_log_whose_header_names_no_acknowledgement_is_cited_by_its_name_and_its_archive_entry()
    {
        var read = SwfReader.Read(new StringReader("; Version: 2.2\n1 0 0 100 4 -1 -1 4 100 -1 1 1 1 -1 -1 -1 -1 -1\n"), "LANL-CM5-1994-4.1-cln.swf.gz");

        Assert.StartsWith(
            "Parallel Workloads Archive (https://www.cs.huji.ac.il/labs/parallel/workload/), log LANL-CM5 (file LANL-CM5-1994-4.1-cln.swf.gz): "
            + "its header names no acknowledgement: cite it as its entry in the archive's list of logs asks. D. G. Feitelson",
            read.Citation,
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_job_takes_submit_and_run_time_from_the_trace_and_requested_processors_as_cores()
    {
        var job = TraceFile.Read(TestData.KthExcerpt).Jobs.Single(j => j.Id == "17");

        Assert.Equal(TimeSpan.FromSeconds(600476), job.Submit);
        Assert.Equal(TimeSpan.FromSeconds(215337), job.RunTime);
        Assert.Equal(5000, job.CpuMillicores);
        Assert.Null(job.MemoryMiB);
        Assert.Equal("14", job.User);
    }

    [Theory]
    [InlineData("   15   599850 192180   3477    4     -1    -1    4  53940    -1  1  12  12  -1 -1 -1", 1, 0)]
    [InlineData("   15   599850 192180   abc    4     -1    -1    4  53940    -1  1  12  12  -1 -1 -1 -1 -1", 1, 0)]
    [InlineData("   15   599850 192180     -1    4     -1    -1    4  53940    -1  1  12  12  -1 -1 -1 -1 -1", 0, 1)]
    [InlineData("   15   599850 192180   3477   -1     -1    -1   -1  53940    -1  1  12  12  -1 -1 -1 -1 -1", 0, 1)]
    public void A_short_or_non_numeric_line_is_malformed_and_a_job_without_run_time_or_processors_is_unusable(string line, int malformed, int unusable)
    {
        var read = SwfReader.Read(new StringReader("; header\n" + line + "\n   16   600022  11940   2488   25     -1    -1   25   3600    -1  1  13  13  -1 -1 -1 -1 -1\n"));

        Assert.Equal(malformed, read.Malformed);
        Assert.Equal(unusable, read.Unusable);
        Assert.Single(read.Jobs);
    }

    [Fact]
    public void Memory_per_processor_in_KiB_becomes_the_jobs_memory_in_MiB()
    {
        var job = SwfReader.Read(new StringReader("1 0 0 100 4 -1 -1 4 100 2048 1 1 1 -1 -1 -1 -1 -1\n")).Jobs.Single();

        Assert.Equal(8, job.MemoryMiB);
    }

    [Fact]
    public void A_gzip_file_cut_off_mid_stream_is_reported_truncated_and_keeps_the_jobs_read_before_the_cut()
    {
        var whole = Path.Combine(Path.GetTempPath(), $"kth-{Guid.NewGuid():n}.swf.gz");
        var cut = Path.Combine(Path.GetTempPath(), $"kth-cut-{Guid.NewGuid():n}.swf.gz");
        try
        {
            using (var gz = new GZipStream(File.Create(whole), CompressionLevel.Optimal))
            {
                var text = File.ReadAllBytes(TestData.KthExcerpt);
                for (var i = 0; i < 50; i++)
                {
                    gz.Write(text);
                }
            }

            var bytes = File.ReadAllBytes(whole);
            File.WriteAllBytes(cut, bytes[..(bytes.Length * 2 / 3)]);

            var read = TraceFile.Read(cut);

            Assert.True(read.Truncated);
            Assert.InRange(read.Jobs.Count, 1, (36 * 50) - 1);
        }
        finally
        {
            File.Delete(whole);
            File.Delete(cut);
        }
    }
}
