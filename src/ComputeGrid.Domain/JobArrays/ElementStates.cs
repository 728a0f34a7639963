using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Domain.JobArrays;

/// <summary>What an array knows of one element, one byte each.</summary>
public enum ElementCode : byte
{
    /// <summary>Not submitted yet: counted as Pending.</summary>
    Unsubmitted = 0xFF,

    /// <summary>Its submission was refused (it can never run): counted as Failed.</summary>
    Rejected = 0xFE,

    /// <summary>The array was cancelled before this element was submitted: counted as Cancelled, never becomes a job.</summary>
    Withdrawn = 0xFD,
}

/// <summary>
/// The states of an array's elements as a compact book: a byte per element (a <see cref="JobState"/> or an
/// <see cref="ElementCode"/>) and the job event sequence that set it, about 5 bytes per element, with the counts by
/// state kept in step. Reports may arrive out of order or twice: a report older than what the book holds changes nothing.
/// </summary>
public sealed class ElementStates
{
    private readonly byte[] _codes;
    private readonly int[] _sequences;
    private readonly int[] _counts = new int[Enum.GetValues<JobState>().Length];

    /// <summary>A book of <paramref name="count"/> unsubmitted elements.</summary>
    public ElementStates(int count)
        : this(Enumerable.Repeat((byte)ElementCode.Unsubmitted, count).ToArray(), new int[count])
    {
    }

    /// <summary>A book restored from its stored arrays (same length).</summary>
    public ElementStates(byte[] codes, int[] sequences)
    {
        if (codes.Length != sequences.Length)
        {
            throw new ArgumentException("codes and sequences differ in length", nameof(sequences));
        }

        _codes = codes;
        _sequences = sequences;
        foreach (var code in codes)
        {
            _counts[(int)Counted(code)]++;
        }
    }

    /// <summary>The number of elements.</summary>
    public int Count => _codes.Length;

    /// <summary>The stored form: one code per element.</summary>
    public byte[] Codes => _codes;

    /// <summary>The stored form: the job event sequence behind each code (0 for none).</summary>
    public int[] Sequences => _sequences;

    /// <summary>Every element counted by state: unsubmitted as Pending, rejected as Failed, withdrawn as Cancelled. They add up to <see cref="Count"/>.</summary>
    public IReadOnlyDictionary<JobState, int> Counts => Enum.GetValues<JobState>().ToDictionary(s => s, s => _counts[(int)s]);

    /// <summary>How many elements no job stands for yet (neither submitted, rejected nor withdrawn).</summary>
    public int Unsubmitted => _codes.Count(c => c == (byte)ElementCode.Unsubmitted);

    /// <summary>True when every element is terminal (or rejected or withdrawn).</summary>
    public bool AllEnded => _counts[(int)JobState.Succeeded] + _counts[(int)JobState.Failed] + _counts[(int)JobState.Cancelled] == _codes.Length;

    /// <summary>The element's code.</summary>
    public byte CodeOf(int index) => _codes[index];

    /// <summary>The state element <paramref name="index"/> is counted in.</summary>
    public JobState StateOf(int index) => Counted(_codes[index]);

    /// <summary>True when element <paramref name="index"/> was submitted as a job (whatever its state now).</summary>
    public bool IsJob(int index) => _codes[index] <= (byte)JobState.Cancelled;

    /// <summary>
    /// Records that the element's job entered <paramref name="state"/> with event <paramref name="sequence"/>; true when
    /// the book changed. A report older than the one held (or a job state over a withdrawn element) is ignored.
    /// </summary>
    public bool Apply(int index, JobState state, int sequence)
    {
        if ((uint)index >= (uint)_codes.Length || _codes[index] == (byte)ElementCode.Withdrawn)
        {
            return false;
        }

        if (IsJob(index) && sequence <= _sequences[index])
        {
            return false;
        }

        Set(index, (byte)state);
        _sequences[index] = sequence;
        return true;
    }

    /// <summary>Marks an element that is no job (rejected, or withdrawn by a cancel); ignored for an element that is a job.</summary>
    public bool Mark(int index, ElementCode code)
    {
        if (IsJob(index) || _codes[index] == (byte)code)
        {
            return false;
        }

        Set(index, (byte)code);
        return true;
    }

    private void Set(int index, byte code)
    {
        _counts[(int)Counted(_codes[index])]--;
        _codes[index] = code;
        _counts[(int)Counted(code)]++;
    }

    private static JobState Counted(byte code) => code switch
    {
        (byte)ElementCode.Unsubmitted => JobState.Pending,
        (byte)ElementCode.Rejected => JobState.Failed,
        (byte)ElementCode.Withdrawn => JobState.Cancelled,
        _ => (JobState)code,
    };
}
