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

    /// <summary>Waiting in its region's queue, its state held by the array (its job grain not activated yet): counted as Queued.</summary>
    HeldQueued = 0xFC,

    /// <summary>Placed at a data center, its state held by the array (its job grain not activated yet): counted as Scheduled.</summary>
    HeldScheduled = 0xFB,

    /// <summary>Started at its data center, its state held by the array (its job grain not activated yet): counted as Running.</summary>
    HeldRunning = 0xFA,

    /// <summary>The array's dependency can never hold, so this element, never submitted, never runs: counted as Unsatisfiable.</summary>
    Unsatisfied = 0xF9,
}

/// <summary>
/// The states of an array's elements as a compact book: a byte per element (a <see cref="JobState"/> or an
/// <see cref="ElementCode"/>) and the job event sequence that set it, about 5 bytes per element, with the counts by
/// state kept in step. Reports may arrive out of order or twice: a report older than what the book holds changes nothing.
/// </summary>
/// <remarks>
/// An element is either held (unsubmitted, queued, scheduled or running (<see cref="ElementCode.HeldQueued"/> and on):
/// the array owns its state) or activated (a <see cref="JobState"/> code: its job grain owns its state and reports to the
/// array), or neither (rejected or withdrawn). An element goes from held to activated once (<see cref="Activate"/>), never back.
/// </remarks>
public sealed class ElementStates
{
    private readonly byte[] _codes;
    private readonly int[] _sequences;
    private readonly int[] _counts = new int[Enum.GetValues<JobState>().Length];

    // Held elements by code: unsubmitted, queued, scheduled, running.
    private readonly int[] _held = new int[4];

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
            Tally(code, +1);
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
    public int Unsubmitted => _held[0];

    /// <summary>How many elements are held queued in their region.</summary>
    public int HeldQueued => _held[1];

    /// <summary>How many elements are held scheduled at a data center.</summary>
    public int HeldScheduled => _held[2];

    /// <summary>How many elements are held running at a data center.</summary>
    public int HeldRunning => _held[3];

    /// <summary>True when every element is terminal (or rejected or withdrawn).</summary>
    public bool AllEnded => _counts[(int)JobState.Succeeded] + _counts[(int)JobState.Failed] + _counts[(int)JobState.Cancelled] + _counts[(int)JobState.Unsatisfiable] == _codes.Length;

    /// <summary>
    /// One page of the elements from index <paramref name="from"/> on, those in <paramref name="wanted"/> only (null: all),
    /// at most <paramref name="limit"/>, and the index the next page starts at (null: none left).
    /// </summary>
    public (List<int> Indexes, int? Next) Page(JobState? wanted, int limit, int from)
    {
        var page = new List<int>(Math.Clamp(limit, 1, 500));
        for (var i = Math.Max(0, from); i < Count; i++)
        {
            if (wanted is { } s && StateOf(i) != s)
            {
                continue;
            }

            if (page.Count == limit)
            {
                return (page, i);
            }

            page.Add(i);
        }

        return (page, null);
    }

    /// <summary>How many elements were refused, and how many are submitted (a job of their own, or held placed or queued).</summary>
    public (int Rejected, int Submitted) Tally()
    {
        var (rejected, submitted) = (0, 0);
        for (var i = 0; i < Count; i++)
        {
            rejected += _codes[i] == (byte)ElementCode.Rejected ? 1 : 0;
            submitted += IsSubmitted(i) ? 1 : 0;
        }

        return (rejected, submitted);
    }

    /// <summary>The element's code.</summary>
    public byte CodeOf(int index) => _codes[index];

    /// <summary>The state element <paramref name="index"/> is counted in.</summary>
    public JobState StateOf(int index) => Counted(_codes[index]);

    /// <summary>True when element <paramref name="index"/> is activated: its job grain owns its state (whatever that is now).</summary>
    public bool IsJob(int index) => _codes[index] <= (byte)JobState.Unsatisfiable;

    /// <summary>True when the array holds element <paramref name="index"/>'s state (not submitted yet, queued or scheduled) and its job grain does not.</summary>
    public bool IsHeld(int index) => _codes[index] is (byte)ElementCode.Unsubmitted or (byte)ElementCode.HeldQueued or (byte)ElementCode.HeldScheduled or (byte)ElementCode.HeldRunning;

    /// <summary>True when the federation knows element <paramref name="index"/> as a job: held queued or scheduled, or activated.</summary>
    public bool IsSubmitted(int index) => IsJob(index) || _codes[index] is (byte)ElementCode.HeldQueued or (byte)ElementCode.HeldScheduled or (byte)ElementCode.HeldRunning;

    /// <summary>Records that a held scheduled element started; true when the book changed (false for any other element).</summary>
    public bool Run(int index)
    {
        if ((uint)index >= (uint)_codes.Length || _codes[index] != (byte)ElementCode.HeldScheduled)
        {
            return false;
        }

        Set(index, (byte)ElementCode.HeldRunning);
        return true;
    }

    /// <summary>
    /// Records where its region put a held element that was not submitted yet: its queue (<paramref name="placed"/> false)
    /// or a data center. True when the book changed; an element no longer unsubmitted (activated, withdrawn) is left alone.
    /// </summary>
    public bool Hold(int index, bool placed)
    {
        if ((uint)index >= (uint)_codes.Length || _codes[index] != (byte)ElementCode.Unsubmitted)
        {
            return false;
        }

        Set(index, (byte)(placed ? ElementCode.HeldScheduled : ElementCode.HeldQueued));
        return true;
    }

    /// <summary>
    /// Hands a held element over to its job grain, which from now on owns its state and reports each change with its
    /// sequence (<paramref name="sequence"/> is the number of events the grain starts with). False when it is not held.
    /// </summary>
    public bool Activate(int index, int sequence)
    {
        if ((uint)index >= (uint)_codes.Length || !IsHeld(index))
        {
            return false;
        }

        var state = StateOf(index);
        Set(index, (byte)state);
        _sequences[index] = sequence;
        return true;
    }

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

    /// <summary>Marks an unsubmitted element that is no job (rejected, or withdrawn by a cancel); ignored for any other.</summary>
    public bool Mark(int index, ElementCode code)
    {
        if (_codes[index] != (byte)ElementCode.Unsubmitted || code == ElementCode.Unsubmitted)
        {
            return false;
        }

        Set(index, (byte)code);
        return true;
    }

    private void Set(int index, byte code)
    {
        Tally(_codes[index], -1);
        _codes[index] = code;
        Tally(code, +1);
    }

    private void Tally(byte code, int delta)
    {
        _counts[(int)Counted(code)] += delta;
        switch (code)
        {
            case (byte)ElementCode.Unsubmitted:
                _held[0] += delta;
                break;
            case (byte)ElementCode.HeldQueued:
                _held[1] += delta;
                break;
            case (byte)ElementCode.HeldScheduled:
                _held[2] += delta;
                break;
            case (byte)ElementCode.HeldRunning:
                _held[3] += delta;
                break;
        }
    }

    private static JobState Counted(byte code) => code switch
    {
        (byte)ElementCode.Unsubmitted => JobState.Pending,
        (byte)ElementCode.Rejected => JobState.Failed,
        (byte)ElementCode.Withdrawn => JobState.Cancelled,
        (byte)ElementCode.Unsatisfied => JobState.Unsatisfiable,
        (byte)ElementCode.HeldQueued => JobState.Queued,
        (byte)ElementCode.HeldScheduled => JobState.Scheduled,
        (byte)ElementCode.HeldRunning => JobState.Running,
        _ => (JobState)code,
    };
}
