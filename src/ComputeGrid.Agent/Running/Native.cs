using System.Runtime.InteropServices;

namespace ComputeGrid.Agent.Running;

/// <summary>The few libc calls .NET does not offer: signalling a process group, changing a file's owner, the effective user.</summary>
internal static partial class Native
{
    /// <summary>SIGKILL.</summary>
    public const int SigKill = 9;

    /// <summary>The effective user id of this process (0 for root).</summary>
    public static uint EffectiveUserId => geteuid();

    /// <summary>Sends <see cref="SigKill"/> to every process of the group <paramref name="processGroup"/>; false when no such group exists.</summary>
    public static bool KillGroup(int processGroup) => processGroup > 1 && kill(-processGroup, SigKill) == 0;

    /// <summary>Sends <see cref="SigKill"/> to the one process <paramref name="pid"/>; false when it does not exist.</summary>
    public static bool KillProcess(int pid) => pid > 1 && kill(pid, SigKill) == 0;

    /// <summary>Whether the process group <paramref name="processGroup"/> has any member (signal 0 checks without sending).</summary>
    public static bool GroupExists(int processGroup) =>
        processGroup > 1 && (kill(-processGroup, 0) == 0 || Marshal.GetLastPInvokeError() == EPERM);

    /// <summary>Gives <paramref name="path"/> to <paramref name="uid"/>:<paramref name="gid"/> (not following a symbolic link).</summary>
    public static void ChangeOwner(string path, uint uid, uint gid)
    {
        if (lchown(path, uid, gid) != 0)
        {
            throw new IOException($"chown {uid}:{gid} '{path}' failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    private const int EPERM = 1;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc")]
    private static partial uint geteuid();

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, uint owner, uint group);
}
