using System.Diagnostics;
using System.Globalization;
using ComputeGrid.Agent.Configuration;

namespace ComputeGrid.Agent.Running;

/// <summary>Who jobs run as: the configured user, entered through <c>setpriv</c> when the agent is root, else the agent's own user.</summary>
/// <param name="Name">The user's name.</param>
/// <param name="Uid">Its user id.</param>
/// <param name="Gid">Its primary group id.</param>
/// <param name="Switch">Whether the agent (root) changes to this user for each job.</param>
internal sealed record JobUser(string Name, uint Uid, uint Gid, bool Switch)
{
    /// <summary>The user the agent itself runs as: <c>nobody</c> unless configured.</summary>
    public const string DefaultRunAs = "nobody";

    /// <summary>Resolves the job user from <paramref name="options"/> and this process's effective user; the error names the option.</summary>
    public static JobUser Resolve(AgentOptions options, out string? error)
    {
        error = null;
        var euid = Native.EffectiveUserId;
        if (euid != 0)
        {
            // Without root there is no changing user: jobs run as the agent does, which systemd's User= chose.
            var self = Environment.UserName;
            if (options.RunAs is { Length: > 0 } wanted && wanted != self && wanted != euid.ToString(CultureInfo.InvariantCulture))
            {
                error = $"--run-as (CG_AGENT_RUN_AS): jobs can run as '{wanted}' only when the agent starts as root; the agent runs as '{self}' (leave it unset to run jobs as '{self}')";
            }

            return new JobUser(self, euid, Id("-g", self) ?? euid, Switch: false);
        }

        var name = string.IsNullOrEmpty(options.RunAs) ? DefaultRunAs : options.RunAs;
        if (Id("-u", name) is not { } uid || Id("-g", name) is not { } gid)
        {
            error = $"--run-as (CG_AGENT_RUN_AS): no user '{name}' on this machine";
            return new JobUser(name, 0, 0, Switch: false);
        }

        if (uid == 0 && !options.AllowRoot)
        {
            error = $"--run-as (CG_AGENT_RUN_AS): '{name}' is root; jobs run as root only with --allow-root (CG_AGENT_ALLOW_ROOT=true)";
        }

        return new JobUser(name, uid, gid, Switch: uid != 0);
    }

    /// <summary><c>id -u NAME</c> or <c>id -g NAME</c>: through NSS, so LDAP and systemd's dynamic users resolve too.</summary>
    private static uint? Id(string flag, string name)
    {
        try
        {
            var start = new ProcessStartInfo("id") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(flag);
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(name);
            using var id = Process.Start(start)!;
            var output = id.StandardOutput.ReadToEnd();
            id.WaitForExit();
            return id.ExitCode == 0 && uint.TryParse(output.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
