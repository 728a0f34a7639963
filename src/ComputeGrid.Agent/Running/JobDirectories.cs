using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace ComputeGrid.Agent.Running;

/// <summary>Each job's own directory under the work root: created empty for the job user, removed when the job ends.</summary>
internal sealed partial class JobDirectories(string workRoot, JobUser user)
{
    /// <summary>The work root, absolute.</summary>
    public string Root { get; } = Path.GetFullPath(workRoot);

    /// <summary>Creates the work root if needed; when jobs run as another user, lets others pass through it (o+x), not list it.</summary>
    public void EnsureRoot()
    {
        Directory.CreateDirectory(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        if (user.Switch)
        {
            File.SetUnixFileMode(Root, File.GetUnixFileMode(Root) | UnixFileMode.OtherExecute);
        }
    }

    /// <summary>The directory of <paramref name="jobId"/>: its id when that is a safe file name, else a hash of it.</summary>
    public string PathOf(string jobId) =>
        Path.Combine(Root, SafeName().IsMatch(jobId) ? jobId : "job-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(jobId)))[..32]);

    /// <summary>
    /// Creates the job's directory afresh (a previous attempt's files are removed) and its working directory inside it,
    /// both owned by the job user; returns the working directory. Rejects a working directory outside the job's.
    /// </summary>
    public (string JobDirectory, string WorkingDirectory) Create(string jobId, string? workingDirectory)
    {
        var jobDirectory = PathOf(jobId);
        var working = Path.GetFullPath(Path.Combine(jobDirectory, workingDirectory ?? "."));
        if (working != jobDirectory && !working.StartsWith(jobDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new JobRejectedException($"working directory '{workingDirectory}' is outside the job's directory");
        }

        EnsureRoot();
        Remove(jobId);
        Directory.CreateDirectory(jobDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Own(jobDirectory);
        var at = jobDirectory;
        foreach (var part in Path.GetRelativePath(jobDirectory, working).Split(Path.DirectorySeparatorChar))
        {
            if (part is "." or "")
            {
                continue;
            }

            at = Path.Combine(at, part);
            Directory.CreateDirectory(at, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Own(at);
        }

        return (jobDirectory, working);
    }

    /// <summary>Removes the job's directory and everything in it (symbolic links are removed, not followed).</summary>
    public void Remove(string jobId)
    {
        var directory = PathOf(jobId);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private void Own(string path)
    {
        if (user.Switch)
        {
            Native.ChangeOwner(path, user.Uid, user.Gid);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex SafeName();
}
