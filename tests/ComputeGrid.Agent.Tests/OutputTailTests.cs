using System.Text;
using ComputeGrid.Agent.Running;

namespace ComputeGrid.Agent.Tests;

/// <summary>The bounded output tail.</summary>
public sealed class OutputTailTests
{
    [Fact]
    public void Output_shorter_than_the_tail_is_kept_whole()
    {
        var tail = new OutputTail(16);
        tail.Append("hello "u8);
        tail.Append("world"u8);

        Assert.Equal("hello world", tail.ToString());
    }

    [Fact]
    public void Only_the_last_capacity_bytes_are_kept_across_chunks()
    {
        var tail = new OutputTail(8);
        for (var i = 0; i < 1000; i++)
        {
            tail.Append(Encoding.UTF8.GetBytes($"{i % 10}"));
        }

        Assert.Equal("23456789", tail.ToString());
        Assert.Equal(1000, tail.Written);
    }

    [Fact]
    public void A_chunk_larger_than_the_tail_keeps_its_end()
    {
        var tail = new OutputTail(4);
        tail.Append("abcdefghij"u8);

        Assert.Equal("ghij", tail.ToString());
    }

    [Fact]
    public void A_character_cut_at_the_start_of_the_tail_is_dropped_not_garbled()
    {
        var tail = new OutputTail(7);
        tail.Append(Encoding.UTF8.GetBytes("x数据中心")); // 1 + 4 × 3 bytes; the last 7 start inside 据

        Assert.Equal("中心", tail.ToString());
    }

    [Fact]
    public void Invalid_utf8_never_makes_the_text_longer_than_the_tail()
    {
        var tail = new OutputTail(8);
        tail.Append([0xFF, 0xFE, 0xFF, 0xFE, 0xFF, 0xFE, 0xFF, 0xFE]);

        Assert.True(Encoding.UTF8.GetByteCount(tail.ToString()) <= 8);
    }
}
